import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export const isPostgres = (db: Kysely<Database>): boolean => db.getExecutor().adapter instanceof PostgresAdapter;

/** Column values a row must have; a list means any of them (`id = x` or `name = x`). */
export type RowMatch = Record<string, string> | Array<Record<string, string>>;

let enabled = true;

/**
 * Turns row locks off in this process, for `bench/patch-concurrency.mjs` only (its launcher
 * calls it): the benchmark shows the lost updates the locks prevent. No server setting does.
 */
export function disableRowLocksForBenchmark(): void {
  enabled = false;
}

/** True on PostgreSQL while row locks are on: a store may then read and lock in one `SELECT … FOR UPDATE`. */
export const selectForUpdate = (db: Kysely<Database>): boolean => enabled && isPostgres(db);

/**
 * Locks the matching rows of `table` until the transaction ends, so the read-merge-write that
 * follows sees every committed change and no other writer interleaves (issue 11 §1).
 * PostgreSQL: `SELECT … FOR UPDATE`. SQLite has one writer at a time; a no-op write takes that
 * lock at the start, so a transaction never reads first and then fails to upgrade its read lock
 * (SQLITE_BUSY) when another process writes the same file.
 */
export async function lockRows(db: Kysely<Database>, table: keyof Database & string, match: RowMatch): Promise<void> {
  if (!enabled) return;
  const alternatives = (Array.isArray(match) ? match : [match]).map((m) =>
    sql`(${sql.join(
      Object.entries(m).map(([column, value]) => sql`${sql.ref(column)} = ${value}`),
      sql` and `,
    )})`,
  );
  const where = sql.join(alternatives, sql` or `);
  const first = Object.keys(Array.isArray(match) ? match[0]! : match)[0]!;
  if (isPostgres(db)) await sql`select 1 from ${sql.table(table)} where ${where} for update`.execute(db);
  else await sql`update ${sql.table(table)} set ${sql.ref(first)} = ${sql.ref(first)} where ${where}`.execute(db);
}
