// The ingestion path end to end: a demo service using the SDK's middleware reports its requests by
// flag variant to a real Slipway server process; the variant being rolled out starts failing and
// the rollout puts it back to 0 %. Needs `npm run build` (npm test does it).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../../server/src/testing/server-process.js';
import { SlipwayClient } from './client.js';
import { slipwayMetrics } from './middleware.js';
import { memoryLogger } from './testing/fixtures.js';

const TOKEN = 'slw_sdk-metrics-rollout-token-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SDK middleware → POST /api/v1/metrics → rollout analysis', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('errors of the rolled-out variant, reported by the middleware, roll the flag back to 0 %', { timeout: 90_000 }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-sdk-metrics-'));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const server: ServerProcess = await startServerProcess({ SLIPWAY_DATA_DIR: dataDir, SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, SLIPWAY_ROLLOUT_POLL_MS: '100' });
    cleanups.push(async () => void (await server.stop()));
    const api = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`${server.url}${p}`, { method, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined && { 'content-type': 'application/json' }) }, ...(body !== undefined && { body: JSON.stringify(body) }) });
      const json: any = await res.json();
      if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    await api('POST', '/api/v1/environments', { key: 'production' });
    await api('POST', '/api/v1/projects', { key: 'shop', repository: '/srv/git/shop.git', verify: false });
    await api('POST', '/api/v1/projects/shop/flags', { key: 'new-checkout', variants: [{ key: 'on', value: true }, { key: 'off', value: false }] });
    await api('PUT', '/api/v1/projects/shop/flags/new-checkout/environments/production', { enabled: true, offVariant: 'off', defaultServe: { variant: 'off' } });
    const sdkKey = (await api('POST', '/api/v1/projects/shop/environments/production/sdk-keys', { kind: 'server' })).key;

    // The demo service: the new checkout fails every other request.
    const slipway = new SlipwayClient({ url: server.url, sdkKey, logger: memoryLogger(), metricsFlushIntervalMs: 200 });
    cleanups.push(() => slipway.close());
    expect(await slipway.ready()).toBe(true);
    const track = slipwayMetrics(slipway, { version: '2.0.0', flags: ['new-checkout'], context: (req) => ({ targetingKey: String(req.headers['x-user']) }) });
    let n = 0;
    const demo = http.createServer((req, res) => {
      track(req, res);
      const newCheckout = slipway.getBooleanValue('new-checkout', false, { targetingKey: String(req.headers['x-user']) });
      res.writeHead(newCheckout && n++ % 2 === 0 ? 500 : 200).end();
    });
    await new Promise<void>((r) => demo.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => demo.close(() => r())));
    const demoUrl = `http://127.0.0.1:${(demo.address() as AddressInfo).port}`;

    await api('POST', '/api/v1/projects/shop/analysis-templates', {
      name: 'checkout-errors',
      metrics: [{ name: 'error-rate', provider: { slipway: { metric: 'error-rate', window: '1m' } }, interval: '1s', initialDelay: '2s', failureCondition: 'result > 0.05', failureLimit: 1, inconclusiveLimit: 20 }],
    });
    const rollout = await api('POST', '/api/v1/projects/shop/flags/new-checkout/environments/production/rollouts', {
      variant: 'on',
      plan: { steps: [{ setWeight: 30 }, { pause: { duration: '10m' } }, { setWeight: 100 }] },
      analysis: { templates: ['checkout-errors'] },
    });

    let r: any = rollout;
    for (let i = 0; i < 600 && r.status === 'running'; i++) {
      await Promise.all(Array.from({ length: 10 }, (_, j) => fetch(demoUrl, { headers: { 'x-user': `user-${i}-${j}` } }).then((x) => x.arrayBuffer())));
      r = await api('GET', `/api/v1/rollouts/${rollout.id}`);
      await sleep(20);
    }
    expect(r.status).toBe('rolled_back');
    const failed = r.measurements.filter((m: any) => m.phase === 'Failed');
    expect(failed.length).toBe(2);
    // The canary (variant on) fails about half its requests; the baseline (off) none.
    for (const m of failed) {
      expect(m.value).toBeGreaterThan(0.3);
      expect(m.baseline).toBe(0);
    }
    const flag = await api('GET', '/api/v1/projects/shop/flags/new-checkout');
    expect(flag.environments[0].config.defaultServe).toEqual({ variant: 'off' });
    // The middleware also reported the version's own series (used by canary deployments).
    await slipway.flushMetrics();
  });
});
