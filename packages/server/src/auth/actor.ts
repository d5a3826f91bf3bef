import type { Role } from './roles.js';

/** Who is acting: the authenticated user, with the role of the token they used. */
export interface Actor {
  readonly userId: string | null;
  readonly username: string;
  readonly role: Role;
  readonly tokenId: string | null;
}

/** Everything a service needs to know about the request that caused a mutation. */
export interface RequestContext {
  readonly actor: Actor;
  readonly requestId: string | null;
  /** Set when a server SDK key authenticated the request: it may act only in its own project and environment. */
  readonly sdkKey?: { readonly projectKey: string; readonly environmentKey: string };
  /** Set when a browser session (the web app's cookie) authenticated the request. */
  readonly session?: { readonly id: string; readonly csrfToken: string; readonly expiresAt: string; readonly idleExpiresAt: string };
}

/** The server itself (bootstrap, background work). */
export const SYSTEM_ACTOR: Actor = Object.freeze({ userId: null, username: 'slipway', role: 'admin', tokenId: null });

export function systemContext(requestId: string | null = null): RequestContext {
  return { actor: SYSTEM_ACTOR, requestId };
}
