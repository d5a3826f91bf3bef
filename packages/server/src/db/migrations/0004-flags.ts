import type { Kysely } from 'kysely';

// Feature flags, segments, SDK keys, and the per-environment version counter and change log
// that SDK streams resume from. Environment keys are stored as text (no foreign key): an
// environment is an organisation-wide key, and deleting one must not be blocked by flag rows.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('flags')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('variants', 'text', (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    // The last change to the flag or to any of its environments (stale detection reads it).
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('flags_project_key_uq', ['project_id', 'key'])
    .execute();

  await db.schema
    .createTable('flag_environments')
    .addColumn('flag_id', 'text', (c) => c.notNull().references('flags.id'))
    .addColumn('environment_key', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('flag_environments_pk', ['flag_id', 'environment_key'])
    .execute();

  await db.schema
    .createTable('segments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('conditions', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('segments_project_key_uq', ['project_id', 'key'])
    .execute();

  await db.schema
    .createTable('sdk_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('project_key', 'text', (c) => c.notNull())
    .addColumn('environment_key', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('sdk_keys_environment_idx').on('sdk_keys').columns(['project_id', 'environment_key', 'id']).execute();

  // One row per (project, environment): the rule set version, bumped in the transaction of every
  // change (UPDATE … RETURNING serialises concurrent writers on PostgreSQL).
  await db.schema
    .createTable('flag_versions')
    .addColumn('project_key', 'text', (c) => c.notNull())
    .addColumn('environment_key', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('flag_versions_pk', ['project_key', 'environment_key'])
    .execute();

  // The bounded change log SDK streams resume from (Last-Event-ID), shared by every replica.
  await db.schema
    .createTable('flag_changes')
    .addColumn('project_key', 'text', (c) => c.notNull())
    .addColumn('environment_key', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('patch', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('flag_changes_pk', ['project_key', 'environment_key', 'version'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Slipway migrations are forward-only');
}
