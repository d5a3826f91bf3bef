import { sql, type Kysely } from 'kysely';

// Issue 10 and 11 §2/§9: approval groups on deployments, a stop request per deployment and per
// target (multi-target deployments end only when every target has ended), who reported each
// heartbeat (instances are capped per reporter), and the drift already announced per cell.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deployments').addColumn('approval_groups', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  // Set when the runner must stop the other targets: "target_failed" or "cancelled".
  await db.schema.alterTable('deployments').addColumn('stop_reason', 'text').execute();
  await db.schema.alterTable('deployments').addColumn('rejected_by', 'text').execute();
  await db.schema.alterTable('deployments').addColumn('release_kind', 'text').execute();
  await db.schema.alterTable('deployment_targets').addColumn('stop_requested_at', 'text').execute();
  await db.schema.alterTable('heartbeats').addColumn('reporter', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.createIndex('heartbeats_reporter_idx').on('heartbeats').columns(['project_id', 'environment_key', 'reporter', 'seen_at']).execute();
  await db.schema.alterTable('deployment_state').addColumn('drift_announced', 'text').execute();
  // The status revision at which the row last changed: a server refreshes only the rows that moved.
  await db.schema.alterTable('deployment_state').addColumn('row_revision', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('deployment_state_revision_idx').on('deployment_state').column('row_revision').execute();
  await db.schema.createIndex('deployments_env_inflight_idx').on('deployments').columns(['environment_key', 'in_flight_key']).execute();

  // The old single policy { required, roles } becomes one group named "approvers".
  const rows = await sql<{ id: string; settings: string }>`select id, settings from environments`.execute(db);
  for (const row of rows.rows) {
    const settings = JSON.parse(row.settings) as Record<string, unknown>;
    const approvals = settings.approvals;
    if (approvals && typeof approvals === 'object' && !Array.isArray(approvals)) {
      const old = approvals as { required?: number; roles?: string[] };
      settings.approvals = (old.required ?? 0) > 0 ? [{ name: 'approvers', required: old.required, roles: old.roles ?? [] }] : [];
      await sql`update environments set settings = ${JSON.stringify(settings)} where id = ${row.id}`.execute(db);
    }
  }
  const deployments = await sql<{ id: string; approvals_required: number; approval_roles: string }>`select id, approvals_required, approval_roles from deployments where approvals_required > 0`.execute(db);
  for (const d of deployments.rows) {
    const groups = [{ name: 'approvers', required: d.approvals_required, roles: JSON.parse(d.approval_roles) as string[], users: [] }];
    await sql`update deployments set approval_groups = ${JSON.stringify(groups)} where id = ${d.id}`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('Slipway migrations are forward-only');
}
