import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export interface ThrottleState {
  key: string;
  failures: number;
  lastFailureAt: string;
  lockedUntil: string | null;
}

/** Failed sign-ins per key (`user:<name>`, `address:<ip>`), shared by every replica through the database. */
export class LoginThrottleStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(keys: string[]): Promise<ThrottleState[]> {
    if (keys.length === 0) return [];
    const rows = await this.db.selectFrom('login_throttle').selectAll().where('key', 'in', keys).execute();
    return rows.map((r) => ({ key: r.key, failures: r.failures, lastFailureAt: r.last_failure_at, lockedUntil: r.locked_until }));
  }

  /**
   * Counts one more failure atomically (concurrent failures are all counted); a count whose last
   * failure is older than `resetBefore` starts again at 1. Returns the new count.
   */
  async addFailure(key: string, at: string, resetBefore: string): Promise<number> {
    await this.db
      .insertInto('login_throttle')
      .values({ key, failures: 1, last_failure_at: at, locked_until: null })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          failures: sql<number>`case when login_throttle.last_failure_at < ${resetBefore} then 1 else login_throttle.failures + 1 end`,
          last_failure_at: at,
        }),
      )
      .execute();
    const row = await this.db.selectFrom('login_throttle').select('failures').where('key', '=', key).executeTakeFirstOrThrow();
    return row.failures;
  }

  async lock(key: string, until: string): Promise<void> {
    await this.db.updateTable('login_throttle').set({ locked_until: until }).where('key', '=', key).execute();
  }

  async clear(key: string): Promise<void> {
    await this.db.deleteFrom('login_throttle').where('key', '=', key).execute();
  }
}
