import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Migrator, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase, type OpenDatabase } from '../connect.js';
import { MIGRATIONS } from './index.js';
import { createEmptyPostgresDatabase } from '../../testing/test-database.js';
import { DIALECTS } from '../../testing/test-database.js';

// Issue 10 §4: an environment's old single policy { required, roles } becomes one group, and a
// deployment waiting for approval under it keeps its policy as that group.
describe.each(DIALECTS)('migration 0007-deployment-trust on %s', (dialect) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  async function open(): Promise<OpenDatabase> {
    if (dialect === 'sqlite') {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-mig-'));
      const db = await openDatabase({ dialect: 'sqlite', file: path.join(dir, 'slipway.db') });
      cleanups.push(async () => {
        await db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      });
      return db;
    }
    const empty = await createEmptyPostgresDatabase();
    const db = await openDatabase({ dialect: 'postgres', url: empty.url, poolSize: 2 });
    cleanups.push(async () => {
      await db.close();
      await empty.drop();
    });
    return db;
  }

  it('turns { required, roles } into one group, on environments and on deployments waiting for approval', async () => {
    const database = await open();
    const before = Object.fromEntries(Object.entries(MIGRATIONS).filter(([name]) => name < '0007'));
    const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => before }, migrationTableName: 'slipway_migrations', migrationLockTableName: 'slipway_migrations_lock' });
    const { error } = await migrator.migrateToLatest();
    expect(error).toBeUndefined();
    const now = '2026-01-01T00:00:00.000Z';
    await sql`insert into environments (id, key, name, rank, protected, color, settings, created_at, updated_at) values ('e1', 'prod', 'prod', 10, 1, '#000000', ${JSON.stringify({ approvals: { required: 2, roles: ['release-manager'] }, requiredSignoffs: ['qa'] })}, ${now}, ${now}), ('e2', 'dev', 'dev', 0, 0, '#000000', ${JSON.stringify({ approvals: { required: 0, roles: [] } })}, ${now}, ${now})`.execute(database.db);
    await sql`insert into projects (id, key, name, repository, tag_template, ticket_pattern, initial_version, created_at, updated_at) values ('p1', 'shop', 'shop', '/srv/shop.git', 'v{version}', '[A-Z]+-\\d+', '1.0.0', ${now}, ${now})`.execute(database.db);
    await sql`insert into deployments (id, project_id, project_key, environment_key, version, tag, commit_sha, kind, status, phase, overridden, requested_by, approvals_required, approval_roles, auto_rollback, callback_token_hash, wake, created_at, updated_at)
      values ('d1', 'p1', 'shop', 'prod', '1.0.0', 'v1.0.0', 'abc', 'deploy', 'pending_approval', 'targets', '[]', 'eve', 2, '["release-manager"]', 0, 'x', 0, ${now}, ${now})`.execute(database.db);

    expect(await migrate(database.db)).toContain('0007-deployment-trust');
    const envs = await sql<{ key: string; settings: string }>`select key, settings from environments order by key`.execute(database.db);
    const settings = Object.fromEntries(envs.rows.map((r) => [r.key, JSON.parse(r.settings)]));
    expect(settings.prod).toEqual({ approvals: [{ name: 'approvers', required: 2, roles: ['release-manager'] }], requiredSignoffs: ['qa'] });
    expect(settings.dev.approvals).toEqual([]);
    const d = await sql<{ approval_groups: string }>`select approval_groups from deployments where id = 'd1'`.execute(database.db);
    expect(JSON.parse(d.rows[0]!.approval_groups)).toEqual([{ name: 'approvers', required: 2, roles: ['release-manager'], users: [] }]);
  });
});
