import type { Kysely } from 'kysely';

// Adopting repositories that already have tags, and per-project release rules:
// - projects.release_rules: the project's rules as JSON, null while it follows the defaults;
// - releases.imported_at: set on releases adopted from an existing tag (created_by is then "import").
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('projects').addColumn('release_rules', 'text').execute();
  await db.schema.alterTable('releases').addColumn('imported_at', 'text').execute();
}

export async function down(): Promise<void> {
  throw new Error('Slipway migrations are forward-only');
}
