import { sql, type Kysely } from 'kysely';

// Insights (issue 14): bugs, incidents, test runs and their schedules, failing-test tracking, version
// requirements, the release calendar, exactly-once job markers, a durable outbox cursor and derived
// lead times. Everything else the insights read (deployments, releases, sign-offs) already exists:
// only indexes are added there. Portable columns only.
export async function up(db: Kysely<unknown>): Promise<void> {
  // DORA and quality read deployments and sign-offs by time range.
  await db.schema.createIndex('deployments_env_finished_idx').on('deployments').columns(['environment_key', 'finished_at']).execute();
  await db.schema.createIndex('deployments_project_env_finished_idx').on('deployments').columns(['project_id', 'environment_key', 'finished_at']).execute();
  await db.schema.createIndex('signoffs_created_idx').on('signoffs').columns(['created_at']).execute();

  await db.schema
    .createTable('bugs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('project_key', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('ticket', 'text')
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('found_in', 'text', (c) => c.notNull())
    .addColumn('version', 'text')
    .addColumn('regression', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('found_at', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('fixed_in', 'text')
    .addColumn('fixed_at', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // One bug per ticket and project: a tracker webhook or an import sent twice does not count twice.
  await db.schema.createIndex('bugs_project_ticket_uq').on('bugs').columns(['project_id', 'ticket']).unique().where(sql.ref('ticket'), 'is not', null).execute();
  await db.schema.createIndex('bugs_found_idx').on('bugs').columns(['found_at']).execute();
  await db.schema.createIndex('bugs_project_found_idx').on('bugs').columns(['project_id', 'found_at']).execute();

  await db.schema
    .createTable('incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text')
    .addColumn('project_key', 'text')
    .addColumn('environment_key', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('severity', 'text')
    .addColumn('deployment_id', 'text')
    .addColumn('version', 'text')
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('incidents_env_opened_idx').on('incidents').columns(['environment_key', 'opened_at']).execute();

  // Derived, never edited: every successful deployment, the version it shipped and the commits it brought
  // to its environment first.
  await db.schema
    .createTable('insight_lead_times')
    .addColumn('deployment_id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('environment_key', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text', (c) => c.notNull())
    // 1 for the version's first success in the environment: when the release "shipped" there.
    .addColumn('first_of_version', 'integer', (c) => c.notNull())
    .addColumn('commits', 'integer', (c) => c.notNull())
    .addColumn('features', 'integer', (c) => c.notNull())
    // Seconds from each commit's time to the deployment, sorted, as a JSON array.
    .addColumn('lead_seconds', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('insight_lead_times_env_idx').on('insight_lead_times').columns(['environment_key', 'finished_at']).execute();
  await db.schema.createIndex('insight_lead_times_project_idx').on('insight_lead_times').columns(['project_id', 'environment_key', 'finished_at']).execute();

  await db.schema
    .createTable('test_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('project_key', 'text', (c) => c.notNull())
    .addColumn('environment_key', 'text')
    .addColumn('version', 'text')
    .addColumn('suite', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('errors', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('flaky', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('duration_ms', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('message', 'text')
    .addColumn('schedule_id', 'text')
    // A deployment's smoke check becomes one run; the unique key makes that happen once.
    .addColumn('deployment_id', 'text', (c) => c.unique())
    .addColumn('executor', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('deadline_at', 'text')
    .addColumn('next_check_at', 'text')
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('test_runs_project_idx').on('test_runs').columns(['project_id', 'id']).execute();
  await db.schema.createIndex('test_runs_version_idx').on('test_runs').columns(['project_id', 'version', 'id']).execute();
  await db.schema.createIndex('test_runs_schedule_idx').on('test_runs').columns(['schedule_id', 'id']).execute();
  await db.schema.createIndex('test_runs_work_idx').on('test_runs').columns(['status', 'next_check_at']).execute();

  // Only what did not pass is kept per test (failures, errors, flaky passes): a 10,000-test upload
  // that passes stores one row.
  await db.schema
    .createTable('test_failures')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('test_key', 'text', (c) => c.notNull())
    .addColumn('suite', 'text', (c) => c.notNull())
    .addColumn('classname', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('detail', 'text')
    .addColumn('duration_ms', 'integer')
    .execute();
  await db.schema.createIndex('test_failures_run_idx').on('test_failures').columns(['run_id', 'kind']).execute();

  // Tests failing now, per project and environment: a test opens a tracker task when it enters, and
  // not again until it has passed and failed anew.
  await db.schema
    .createTable('failing_tests')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('environment_key', 'text', (c) => c.notNull())
    .addColumn('test_key', 'text', (c) => c.notNull())
    .addColumn('suite', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('since_run_id', 'text', (c) => c.notNull())
    .addColumn('since_at', 'text', (c) => c.notNull())
    .addColumn('last_run_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('failing_tests_pk', ['project_id', 'environment_key', 'test_key'])
    .execute();

  await db.schema
    .createTable('test_schedules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('project_key', 'text', (c) => c.notNull())
    .addColumn('environment_key', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('cron', 'text', (c) => c.notNull())
    .addColumn('timezone', 'text', (c) => c.notNull())
    .addColumn('suite', 'text', (c) => c.notNull())
    .addColumn('executor', 'text', (c) => c.notNull())
    .addColumn('timeout_ms', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('next_fire_at', 'text')
    .addColumn('last_fired_at', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('test_schedules_project_name_uq', ['project_id', 'name'])
    .execute();
  await db.schema.createIndex('test_schedules_due_idx').on('test_schedules').columns(['enabled', 'next_fire_at']).execute();

  // Optional deploy gate per environment: "the last run of this suite on this version passed".
  await db.schema
    .createTable('test_gates')
    .addColumn('environment_key', 'text', (c) => c.primaryKey())
    .addColumn('suite', 'text', (c) => c.notNull())
    .addColumn('source_environment', 'text')
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  // Requirements on other projects: per release (version) or for the whole project (version '').
  await db.schema
    .createTable('project_requirements')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('requires_project', 'text', (c) => c.notNull())
    .addColumn('version_range', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('project_requirements_pk', ['project_id', 'version', 'requires_project'])
    .execute();
  await db.schema.createIndex('project_requirements_required_idx').on('project_requirements').columns(['requires_project']).execute();
  // Where a release's requirements came from (read once from its commit: commits never change).
  await db.schema
    .createTable('release_requirement_sources')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('file', 'text')
    .addColumn('note', 'text')
    .addColumn('read_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('release_requirement_sources_pk', ['project_id', 'version'])
    .execute();

  await db.schema
    .createTable('calendar_schedules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text')
    .addColumn('project_key', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('rrule', 'text', (c) => c.notNull())
    .addColumn('starts_at', 'text', (c) => c.notNull())
    .addColumn('timezone', 'text', (c) => c.notNull())
    .addColumn('duration_minutes', 'integer', (c) => c.notNull())
    .addColumn('remind_minutes', 'integer')
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('calendar_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();

  // A job occurrence (a weekly digest, a calendar reminder) is done once: whoever inserts its row
  // first sends it, on any replica, before or after a restart.
  await db.schema
    .createTable('job_fires')
    .addColumn('job_key', 'text', (c) => c.notNull())
    .addColumn('fire_at', 'text', (c) => c.notNull())
    .addColumn('fired_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('job_fires_pk', ['job_key', 'fire_at'])
    .execute();

  // Durable outbox consumers: a cursor per consumer, and the events handled after it (see outbox-consumer.ts).
  await db.schema
    .createTable('outbox_consumers')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('position', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('outbox_consumed')
    .addColumn('consumer', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('outbox_consumed_pk', ['consumer', 'event_id'])
    .execute();
  // Where the consumers start: smoke checks of every past deployment become test runs; releases link
  // only bugs recorded from now on (there were none before), so that one starts at the current end.
  const now = new Date().toISOString();
  await sql`insert into outbox_consumers (name, position, updated_at) values ('insights.smoke-runs', '', ${now})`.execute(db);
  await sql`insert into outbox_consumers (name, position, updated_at) select 'insights.bug-fixes', coalesce(max(id), ''), ${now} from outbox`.execute(db);

  await db.schema
    .createTable('insight_settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Slipway migrations are forward-only');
}
