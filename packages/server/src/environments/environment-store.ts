import type { Kysely, Selectable } from 'kysely';
import { lockRows, selectForUpdate } from '../db/row-lock.js';
import type { Database, EnvironmentTable } from '../db/schema.js';

/** `public`: anyone reaching Slipway; `key`: with an SDK key of the project and environment; `off`: nobody. */
export const BADGE_ACCESS = ['public', 'key', 'off'] as const;
export type BadgeAccess = (typeof BADGE_ACCESS)[number];

export interface Environment {
  id: string;
  key: string;
  name: string;
  rank: number;
  protected: boolean;
  color: string;
  /** Production-marked: the environment badge draws nothing there. Always set when read; optional to write (default false). */
  production?: boolean;
  /** Who may load the environment badge (GET /badge.js). Always set when read; optional to write (default public). */
  badge?: BadgeAccess;
  /** Deployment settings (sign-offs, approvals, windows, …); shaped by the deployments feature. */
  settings: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  /** Counted up by every write (0011); with the id, the ETag of GET and PATCH. */
  version: number;
}

function toEnvironment(row: Selectable<EnvironmentTable>): Environment {
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    rank: row.rank,
    protected: row.protected === 1,
    color: row.color,
    production: row.production === 1,
    badge: (BADGE_ACCESS as readonly string[]).includes(row.badge) ? (row.badge as BadgeAccess) : 'off',
    settings: JSON.parse(row.settings) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

export class EnvironmentStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** A new row starts at version 1 (the column's default). */
  async insert(env: Omit<Environment, 'version'>): Promise<void> {
    await this.db
      .insertInto('environments')
      .values({
        id: env.id,
        key: env.key,
        name: env.name,
        rank: env.rank,
        protected: env.protected ? 1 : 0,
        color: env.color,
        production: env.production ? 1 : 0,
        badge: env.badge ?? 'public',
        settings: JSON.stringify(env.settings),
        created_at: env.createdAt,
        updated_at: env.updatedAt,
      })
      .execute();
  }

  async get(key: string): Promise<Environment | null> {
    const row = await this.db.selectFrom('environments').selectAll().where('key', '=', key).executeTakeFirst();
    return row ? toEnvironment(row) : null;
  }

  /**
   * Reads the environment and locks its row until the transaction ends, for read-merge-write
   * (PostgreSQL `FOR UPDATE`). SQLite has one writer at a time: a no-op write first takes the
   * write lock at once, so a transaction never reads and then fails to upgrade (SQLITE_BUSY).
   */
  async getForUpdate(key: string): Promise<Environment | null> {
    if (selectForUpdate(this.db)) {
      const row = await this.db.selectFrom('environments').selectAll().where('key', '=', key).forUpdate().executeTakeFirst();
      return row ? toEnvironment(row) : null;
    }
    await lockRows(this.db, 'environments', { key });
    return this.get(key);
  }

  /** All environments by rank; there are few of them (an organisation has a handful). */
  async all(): Promise<Environment[]> {
    const rows = await this.db.selectFrom('environments').selectAll().orderBy('rank', 'asc').orderBy('key', 'asc').execute();
    return rows.map(toEnvironment);
  }

  async page(after: [number, string] | null, limit: number): Promise<Environment[]> {
    let query = this.db.selectFrom('environments').selectAll();
    if (after !== null) {
      const [rank, key] = after;
      query = query.where((eb) => eb.or([eb('rank', '>', rank), eb.and([eb('rank', '=', rank), eb('key', '>', key)])]));
    }
    const rows = await query.orderBy('rank', 'asc').orderBy('key', 'asc').limit(limit).execute();
    return rows.map(toEnvironment);
  }

  async update(env: Environment): Promise<void> {
    await this.db
      .updateTable('environments')
      .set({
        name: env.name,
        rank: env.rank,
        protected: env.protected ? 1 : 0,
        color: env.color,
        production: env.production ? 1 : 0,
        badge: env.badge ?? 'public',
        settings: JSON.stringify(env.settings),
        updated_at: env.updatedAt,
        version: (eb) => eb('version', '+', 1),
      })
      .where('id', '=', env.id)
      .execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('environments').where('id', '=', id).execute();
  }
}
