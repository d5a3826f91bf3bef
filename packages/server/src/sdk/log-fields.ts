import type { FastifyRequest } from 'fastify';

/**
 * The fields of an error log line of an SDK request. Quiet SDK requests share the server's logger
 * (no child logger per request, see app.ts), so the request id is written here; otherwise the
 * request's own logger already carries it.
 */
export function errorFields(request: FastifyRequest, err: unknown): Record<string, unknown> {
  return request.log === request.server.log ? { reqId: request.id, err } : { err };
}
