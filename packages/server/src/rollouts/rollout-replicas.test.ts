import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
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
