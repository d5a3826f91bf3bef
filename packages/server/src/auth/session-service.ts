import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestContext } from './actor.js';
import type { Actor } from './actor.js';
import type { Uow } from '../db/stores.js';
import type { Clock } from '../shared/clock.js';
import { UnauthorizedError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { generateToken, hashPassword, hashToken, verifyPassword } from './secrets.js';
import { InvalidCredentialsError, TooManyAttemptsError } from './session-errors.js';
import type { WebSession } from './session-store.js';
import type { User } from './user-store.js';

/** Session lifetime and sign-in throttling (SLIPWAY_SESSION_*, SLIPWAY_LOGIN_*). */
export interface SessionSettings {
  /** A session unused this long ends. */
  readonly idleMs: number;
  /** A session ends this long after sign-in, however active. */
  readonly absoluteMs: number;
  /** Failed sign-ins for one username before it is locked. */
  readonly maxFailures: number;
  /** Failed sign-ins from one client address before it is locked. */
  readonly maxFailuresPerAddress: number;
  /** First lockout; each further failure doubles it, up to an hour (or this, when longer). */
  readonly lockoutMs: number;
}

export const DEFAULT_SESSION_SETTINGS: SessionSettings = Object.freeze({
  idleMs: 8 * 3_600_000,
  absoluteMs: 7 * 86_400_000,
  maxFailures: 5,
  maxFailuresPerAddress: 20,
  lockoutMs: 60_000,
});

/** Failures older than this no longer count. */
const FAILURE_MEMORY_MS = 86_400_000;
/** How often last-seen is written: every request would turn reads into writes. */
const TOUCH_INTERVAL_MS = 60_000;

export interface SignInInput {
  username: string;
  password: string;
  address: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** What the web app needs about a signed-in browser; the token goes into the cookie only. */
export interface SessionInfo {
  id: string;
  csrfToken: string;
  expiresAt: string;
  idleExpiresAt: string;
}

export interface AuthenticatedSession {
  actor: Actor;
  session: SessionInfo;
}

/**
 * The CSRF token bound to a session, derived from its secret token: the web app reads it from
 * POST /session or GET /me and echoes it in a header that a cross-site form cannot send.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update(`slipway-csrf\0${sessionToken}`).digest('base64url');
}

export function csrfMatches(sessionToken: string, header: string): boolean {
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const actual = Buffer.from(header);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Sign-in with a local account, server-side sessions and the failed-login throttle. */
export class SessionService {
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly uow: Uow,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    readonly settings: SessionSettings = DEFAULT_SESSION_SETTINGS,
  ) {}

  /** Checks the password and opens a session; returns its secret token (for the cookie) once. */
  async signIn(input: SignInInput): Promise<{ token: string; user: User; session: SessionInfo }> {
    const now = this.clock.now();
    const keys = throttleKeys(input.username, input.address);
    this.refuseWhileLocked(await this.uow.reads.loginThrottle.get(keys), now);

    const found = await this.uow.reads.users.getWithPassword(input.username);
    // Unknown users, users without a password and disabled users cost one scrypt too, so
    // response times do not tell which usernames exist.
    const hash = found?.passwordHash ?? (await (this.dummyHash ??= hashPassword('slipway-dummy-password')));
    const passwordOk = await verifyPassword(input.password, hash);
    const user = found && found.passwordHash !== null && !found.user.disabled && passwordOk ? found.user : null;

    if (user === null) {
      const lockedUntil = await this.recordFailure(input, keys);
      if (lockedUntil !== null) throw this.lockedError(lockedUntil, now);
      throw new InvalidCredentialsError('The username or password is not correct.');
    }

    const token = generateToken('slws');
    const session = await this.uow.transaction(async (tx) => {
      await tx.stores.loginThrottle.clear(keys[0]!);
      const record: WebSession = {
        id: this.ids.next(),
        userId: user.id,
        address: input.address,
        userAgent: input.userAgent?.slice(0, 300) ?? null,
        createdAt: tx.now,
        lastSeenAt: tx.now,
        expiresAt: new Date(Date.parse(tx.now) + this.settings.absoluteMs).toISOString(),
        endedAt: null,
        endReason: null,
      };
      await tx.stores.sessions.insert({ ...record, tokenHash: hashToken(token) });
      const ctx: RequestContext = { actor: { userId: user.id, username: user.username, role: user.role, tokenId: null }, requestId: input.requestId };
      await tx.record(ctx, {
        action: 'session.created',
        resourceType: 'session',
        resourceId: record.id,
        after: { id: record.id, userId: user.id, address: record.address, userAgent: record.userAgent, expiresAt: record.expiresAt },
      });
      return record;
    });
    return { token, user, session: this.info(token, session) };
  }

  /** Resolves a session cookie to an actor with the user's current role, or throws 401 saying why. */
  async authenticate(token: string): Promise<AuthenticatedSession> {
    const session = await this.uow.reads.sessions.findByHash(hashToken(token));
    const now = this.clock.now();
    if (!session) throw new UnauthorizedError('The session is not valid: sign in again.', { reason: 'unknown' });
    if (session.endedAt !== null) throw new UnauthorizedError('The session has ended: sign in again.', { reason: session.endReason ?? 'ended' });
    if (session.userDisabled) throw new UnauthorizedError('Your user is disabled.', { reason: 'user_disabled' });
    if (session.expiresAt <= now.toISOString()) throw new UnauthorizedError('The session has expired: sign in again.', { reason: 'expired' });
    const idleSince = now.getTime() - Date.parse(session.lastSeenAt);
    if (idleSince >= this.settings.idleMs) throw new UnauthorizedError('The session expired after inactivity: sign in again.', { reason: 'idle' });
    let lastSeenAt = session.lastSeenAt;
    if (idleSince > TOUCH_INTERVAL_MS) {
      lastSeenAt = now.toISOString();
      await this.uow.reads.sessions.touch(session.id, lastSeenAt);
    }
    return {
      actor: { userId: session.userId, username: session.username, role: session.userRole, tokenId: null },
      session: this.info(token, { ...session, lastSeenAt }),
    };
  }

  /** Ends the session of this token, if it is still open (sign-out). */
  async signOut(ctx: RequestContext, sessionId: string): Promise<boolean> {
    return this.uow.transaction(async (tx) => {
      const ended = await tx.stores.sessions.end(sessionId, tx.now, 'signed_out');
      if (ended) await tx.record(ctx, { action: 'session.ended', resourceType: 'session', resourceId: sessionId, after: { reason: 'signed_out' } });
      return ended;
    });
  }

  private info(token: string, session: Pick<WebSession, 'id' | 'expiresAt' | 'lastSeenAt'>): SessionInfo {
    const idle = new Date(Date.parse(session.lastSeenAt) + this.settings.idleMs).toISOString();
    return { id: session.id, csrfToken: csrfTokenFor(token), expiresAt: session.expiresAt, idleExpiresAt: idle < session.expiresAt ? idle : session.expiresAt };
  }

  private refuseWhileLocked(states: Array<{ lockedUntil: string | null }>, now: Date): void {
    const until = states.map((s) => s.lockedUntil).filter((u): u is string => u !== null && u > now.toISOString()).sort().at(-1);
    if (until !== undefined) throw this.lockedError(until, now);
  }

  private lockedError(until: string, now: Date): TooManyAttemptsError {
    const retryAfterSeconds = Math.max(1, Math.ceil((Date.parse(until) - now.getTime()) / 1000));
    return new TooManyAttemptsError(`Too many failed sign-ins: try again after ${until} (in ${retryAfterSeconds} s).`, { retryAt: until, retryAfterSeconds });
  }

  /** Counts a failure for the username and the address; locks a key past its limit. Returns the lock's end, if any. */
  private async recordFailure(input: SignInInput, keys: string[]): Promise<string | null> {
    return this.uow.transaction(async (tx) => {
      const resetBefore = new Date(Date.parse(tx.now) - FAILURE_MEMORY_MS).toISOString();
      let lockedUntil: string | null = null;
      for (const key of keys) {
        const failures = await tx.stores.loginThrottle.addFailure(key, tx.now, resetBefore);
        const limit = key.startsWith('user:') ? this.settings.maxFailures : this.settings.maxFailuresPerAddress;
        if (failures < limit) continue;
        const cap = Math.max(this.settings.lockoutMs, 3_600_000);
        const ms = Math.min(cap, this.settings.lockoutMs * 2 ** Math.min(failures - limit, 20));
        const until = new Date(Date.parse(tx.now) + ms).toISOString();
        await tx.stores.loginThrottle.lock(key, until);
        if (lockedUntil === null || until > lockedUntil) lockedUntil = until;
        await tx.record(anonymous(input.requestId), {
          action: 'session.locked',
          resourceType: 'login',
          resourceId: key,
          after: { key, failures, lockedUntil: until },
          event: { type: 'session.locked', payload: { key, failures, lockedUntil: until } },
        });
      }
      await tx.record(anonymous(input.requestId), {
        action: 'session.login_failed',
        resourceType: 'user',
        resourceId: input.username.slice(0, 100),
        after: { username: input.username.slice(0, 100), address: input.address },
      });
      return lockedUntil;
    });
  }
}

function throttleKeys(username: string, address: string | null): string[] {
  const keys = [`user:${username.toLowerCase().slice(0, 100)}`];
  if (address) keys.push(`address:${address}`);
  return keys;
}

function anonymous(requestId: string | null): RequestContext {
  return { actor: { userId: null, username: 'anonymous', role: 'viewer', tokenId: null }, requestId };
}
