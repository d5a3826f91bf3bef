import { sql, type Kysely } from 'kysely';

// The deployment runner asks every 500 ms which in-flight deployments are due. Only those few rows
// are in this index, so the question costs the same at 100,000 finished deployments as at ten:
// SQLite had no index it would use and scanned the whole table on the event loop, and PostgreSQL
// did the same until its statistics caught up (docs/benchmarks.md, "the status matrix again").
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('deployments_due_idx').on('deployments').column('next_check_at').where(sql.ref('in_flight_key'), 'is not', null).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('deployments_due_idx').execute();
}
