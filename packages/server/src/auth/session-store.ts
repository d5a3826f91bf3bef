import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Role } from './roles.js';

/** A browser session as stored: the token itself is never stored, only its SHA-256. */
export interface WebSession {
  id: string;
  userId: string;
  address: string | null;
  userAgent: string | null;
  createdAt: string;
  lastSeenAt: string;
  /** Absolute expiry: the session ends then whatever the activity. */
  expiresAt: string;
  endedAt: string | null;
  endReason: string | null;
}

export interface SessionWithOwner extends WebSession {
  username: string;
  userRole: Role;
  userDisabled: boolean;
}

export class SessionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(session: WebSession & { tokenHash: string }): Promise<void> {
    await this.db
      .insertInto('web_sessions')
      .values({
        id: session.id,
        user_id: session.userId,
        token_hash: session.tokenHash,
        address: session.address,
        user_agent: session.userAgent,
        created_at: session.createdAt,
        last_seen_at: session.lastSeenAt,
        expires_at: session.expiresAt,
        ended_at: session.endedAt,
        end_reason: session.endReason,
      })
      .execute();
  }

  async findByHash(tokenHash: string): Promise<SessionWithOwner | null> {
    const row = await this.db
      .selectFrom('web_sessions')
      .innerJoin('users', 'users.id', 'web_sessions.user_id')
      .selectAll('web_sessions')
      .select(['users.username as username', 'users.role as user_role', 'users.disabled as user_disabled'])
      .where('web_sessions.token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (!row) return null;
    return {
      id: row.id,
      userId: row.user_id,
      address: row.address,
      userAgent: row.user_agent,
      createdAt: row.created_at,
      lastSeenAt: row.last_seen_at,
      expiresAt: row.expires_at,
      endedAt: row.ended_at,
      endReason: row.end_reason,
      username: row.username,
      userRole: row.user_role as Role,
      userDisabled: row.user_disabled === 1,
    };
  }

  async touch(id: string, at: string): Promise<void> {
    await this.db.updateTable('web_sessions').set({ last_seen_at: at }).where('id', '=', id).execute();
  }

  /** Ends one session; false when it had already ended. */
  async end(id: string, at: string, reason: string): Promise<boolean> {
    const result = await this.db.updateTable('web_sessions').set({ ended_at: at, end_reason: reason }).where('id', '=', id).where('ended_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Ends every open session of a user (password changed, user disabled); returns how many. */
  async endAllOfUser(userId: string, at: string, reason: string): Promise<number> {
    const result = await this.db.updateTable('web_sessions').set({ ended_at: at, end_reason: reason }).where('user_id', '=', userId).where('ended_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
