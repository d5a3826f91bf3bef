import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorResponse, errorResponses } from '../http/schemas.js';
import { UnauthorizedError } from '../shared/errors.js';
import { MeResponse, presentMe } from './auth-routes.js';
import { clearSessionCookie, CSRF_HEADER, sessionCookie, setSessionCookie } from './session-cookie.js';
import { CsrfError } from './session-errors.js';
import { csrfMatches, type SessionService } from './session-service.js';

const SignInBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 100 }), password: Type.String({ minLength: 1, maxLength: 1000 }) },
  { additionalProperties: false },
);

export interface SessionRouteOptions {
  /** Secure cookies: true when SLIPWAY_PUBLIC_URL is https. */
  secureCookies: boolean;
}

/**
 * Sign-in and sign-out of the web app. Outside the token hook: signing in needs no credentials
 * yet, and signing out must clear the cookie even when the session has already expired.
 */
export function sessionRoutes(sessions: SessionService, options: SessionRouteOptions): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/session',
      {
        schema: {
          tags: ['auth'],
          summary: 'Sign in with a local account: sets the HttpOnly session cookie and returns the CSRF token',
          security: [],
          body: SignInBody,
          response: { 200: MeResponse, ...errorResponses, 429: ErrorResponse },
        },
      },
      async (request, reply) => {
        const { token, user, session } = await sessions.signIn({
          username: request.body.username,
          password: request.body.password,
          address: request.ip ?? null,
          userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
          requestId: String(request.id),
        });
        setSessionCookie(reply, token, { secure: options.secureCookies, maxAgeMs: sessions.settings.absoluteMs });
        reply.header('cache-control', 'no-store');
        const actor = { userId: user.id, username: user.username, role: user.role, tokenId: null };
        return presentMe({ user, role: user.role, tokenId: null }, { actor, session });
      },
    );

    app.delete(
      '/session',
      {
        schema: {
          tags: ['auth'],
          summary: 'Sign out: ends the session of the cookie and clears it (the CSRF header is required while the session is open)',
          security: [],
          response: { 200: Type.Object({ ended: Type.Boolean({ description: 'false when there was no open session' }) }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const token = sessionCookie(request);
        let ended = false;
        if (token !== null) {
          const open = await sessions.authenticate(token).catch((error: unknown) => {
            if (error instanceof UnauthorizedError) return null;
            throw error;
          });
          if (open !== null) {
            const header = request.headers[CSRF_HEADER];
            if (typeof header !== 'string' || !csrfMatches(token, header)) {
              throw new CsrfError(`Signing out needs the ${CSRF_HEADER} header set to the session's csrfToken.`);
            }
            ended = await sessions.signOut({ actor: open.actor, requestId: String(request.id), session: open.session }, open.session.id);
          }
        }
        clearSessionCookie(reply, { secure: options.secureCookies });
        return { ended };
      },
    );
  };
}
