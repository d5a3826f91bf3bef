import type { Kysely, Selectable } from 'kysely';
import type { Database, EnvironmentTable } from '../db/schema.js';

export interface Environment {
  id: string;
  key: string;
  name: string;
  rank: number;
  protected: boolean;
  color: string;
  /** Deployment settings (sign-offs, approvals, windows, …); shaped by the deployments feature. */
  settings: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

function toEnvironment(row: Selectable<EnvironmentTable>): Environment {
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    rank: row.rank,
    protected: row.protected === 1,
    color: row.color,
    settings: JSON.parse(row.settings) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class EnvironmentStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(env: Environment): Promise<void> {
    await this.db
      .insertInto('environments')
      .values({
        id: env.id,
        key: env.key,
        name: env.name,
        rank: env.rank,
        protected: env.protected ? 1 : 0,
        color: env.color,
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
        settings: JSON.stringify(env.settings),
        updated_at: env.updatedAt,
      })
      .where('id', '=', env.id)
      .execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('environments').where('id', '=', id).execute();
  }
}
