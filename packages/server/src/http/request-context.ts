import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestContext } from '../auth/actor.js';
import type { AuthService } from '../auth/auth-service.js';
import { UnauthorizedError } from '../shared/errors.js';

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

/**
 * Authenticates every route registered in `app` (an encapsulated plugin) and puts the request
 * context on the request.
 */
export function requireAuthentication(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest('ctx', null as unknown as RequestContext);
  app.addHook('onRequest', async (request) => {
    const actor = await auth.authenticate(bearerToken(request));
    request.ctx = { actor, requestId: String(request.id) };
  });
}
