import type { Kysely } from 'kysely';

// Issue 11: a version per row that clients edit with PATCH, counted up by every write, so a
// PATCH can carry `If-Match` (the row's ETag) and be refused with 412 when someone saved in
// between (docs/decisions/0026-row-locks-and-versions.md). Portable columns only
// (docs/decisions/0002-portable-columns.md).
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['environments', 'flags', 'segments']) {
    await db.schema.alterTable(table).addColumn('version', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['environments', 'flags', 'segments']) await db.schema.alterTable(table).dropColumn('version').execute();
}
