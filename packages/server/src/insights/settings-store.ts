import type { Kysely } from 'kysely';
import { lockRows } from '../db/row-lock.js';
import type { Database } from '../db/schema.js';

/** Small named settings of the insights features (digest, bug intake), stored as JSON. */
export class InsightSettingsStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Locks the setting's row (when it exists) until the transaction ends. */
  async lock(key: string): Promise<void> {
    await lockRows(this.db, 'insight_settings', { key });
  }

  async get<T>(key: string): Promise<{ value: T; updatedBy: string; updatedAt: string } | null> {
    const row = await this.db.selectFrom('insight_settings').selectAll().where('key', '=', key).executeTakeFirst();
    return row ? { value: JSON.parse(row.value) as T, updatedBy: row.updated_by, updatedAt: row.updated_at } : null;
  }

  async put(key: string, value: unknown, by: string, at: string): Promise<void> {
    const row = { key, value: JSON.stringify(value), updated_by: by, updated_at: at };
    await this.db
      .insertInto('insight_settings')
      .values(row)
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: row.value, updated_by: by, updated_at: at }))
      .execute();
  }
}
