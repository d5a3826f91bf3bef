import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestRepository } from '../testing/git-fixtures.js';
import { startServerProcess, type ServerProcess } from '../testing/server-process.js';
import { createEmptyPostgresDatabase, DIALECTS } from '../testing/test-database.js';

const TOKEN = 'slw_rollout-replicas-token-0123456789';
const LEASE_MS = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api(url: string, method: string, pathname: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${pathname}`, { method, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined && { 'content-type': 'application/json' }) }, ...(body !== undefined && { body: JSON.stringify(body) }) });
  const json = res.status === 204 ? null : await res.json();
  if (res.status >= 400) throw new Error(`${method} ${pathname}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * Two server processes on one PostgreSQL database. The analysis provider answers slowly, so the
 * server measuring holds the rollout's lease for a while; the test SIGKILLs that server in the
 * middle of a measurement at 20 %. The other one takes the rollout over once the lease has expired
 * and finishes the plan: every step once, in order, every measurement recorded once.
 */
describe.each(DIALECTS.filter((d) => d === 'postgres'))('rollouts across two replicas on %s', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it('a replica killed mid-step: the other continues after the lease, no step skipped or repeated', { timeout: 120_000 }, async () => {
    const db = await createEmptyPostgresDatabase();
    cleanups.push(db.drop);
    const requests: Array<{ at: number; release: () => void }> = [];
    // The metric source: answers after a delay (held by the test around the kill).
    const slow = http.createServer((req, res) => {
      const entry = { at: Date.now(), release: () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"value": 0.001}') };
      requests.push(entry);
      setTimeout(entry.release, 300);
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => slow.close(() => r())));
    const metricsUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;

    const servers: ServerProcess[] = [];
    for (const name of ['a', 'b']) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `slipway-replica-${name}-`));
      cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
      const server = await startServerProcess({
        SLIPWAY_DATA_DIR: dataDir,
        DATABASE_URL: db.url,
        SLIPWAY_BOOTSTRAP_TOKEN: TOKEN,
        SLIPWAY_SECRET_KEY: 'ab'.repeat(32),
        SLIPWAY_ROLLOUT_LEASE_MS: String(LEASE_MS),
        SLIPWAY_ROLLOUT_POLL_MS: '100',
      });
      servers.push(server);
      cleanups.push(async () => void (await server.stop('SIGKILL')));
    }
    const [a] = servers as [ServerProcess, ServerProcess];
    await api(a.url, 'POST', '/api/v1/environments', { key: 'production' });
    await api(a.url, 'POST', '/api/v1/projects', { key: 'shop', repository: '/srv/git/shop.git', verify: false });
    await api(a.url, 'POST', '/api/v1/projects/shop/flags', { key: 'new-checkout', variants: [{ key: 'on', value: true }, { key: 'off', value: false }] });
    await api(a.url, 'PUT', '/api/v1/projects/shop/flags/new-checkout/environments/production', { enabled: true, offVariant: 'off', defaultServe: { variant: 'off' } });
    await api(a.url, 'POST', '/api/v1/projects/shop/analysis-templates', {
      name: 'slow-source',
      metrics: [{ name: 'errors', provider: { web: { url: `${metricsUrl}/value?variant={{variant}}`, jsonPath: '$.value', timeout: '20s' } }, interval: '1s', failureCondition: 'result > 0.5' }],
    });
    const rollout = await api(a.url, 'POST', '/api/v1/projects/shop/flags/new-checkout/environments/production/rollouts', {
      variant: 'on',
      plan: { steps: [{ setWeight: 10 }, { pause: { duration: '3s' } }, { setWeight: 20 }, { pause: { duration: '4s' } }, { setWeight: 30 }, { pause: { duration: '3s' } }, { setWeight: 100 }] },
      analysis: { templates: ['slow-source'] },
    });

    // At 20 %: hold the next measurement's answer, find who is measuring (the lease owner), SIGKILL it.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    cleanups.push(() => client.end());
    let victim: ServerProcess | undefined;
    let killedAt = 0;
    let leaseUntil = '';
    for (let i = 0; i < 600 && !victim; i++) {
      const row = (await client.query('select weight, lease_owner, lease_expires_at from rollouts where id = $1', [rollout.id])).rows[0];
      if (Number(row.weight) === 20 && row.lease_owner) {
        const pid = Number(String(row.lease_owner).split(':')[1]);
        victim = servers.find((s) => s.child.pid === pid);
        if (victim) {
          await victim.stop('SIGKILL');
          killedAt = Date.now();
          leaseUntil = row.lease_expires_at;
        }
      }
      await sleep(5);
    }
    expect(victim).toBeDefined();
    const survivor = servers.find((s) => s !== victim)!;

    let r: any;
    for (let i = 0; i < 600; i++) {
      r = await api(survivor.url, 'GET', `/api/v1/rollouts/${rollout.id}`);
      if (r.status !== 'running') break;
      await sleep(100);
    }
    expect(r.status).toBe('succeeded');
    // Every step started once, in order.
    const steps = r.decisions.filter((d: any) => d.type === 'step_started').map((d: any) => d.stepIndex);
    expect(steps).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // The flag moved through each weight once, in order (the audit log of the flag's changes).
    const audit = await api(survivor.url, 'GET', `/api/v1/audit?actor=rollout:${rollout.id}&action=flag.configured`);
    const weights = audit.items.reverse().map((e: any) => e.after.config.defaultServe.split?.[0]?.weight ?? 100);
    expect(weights).toEqual([10, 20, 30, 100]);
    // Each measurement once, sequence numbers without gaps.
    const m = (await client.query('select run_id, metric, seq, at from rollout_measurements where rollout_id = $1 order by seq', [rollout.id])).rows;
    expect(m.map((x) => x.seq)).toEqual(m.map((_, i) => i));
    // The survivor waited for the victim's lease: nothing was recorded between the kill and the lease's end.
    const after = m.filter((x) => Date.parse(x.at) > killedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(Date.parse(after[0].at)).toBeGreaterThanOrEqual(Date.parse(leaseUntil));
    // The measurement the victim was taking was taken again by the survivor, and recorded once.
    expect(requests.filter((q) => q.at >= killedAt - 1000).length).toBeGreaterThanOrEqual(1);
    console.log(`takeover: lease expired ${Date.parse(leaseUntil) - killedAt} ms after the kill; first measurement by the survivor ${Date.parse(after[0].at) - killedAt} ms after it`);
  });
});

/**
 * A canary deployment across two replicas: the receiver (a real webhook executor on 127.0.0.1)
 * holds its answer to the `set-weight 20` call, the test SIGKILLs the server waiting for it, and
 * the other server takes the rollout over after the lease. The call the victim made but never saw
 * confirmed is made again with the same step id (receivers dedupe on it); every other step reaches
 * the receiver exactly once, in order, and the deployment ends succeeded on the canary version.
 */
describe.each(DIALECTS.filter((d) => d === 'postgres'))('canary deployments across two replicas on %s', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it('a replica killed mid-step: the other continues after the lease, no step skipped or repeated at the receiver', { timeout: 120_000 }, async () => {
    const db = await createEmptyPostgresDatabase();
    cleanups.push(db.drop);
    const repo = await createTestRepository();
    cleanups.push(() => repo.cleanup());
    await repo.commit('chore: initial commit');
    await repo.push();

    const calls: Array<{ at: number; body: any; verified: boolean }> = [];
    let hold: ((release: () => void) => boolean) | null = null;
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const body = JSON.parse(raw);
        const verified = req.headers['x-slipway-signature'] === `sha256=${createHmac('sha256', 'replica-secret-0123456789').update(raw).digest('hex')}`;
        calls.push({ at: Date.now(), body, verified });
        const answer = () => res.writeHead(body.strategy === 'canary' ? 200 : 202, { 'content-type': 'application/json' }).end('{}');
        if (!hold || !hold(answer)) answer();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => receiver.close(() => r())));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/deploy`;

    const servers: ServerProcess[] = [];
    for (const name of ['a', 'b']) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `slipway-canary-replica-${name}-`));
      cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
      const server = await startServerProcess({
        SLIPWAY_DATA_DIR: dataDir,
        DATABASE_URL: db.url,
        SLIPWAY_BOOTSTRAP_TOKEN: TOKEN,
        SLIPWAY_SECRET_KEY: 'ab'.repeat(32),
        SLIPWAY_ROLLOUT_LEASE_MS: String(LEASE_MS),
        SLIPWAY_ROLLOUT_POLL_MS: '100',
      });
      servers.push(server);
      cleanups.push(async () => void (await server.stop('SIGKILL')));
    }
    const [a] = servers as [ServerProcess, ServerProcess];
    await api(a.url, 'POST', '/api/v1/environments', { key: 'production' });
    await api(a.url, 'PATCH', '/api/v1/environments/production', { targets: [{ key: 'web', executor: { type: 'webhook', url: hookUrl, secret: 'replica-secret-0123456789' } }] });
    await api(a.url, 'POST', '/api/v1/projects', { key: 'shop', repository: repo.remote, lifecycle: ['production'] });
    const v1 = (await api(a.url, 'POST', '/api/v1/projects/shop/releases', {})).version;
    const first = await api(a.url, 'POST', '/api/v1/projects/shop/deployments', { version: v1, environment: 'production' });
    for (let i = 0; i < 200 && !calls.some((c) => c.body.deploymentId === first.id); i++) await sleep(50);
    await fetch(`${a.url}/api/v1/deployments/${first.id}/status`, { method: 'POST', headers: { authorization: `Bearer ${first.callbackToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ target: 'web', status: 'succeeded' }) });
    for (let i = 0; i < 200 && (await api(a.url, 'GET', `/api/v1/deployments/${first.id}`)).status !== 'succeeded'; i++) await sleep(50);

    await repo.commit('fix: the next version');
    await repo.push();
    const v2 = (await api(a.url, 'POST', '/api/v1/projects/shop/releases', {})).version;
    // The receiver keeps the `set-weight 20` call waiting (the server that made it holds the lease meanwhile).
    let held: (() => void) | null = null;
    hold = (release) => {
      const last = calls[calls.length - 1]!.body;
      if (held === null && last.action === 'set-weight' && last.weight === 20) {
        held = release;
        return true;
      }
      return false;
    };
    const d = await api(a.url, 'POST', '/api/v1/projects/shop/deployments', {
      version: v2,
      environment: 'production',
      strategy: 'canary',
      plan: { steps: [{ setWeight: 10 }, { pause: { duration: '2s' } }, { setWeight: 20 }, { pause: { duration: '2s' } }, { setWeight: 30 }] },
    });
    expect(d).toMatchObject({ strategy: 'canary', rolloutId: expect.any(String) });

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    cleanups.push(() => client.end());
    let victim: ServerProcess | undefined;
    let killedAt = 0;
    for (let i = 0; i < 600 && !victim; i++) {
      if (held) {
        const row = (await client.query('select lease_owner from rollouts where id = $1', [d.rolloutId])).rows[0];
        const pid = Number(String(row?.lease_owner ?? '').split(':')[1]);
        victim = servers.find((s) => s.child.pid === pid);
        if (victim) {
          await victim.stop('SIGKILL');
          killedAt = Date.now();
        }
      }
      await sleep(10);
    }
    expect(victim).toBeDefined();
    const survivor = servers.find((s) => s !== victim)!;
    let now: any;
    for (let i = 0; i < 600; i++) {
      now = await api(survivor.url, 'GET', `/api/v1/deployments/${d.id}`);
      if (now.status !== 'running' && now.status !== 'pending') break;
      await sleep(100);
    }
    expect(now).toMatchObject({ status: 'succeeded', canary: { weight: 100 } });
    const canary = calls.filter((c) => c.body.deploymentId === d.id);
    expect(canary.every((c) => c.verified)).toBe(true);
    // Once per step id, in order; only the call the victim never saw answered came again, with its step id.
    const distinct = [...new Map(canary.map((c) => [c.body.stepId, c.body])).values()];
    expect(distinct.map((b) => [b.action, b.weight])).toEqual([
      ['deploy', 10],
      ['set-weight', 20],
      ['set-weight', 30],
      ['set-weight', 100],
      ['promote', 100],
    ]);
    const repeated = canary.filter((c, i) => canary.findIndex((x) => x.body.stepId === c.body.stepId) !== i);
    expect(repeated.map((c) => [c.body.action, c.body.weight])).toEqual([['set-weight', 20]]);
    expect(repeated[0]!.at - killedAt).toBeGreaterThan(0);
    const status = (await api(survivor.url, 'GET', '/api/v1/status?project=shop')).items.find((c: any) => c.environment === 'production');
    expect(status).toMatchObject({ current: { version: v2 }, inFlight: null });
    console.log(`canary takeover: the survivor repeated the unanswered step ${repeated[0]!.at - killedAt} ms after the kill (lease ${LEASE_MS} ms)`);
  });
});
