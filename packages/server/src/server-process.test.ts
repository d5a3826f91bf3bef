import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runServerExpectingFailure, startServerProcess } from './testing/server-process.js';
import { createEmptyPostgresDatabase, DIALECTS } from './testing/test-database.js';

const TOKEN = 'slw_restart-test-token-0123456789';

async function api(url: string, method: string, pathname: string, body?: unknown, token = TOKEN): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: res.status === 204 ? null : await res.json() };
}

describe.each(DIALECTS)('the server process on %s', (dialect) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function databaseEnv(): Promise<Record<string, string>> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-proc-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    if (dialect === 'sqlite') return { SLIPWAY_DATA_DIR: dataDir };
    const pgdb = await createEmptyPostgresDatabase();
    cleanups.push(pgdb.drop);
    return { SLIPWAY_DATA_DIR: dataDir, DATABASE_URL: pgdb.url };
  }

  it('keeps every row across a restart, migrates nothing the second time and ignores the bootstrap token once an admin exists', async () => {
    const env = await databaseEnv();
    const first = await startServerProcess({ ...env, SLIPWAY_BOOTSTRAP_TOKEN: TOKEN });
    expect(first.output()).toContain('Applied migrations: 0001-foundation');
    expect(first.output()).toContain('SLIPWAY_BOOTSTRAP_TOKEN');
    expect(first.output()).not.toContain(TOKEN);
    expect((await api(first.url, 'POST', '/api/v1/environments', { key: 'production', protected: true })).status).toBe(201);
    expect((await api(first.url, 'POST', '/api/v1/projects', { key: 'api', repository: '/srv/git/api.git', verify: false })).status).toBe(201);
    const created = await api(first.url, 'POST', '/api/v1/tokens', { name: 'kept', role: 'viewer' });
    expect(await first.stop('SIGTERM')).toBe(0);

    const second = await startServerProcess({ ...env, SLIPWAY_BOOTSTRAP_TOKEN: 'slw_another-token-that-is-ignored' });
    try {
      expect(second.output()).not.toContain('Applied migrations');
      expect(second.output()).not.toContain('Created the admin user');
      expect((await api(second.url, 'GET', '/api/v1/projects/api')).json).toMatchObject({ key: 'api', lifecycle: ['production'] });
      expect((await api(second.url, 'GET', '/api/v1/environments/production')).json).toMatchObject({ protected: true });
      expect((await api(second.url, 'GET', '/api/v1/me', undefined, created.json.token)).json.role).toBe('viewer');
      expect((await api(second.url, 'GET', '/api/v1/me', undefined, 'slw_another-token-that-is-ignored')).status).toBe(401);
      const audit = await api(second.url, 'GET', '/api/v1/audit?resourceType=project');
      expect(audit.json.items.map((i: { action: string }) => i.action)).toEqual(['project.created']);
      expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
    } finally {
      expect(await second.stop('SIGINT')).toBe(0);
    }
  });

  it('prints a random admin token once on first start', async () => {
    const env = await databaseEnv();
    const first = await startServerProcess(env);
    const token = /Admin token \(shown once[^\n]*\n\n\s+(slw_\S+)/.exec(first.output())?.[1];
    expect(token).toBeDefined();
    expect((await api(first.url, 'GET', '/api/v1/me', undefined, token)).json.role).toBe('admin');
    await first.stop();
    const second = await startServerProcess(env);
    expect(second.output()).not.toContain('Admin token');
    await second.stop();
  });
});

describe('configuration errors at start', () => {
  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://nope' }, 'DATABASE_URL'],
  ])('stop the server with one line naming the variable and exit code 1 (%j)', async (env, variable) => {
    const { code, output } = await runServerExpectingFailure(env);
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output).toContain(`${variable}:`);
  });
});
