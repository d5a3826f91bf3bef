import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('releases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('commit_sha', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('parent_version', 'text')
    .addColumn('previous_version', 'text')
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('changelog', 'text', (c) => c.notNull())
    .addColumn('tickets', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('releases_project_version_uq', ['project_id', 'version'])
    .addUniqueConstraint('releases_project_tag_uq', ['project_id', 'tag'])
    .addUniqueConstraint('releases_project_idempotency_uq', ['project_id', 'idempotency_key'])
    .execute();
  await db.schema.createIndex('releases_project_kind_idx').on('releases').columns(['project_id', 'kind', 'id']).execute();
}

export async function down(): Promise<void> {
  throw new Error('Slipway migrations are forward-only');
}
