import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../notifications/receiver-fixtures.js';
import { startServerProcess, type ServerProcess } from '../testing/server-process.js';
import { createEmptyPostgresDatabase, DIALECTS } from '../testing/test-database.js';

const TOKEN = 'slw_schedule-restart-token-0123456789';
const SECRET = 'restart-hook-secret-0123456789';

async function api(url: string, method: string, pathname: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${pathname}`, { method, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined && { 'content-type': 'application/json' }) }, ...(body !== undefined && { body: JSON.stringify(body) }) });
  return { status: res.status, json: await res.json().catch(() => null) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The real server process, stopped before a schedule's time and started again after it: the missed
// occurrence fires once — not zero times, not twice — and its run reaches the executor once.
describe.each(DIALECTS)('a test schedule across a restart of the server process on %s', (dialect) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it('fires the occurrence missed while the server was down exactly once', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-schedule-restart-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = { SLIPWAY_DATA_DIR: dataDir, SLIPWAY_BOOTSTRAP_TOKEN: TOKEN };
    if (dialect === 'postgres') {
      const pg = await createEmptyPostgresDatabase();
      cleanups.push(() => pg.drop());
      env.DATABASE_URL = pg.url;
    }
    const hook: HttpReceiver = await startHttpReceiver({ secret: SECRET });
    cleanups.push(() => hook.close());
    let server: ServerProcess = await startServerProcess(env);
    cleanups.push(async () => void (await server.stop()));
    expect((await api(server.url, 'POST', '/api/v1/environments', { key: 'staging', rank: 30 })).status).toBe(201);
    expect((await api(server.url, 'POST', '/api/v1/projects', { key: 'shop', repository: '/srv/git/shop.git', verify: false })).status).toBe(201);
    // A daily schedule (seconds field) whose time is a few seconds away.
    const at = new Date(Date.now() + 6000);
    const cron = `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
    const created = await api(server.url, 'POST', '/api/v1/projects/shop/test-schedules', { name: 'daily', environment: 'staging', cron, timezone: 'UTC', executor: { type: 'webhook', url: `${hook.url}/e2e`, secret: SECRET } });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const due = Date.parse(created.json.nextFireAt);
    expect(due).toBeGreaterThan(Date.now());
    expect(await server.stop()).toBe(0);
    while (Date.now() < due + 1500) await sleep(100);
    expect(hook.requests).toHaveLength(0);

    server = await startServerProcess(env);
    const deadline = Date.now() + 20_000;
    while (hook.requests.length === 0 && Date.now() < deadline) await sleep(100);
    // Give a second pass (and a second server in the real world) the chance to fire it again; it must not.
    await sleep(1500);
    const runs = (await api(server.url, 'GET', '/api/v1/projects/shop/test-runs')).json.items;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ source: 'schedule', status: 'running', scheduleId: created.json.id });
    expect(hook.requests).toHaveLength(1);
    expect(hook.requests[0]!.signatureValid).toBe(true);
    const schedule = (await api(server.url, 'GET', '/api/v1/projects/shop/test-schedules/daily')).json;
    expect(Date.parse(schedule.nextFireAt) - due).toBe(86_400_000);
    expect(await server.stop()).toBe(0);
  }, 60_000);
});
