import type { Kysely } from 'kysely';

// Progressive rollouts (issue 13): rollouts with their state machine as JSON plus the columns the
// ticker claims on, every decision and measurement, per-project analysis templates and plans, and
// ingested request metrics aggregated per minute. Portable columns only (docs/decisions/0002).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rollouts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('project_key', 'text', (c) => c.notNull())
    .addColumn('environment_key', 'text', (c) => c.notNull())
    .addColumn('target_kind', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('plan_name', 'text')
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('step_index', 'integer', (c) => c.notNull())
    .addColumn('weight', 'double precision', (c) => c.notNull())
    // Optimistic concurrency: every write of the state checks and bumps it.
    .addColumn('revision', 'integer', (c) => c.notNull())
    // Set while the rollout holds its target (one active rollout per flag and environment); null once done.
    .addColumn('active_key', 'text', (c) => c.unique())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('next_check_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('rollouts_due_idx').on('rollouts').columns(['next_check_at']).execute();
  await db.schema.createIndex('rollouts_project_idx').on('rollouts').columns(['project_id', 'id']).execute();

  await db.schema
    .createTable('rollout_decisions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('rollout_id', 'text', (c) => c.notNull().references('rollouts.id'))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('step_index', 'integer', (c) => c.notNull())
    .addColumn('weight', 'double precision', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('data', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rollout_decisions_rollout_idx').on('rollout_decisions').columns(['rollout_id', 'id']).execute();

  await db.schema
    .createTable('rollout_measurements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('rollout_id', 'text', (c) => c.notNull().references('rollouts.id'))
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('phase', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision')
    .addColumn('baseline', 'double precision')
    .addColumn('message', 'text')
    .addColumn('data', 'text')
    // A measurement is recorded once per (run, metric, sequence number), whichever server took it.
    .addUniqueConstraint('rollout_measurements_once_uq', ['rollout_id', 'run_id', 'metric', 'seq'])
    .execute();

  for (const table of ['analysis_templates', 'rollout_plans'] as const) {
    await db.schema
      .createTable(table)
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addUniqueConstraint(`${table}_name_uq`, ['project_id', 'name'])
      .execute();
  }

  let points = db.schema
    .createTable('metric_points')
    .addColumn('project_key', 'text', (c) => c.notNull())
    .addColumn('environment_key', 'text', (c) => c.notNull())
    .addColumn('minute', 'text', (c) => c.notNull())
    // '' when the point has no version / flag / variant, so the key has no nulls.
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('flag', 'text', (c) => c.notNull())
    .addColumn('variant', 'text', (c) => c.notNull())
    .addColumn('requests', 'bigint', (c) => c.notNull())
    .addColumn('errors', 'bigint', (c) => c.notNull())
    .addColumn('latency_count', 'bigint', (c) => c.notNull())
    .addColumn('latency_sum', 'double precision', (c) => c.notNull());
  for (let i = 0; i < 12; i++) points = points.addColumn(`b${i}`, 'bigint', (c) => c.notNull());
  await points.addPrimaryKeyConstraint('metric_points_pk', ['project_key', 'environment_key', 'minute', 'version', 'flag', 'variant']).execute();
  await db.schema.createIndex('metric_points_minute_idx').on('metric_points').columns(['minute']).execute();
  // Analysis reads one series over a few minutes: by flag (and variant), or by version.
  await db.schema.createIndex('metric_points_flag_idx').on('metric_points').columns(['project_key', 'environment_key', 'flag', 'variant', 'minute']).execute();
  await db.schema.createIndex('metric_points_version_idx').on('metric_points').columns(['project_key', 'environment_key', 'version', 'minute']).execute();
}

export async function down(): Promise<void> {
  throw new Error('Slipway migrations are forward-only');
}
