import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'slipway_session';
/** The header the web app sends with every change; a cross-site form cannot set headers. */
export const CSRF_HEADER = 'x-slipway-csrf';

const SESSION_TOKEN = /^slws_[A-Za-z0-9_-]{43}$/;

/** The session token of the request's cookie, or null when there is none (or it is malformed). */
export function sessionCookie(request: FastifyRequest): string | null {
  const header = request.headers.cookie;
  if (header === undefined) return null;
  const value = parseCookie(header)[SESSION_COOKIE];
  return value !== undefined && SESSION_TOKEN.test(value) ? value : null;
}

/** HttpOnly (scripts never see it), SameSite=Lax (not sent on cross-site POSTs), Secure over https. */
export function setSessionCookie(reply: FastifyReply, token: string, options: { secure: boolean; maxAgeMs: number }): void {
  reply.header(
    'set-cookie',
    stringifySetCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: options.secure, path: '/', maxAge: Math.floor(options.maxAgeMs / 1000) }),
  );
}

export function clearSessionCookie(reply: FastifyReply, options: { secure: boolean }): void {
  reply.header('set-cookie', stringifySetCookie(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'lax', secure: options.secure, path: '/', maxAge: 0 }));
}
