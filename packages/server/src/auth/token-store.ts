import type { Kysely, Selectable } from 'kysely';
import { lockRows } from '../db/row-lock.js';
import type { ApiTokenTable, Database } from '../db/schema.js';
import type { Role } from './roles.js';

export interface ApiToken {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  role: Role;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

/** A token found by its hash, with the owner's state needed to authenticate. */
export interface TokenWithOwner extends ApiToken {
  username: string;
  userRole: Role;
  userDisabled: boolean;
}

function toToken(row: Selectable<ApiTokenTable>): ApiToken {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    prefix: row.prefix,
    role: row.role as Role,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    createdAt: row.created_at,
  };
}

export class TokenStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Locks the token row until the transaction ends (revocation is recorded once). */
  async lock(id: string): Promise<void> {
    await lockRows(this.db, 'api_tokens', { id });
  }

  async insert(token: ApiToken & { tokenHash: string }): Promise<void> {
    await this.db
      .insertInto('api_tokens')
      .values({
        id: token.id,
        user_id: token.userId,
        name: token.name,
        token_hash: token.tokenHash,
        prefix: token.prefix,
        role: token.role,
        expires_at: token.expiresAt,
        revoked_at: token.revokedAt,
        last_used_at: token.lastUsedAt,
        created_at: token.createdAt,
      })
      .execute();
  }

  async findByHash(tokenHash: string): Promise<TokenWithOwner | null> {
    const row = await this.db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .selectAll('api_tokens')
      .select(['users.username as username', 'users.role as user_role', 'users.disabled as user_disabled'])
      .where('api_tokens.token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (!row) return null;
    return { ...toToken(row), username: row.username, userRole: row.user_role as Role, userDisabled: row.user_disabled === 1 };
  }

  async get(id: string): Promise<ApiToken | null> {
    const row = await this.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toToken(row) : null;
  }

  async list(filter: { userId?: string; afterId: string | null; limit: number }): Promise<ApiToken[]> {
    let query = this.db.selectFrom('api_tokens').selectAll();
    if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
    if (filter.afterId !== null) query = query.where('id', '>', filter.afterId);
    const rows = await query.orderBy('id', 'asc').limit(filter.limit).execute();
    return rows.map(toToken);
  }

  async revoke(id: string, at: string): Promise<void> {
    await this.db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  }

  async touch(id: string, at: string): Promise<void> {
    await this.db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}
