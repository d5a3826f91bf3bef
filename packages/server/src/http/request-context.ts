import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestContext } from '../auth/actor.js';
import type { AuthService } from '../auth/auth-service.js';
import { ForbiddenError, UnauthorizedError } from '../shared/errors.js';
import type { SdkKeyAuthenticator } from '../sdk/sdk-key-service.js';
import { CSRF_HEADER, sessionCookie } from '../auth/session-cookie.js';
import { csrfMatches, type SessionService } from '../auth/session-service.js';
import { CsrfError } from '../auth/session-errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every authenticated route. */
    ctx: RequestContext;
  }
}

const BEARER = /^Bearer\s+([\x21-\x7e]{1,512})$/i;

/** Reads the bearer token of a request, or throws 401 saying what is missing. */
export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined) throw new UnauthorizedError('Send an API token: Authorization: Bearer <token>.');
  const match = BEARER.exec(header);
  if (!match) throw new UnauthorizedError('The Authorization header must be "Bearer <token>".');
  return match[1]!;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authenticates every route registered in `app` (an encapsulated plugin) and puts the request
 * context on the request: an API token (Authorization: Bearer), else the web app's session cookie.
 */
export function requireAuthentication(app: FastifyInstance, auth: AuthService, sdkKeys?: SdkKeyAuthenticator, sessions?: SessionService): void {
  app.decorateRequest('ctx', null as unknown as RequestContext);
  app.addHook('onRequest', async (request) => {
    const cookieToken = sessions && request.headers.authorization === undefined ? sessionCookie(request) : null;
    if (sessions && cookieToken !== null) {
      const { actor, session } = await sessions.authenticate(cookieToken);
      // Browsers attach cookies to cross-site requests too; only our own page can send this header.
      if (!SAFE_METHODS.has(request.method)) {
        const header = request.headers[CSRF_HEADER];
        if (typeof header !== 'string' || !csrfMatches(cookieToken, header)) {
          throw new CsrfError(`A change made with the session cookie needs the ${CSRF_HEADER} header set to the csrfToken from POST /api/v1/session or GET /api/v1/me.`);
        }
      }
      request.ctx = { actor, requestId: String(request.id), session };
      return;
    }
    const token = bearerToken(request);
    // A few routes (heartbeats of running services) also take a server SDK key, scoped to its project and environment.
    if (sdkKeys && token.startsWith(SDK_KEY_PREFIX) && (request.routeOptions.config as { allowSdkKey?: boolean } | undefined)?.allowSdkKey) {
      const identity = await sdkKeys(token);
      if (identity === null) throw new UnauthorizedError('The SDK key is not valid or has been revoked.');
      if (identity.kind !== 'server') throw new ForbiddenError('Only server SDK keys may report heartbeats.', { kind: identity.kind });
      request.ctx = {
        actor: { userId: null, username: `sdk-key:${identity.id}`, role: 'engineer', tokenId: null },
        requestId: String(request.id),
        sdkKey: { projectKey: identity.projectKey, environmentKey: identity.environmentKey },
      };
      return;
    }
    const actor = await auth.authenticate(token);
    request.ctx = { actor, requestId: String(request.id) };
  });
}

const SDK_KEY_PREFIX = 'sdk-';
