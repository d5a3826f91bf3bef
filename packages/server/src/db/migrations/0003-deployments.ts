import type { Kysely } from 'kysely';

// Sign-offs, deployments (with targets, approvals and logs), the per-(project, environment) state
// the status matrix reads, and running-version heartbeats. Portable columns only.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('signoffs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('environment_key', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('comment', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('signoffs_release_idx').on('signoffs').columns(['project_id', 'version', 'id']).execute();

  await db.schema
    .createTable('deployments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('project_key', 'text', (c) => c.notNull())
    .addColumn('environment_key', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('commit_sha', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('rollback_of', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('phase', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('override_reason', 'text')
    .addColumn('overridden', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('requested_by_id', 'text')
    .addColumn('approvals_required', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('approval_roles', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('smoke', 'text')
    .addColumn('auto_rollback', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('callback_token_hash', 'text', (c) => c.notNull())
    .addColumn('failure_reason', 'text')
    .addColumn('failure_target', 'text')
    // Set to "<project_id>/<environment>" while pending or running, NULL once finished: the unique
    // index makes "one in flight per project and environment" hold under concurrent requests on
    // both dialects (NULLs never collide).
    .addColumn('in_flight_key', 'text', (c) => c.unique())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('next_check_at', 'text')
    // Bumped by whoever asks the runner to look (a callback, an approval): a runner giving its lease
    // back keeps such a request instead of overwriting it.
    .addColumn('wake', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('deployments_project_env_idx').on('deployments').columns(['project_id', 'environment_key', 'id']).execute();
  await db.schema.createIndex('deployments_project_idx').on('deployments').columns(['project_id', 'id']).execute();
  await db.schema.createIndex('deployments_work_idx').on('deployments').columns(['in_flight_key', 'next_check_at']).execute();

  await db.schema
    .createTable('deployment_targets')
    .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id'))
    .addColumn('target_key', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('executor', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('deadline_at', 'text')
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addPrimaryKeyConstraint('deployment_targets_pk', ['deployment_id', 'target_key'])
    .execute();

  await db.schema
    .createTable('deployment_approvals')
    .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id'))
    .addColumn('user_key', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('deployment_approvals_pk', ['deployment_id', 'user_key'])
    .execute();

  await db.schema
    .createTable('deployment_logs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('deployment_id', 'text', (c) => c.notNull())
    .addColumn('target_key', 'text')
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('line', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('deployment_logs_deployment_idx').on('deployment_logs').columns(['deployment_id', 'id']).execute();

  await db.schema
    .createTable('deployment_state')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('environment_key', 'text', (c) => c.notNull())
    .addColumn('current', 'text')
    .addColumn('previous', 'text')
    .addColumn('in_flight', 'text')
    .addColumn('targets', 'text', (c) => c.notNull().defaultTo('{}'))
    // Derived at write time so the status matrix is built from these columns without parsing JSON.
    .addColumn('current_version', 'text')
    .addColumn('targets_differ', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('deployment_state_pk', ['project_id', 'environment_key'])
    .execute();

  // One row, bumped in the same transaction as every change of deployment_state: a server may keep
  // the status matrix it built in memory for as long as the revision has not moved.
  await db.schema
    .createTable('status_revision')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .execute();
  await db.insertInto('status_revision' as never).values({ id: 1, revision: 0 } as never).execute();

  await db.schema
    .createTable('heartbeats')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('environment_key', 'text', (c) => c.notNull())
    .addColumn('instance', 'text', (c) => c.notNull())
    .addColumn('target_key', 'text')
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('seen_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('heartbeats_pk', ['project_id', 'environment_key', 'instance'])
    .execute();
  await db.schema.createIndex('heartbeats_seen_idx').on('heartbeats').column('seen_at').execute();
}

export async function down(): Promise<void> {
  throw new Error('Slipway migrations are forward-only');
}
