import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestRepository, type TestRepository } from '../testing/git-fixtures.js';
import { startServerProcess, type ServerProcess } from '../testing/server-process.js';
import { createEmptyPostgresDatabase, DIALECTS } from '../testing/test-database.js';

const TOKEN = 'slw_crash-test-token-0123456789';

async function api(url: string, method: string, pathname: string, body?: unknown, token = TOKEN): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: res.status === 204 ? null : await res.json() };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe.each(DIALECTS)('deployments across a crash of the server process on %s', (dialect) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('after SIGKILL and a restart, a running command ends failed (interrupted) and a record target keeps waiting', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-crash-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = { SLIPWAY_DATA_DIR: dataDir, SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, SLIPWAY_DEPLOY_LEASE_MS: '1500' };
    if (dialect === 'postgres') {
      const pgdb = await createEmptyPostgresDatabase();
      cleanups.push(pgdb.drop);
      env.DATABASE_URL = pgdb.url;
    }
    const repo: TestRepository = await createTestRepository();
    cleanups.push(() => repo.cleanup());
    await repo.commit('feat: first');
    await repo.push();

    let server: ServerProcess = await startServerProcess(env);
    cleanups.push(async () => void (await server.stop('SIGKILL')));
    const marker = path.join(dataDir, 'started');
    expect((await api(server.url, 'POST', '/api/v1/environments', { key: 'cmd' })).status).toBe(201);
    expect((await api(server.url, 'POST', '/api/v1/environments', { key: 'rec' })).status).toBe(201);
    const patched = await api(server.url, 'PATCH', '/api/v1/environments/cmd', { targets: [{ key: 'eu', executor: { type: 'command', command: ['sh', '-c', `touch ${marker}; echo deploying; exec sleep 20`], timeoutMs: 60000 } }] });
    expect(patched.status).toBe(200);
    expect((await api(server.url, 'POST', '/api/v1/projects', { key: 'api', repository: repo.remote, lifecycle: ['cmd'] })).status).toBe(201);
    const release = await api(server.url, 'POST', '/api/v1/projects/api/releases', {});
    expect(release.status).toBe(201);
    const version = release.json.version;

    // A record target (another project, same remote) waits for a report that arrives after the crash.
    expect((await api(server.url, 'POST', '/api/v1/projects', { key: 'web', repository: repo.remote, lifecycle: ['rec'], tagTemplate: '{project}-v{version}' })).status).toBe(201);
    const webRelease = await api(server.url, 'POST', '/api/v1/projects/web/releases', {});
    const waiting = await api(server.url, 'POST', '/api/v1/projects/web/deployments', { version: webRelease.json.version, environment: 'rec' });
    expect(waiting.status).toBe(201);

    const deployed = await api(server.url, 'POST', '/api/v1/projects/api/deployments', { version, environment: 'cmd' });
    expect(deployed.status).toBe(201);
    const id = deployed.json.id;
    await waitFor('the command to start', async () => (fs.existsSync(marker) ? true : undefined));
    await waitFor('the record target to wait', async () => ((await api(server.url, 'GET', `/api/v1/deployments/${waiting.json.id}`)).json.status === 'running' ? true : undefined));
    expect((await api(server.url, 'GET', `/api/v1/deployments/${id}`)).json.status).toBe('running');

    await server.stop('SIGKILL');
    server = await startServerProcess(env);

    const ended = await waitFor('the interrupted deployment to end', async () => {
      const d = (await api(server.url, 'GET', `/api/v1/deployments/${id}`)).json;
      return ['succeeded', 'failed'].includes(d.status) ? d : undefined;
    });
    expect(ended).toMatchObject({ status: 'failed', failure: { reason: 'interrupted', target: 'eu' } });
    expect(ended.targets[0].message).toContain('interrupted');
    const status = (await api(server.url, 'GET', '/api/v1/status?project=api')).json;
    expect(status.items[0].inFlight).toBeNull();
    // The environment is free again.
    expect((await api(server.url, 'GET', '/api/v1/projects/api/deployments?status=running')).json.items).toEqual([]);

    // The record target still waits, and its callback token still works after the restart.
    expect((await api(server.url, 'GET', `/api/v1/deployments/${waiting.json.id}`)).json.status).toBe('running');
    const report = await api(server.url, 'POST', `/api/v1/deployments/${waiting.json.id}/status`, { target: 'default', status: 'succeeded' }, waiting.json.callbackToken);
    expect(report.status).toBe(200);
    const done = await waitFor('the record deployment to end', async () => {
      const d = (await api(server.url, 'GET', `/api/v1/deployments/${waiting.json.id}`)).json;
      return d.status === 'succeeded' ? d : undefined;
    });
    expect(done.status).toBe('succeeded');
    await server.stop();
  });
});
