import { sql, type Kysely } from 'kysely';

// What the web app needs from the database (issue 12): browser sessions, the failed-login
// throttle, a per-project ticket link template and the last time each flag was evaluated.
// Portable columns only (docs/decisions/0002-portable-columns.md).
export async function up(db: Kysely<unknown>): Promise<void> {
  // Only the SHA-256 of a session token is stored, like API tokens.
  await db.schema
    .createTable('web_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('address', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('end_reason', 'text')
    .execute();
  await db.schema.createIndex('web_sessions_user_idx').on('web_sessions').columns(['user_id', 'id']).execute();

  // One row per throttled key (`user:<name>` or `address:<ip>`), kept in the database so every
  // replica and a restart see the same count.
  await db.schema
    .createTable('login_throttle')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('last_failure_at', 'text', (c) => c.notNull())
    .addColumn('locked_until', 'text')
    .execute();

  await db.schema.alterTable('projects').addColumn('ticket_url', 'text').execute();

  // Production-marked environments get no environment badge; the badge's visibility per environment.
  await db.schema.alterTable('environments').addColumn('production', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('environments').addColumn('badge', 'text', (c) => c.notNull().defaultTo('public')).execute();
  await sql`update environments set production = 1 where key in ('production', 'prod')`.execute(db);

  // Written by a periodic flush of counts aggregated in memory, never on the OFREP hot path.
  await db.schema
    .createTable('flag_evaluations')
    .addColumn('project_key', 'text', (c) => c.notNull())
    .addColumn('environment_key', 'text', (c) => c.notNull())
    .addColumn('flag_key', 'text', (c) => c.notNull())
    .addColumn('last_evaluated_at', 'text', (c) => c.notNull())
    .addColumn('evaluations', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('flag_evaluations_pk', ['project_key', 'environment_key', 'flag_key'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Slipway migrations are forward-only');
}
