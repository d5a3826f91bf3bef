import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../testing/server-process.js';
import { SseClient } from '../testing/sse-client.js';
import { createEmptyPostgresDatabase } from '../testing/test-database.js';

const TOKEN = 'slw_fanout-test-admin-token-0123456789';
const BOOL = [
  { key: 'on', value: true },
  { key: 'off', value: false },
];

async function api(base: string, method: string, url: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function ofrepStatus(base: string, key: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/ofrep/v1/evaluate/flags/new-checkout`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ context: { targetingKey: 'user-1' } }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const transports = [
  ['PostgreSQL LISTEN/NOTIFY', {}],
  ...(process.env.TEST_REDIS_URL ? [['Redis pub/sub', { REDIS_URL: process.env.TEST_REDIS_URL }] as const] : []),
] as const;

describe.runIf(process.env.TEST_DATABASE_URL).each(transports)('flag fan-out between two server processes through %s', (_name, extraEnv) => {
  let a: ServerProcess;
  let b: ServerProcess;
  let database: { url: string; drop(): Promise<void> };
  let dataDir: string;
  let serverKey: string;
  let clientKey: string;
  const flagUrl = '/api/v1/projects/shop/flags/new-checkout';

  beforeAll(async () => {
    database = await createEmptyPostgresDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-fanout-'));
    const env = { DATABASE_URL: database.url, SLIPWAY_DATA_DIR: dataDir, SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, ...extraEnv };
    a = await startServerProcess(env);
    b = await startServerProcess(env);
    await api(a.url, 'POST', '/api/v1/environments', { key: 'production', rank: 10 });
    await api(a.url, 'POST', '/api/v1/projects', { key: 'shop', repository: '/srv/git/shop.git', verify: false });
    await api(a.url, 'POST', '/api/v1/projects/shop/flags', { key: 'new-checkout', variants: BOOL });
    await api(a.url, 'PUT', `${flagUrl}/environments/production`, { enabled: true, offVariant: 'off', defaultServe: { variant: 'on' } });
    serverKey = (await api(a.url, 'POST', '/api/v1/projects/shop/environments/production/sdk-keys', { kind: 'server' })).key;
    clientKey = (await api(a.url, 'POST', '/api/v1/projects/shop/environments/production/sdk-keys', { kind: 'client' })).key;
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers a change made through one replica to SSE clients and OFREP of the other', async () => {
    const onB = await SseClient.connect(`${b.url}/api/v1/sdk/stream`, { authorization: `Bearer ${serverKey}` });
    const onA = await SseClient.connect(`${a.url}/api/v1/sdk/stream`, { authorization: `Bearer ${serverKey}` });
    const put = await onB.waitFor((e) => e.event === 'put');
    await onA.waitFor((e) => e.event === 'put');
    expect((await ofrepStatus(b.url, clientKey)).body.value).toBe(true);

    await api(a.url, 'PUT', `${flagUrl}/environments/production`, { enabled: false, offVariant: 'off', defaultServe: { variant: 'on' } });
    const patch = await onB.waitFor((e) => e.event === 'patch');
    expect(Number(patch.id)).toBe(Number(put.id) + 1);
    expect(JSON.parse(patch.data).flags[0].environment.enabled).toBe(false);
    await eventually(() => ofrepStatus(b.url, clientKey), (r) => r.body.value === false);

    // And the other way round, with the same version sequence on both replicas.
    await api(b.url, 'POST', '/api/v1/projects/shop/segments', { key: 'beta', conditions: [{ attribute: 'company', operator: 'in', values: ['acme'] }] });
    const fromB = await onA.waitFor((e) => e.event === 'patch' && e.data.includes('"beta"'));
    expect(Number(fromB.id)).toBe(Number(patch.id) + 1);
    const sameOnB = await onB.waitFor((e) => e.event === 'patch' && e.data.includes('"beta"'));
    expect(sameOnB.id).toBe(fromB.id);
    onA.close();
    onB.close();
  });

  it('delivers a change too large to travel with its notice (read from the change log instead)', async () => {
    const onB = await SseClient.connect(`${b.url}/api/v1/sdk/stream`, { authorization: `Bearer ${serverKey}` });
    await onB.waitFor((e) => e.event === 'put');
    const companies = Array.from({ length: 600 }, (_, i) => `company-${i}`); // a ~10 KB patch
    await api(a.url, 'PUT', `${flagUrl}/environments/production`, {
      enabled: true,
      offVariant: 'off',
      rules: [{ conditions: [{ attribute: 'company', operator: 'in', values: companies }], serve: { variant: 'off' } }],
      defaultServe: { variant: 'on' },
    });
    const patch = await onB.waitFor((e) => e.event === 'patch' && e.data.includes('company-599'));
    expect(patch.data.length).toBeGreaterThan(8000);
    await eventually(
      () =>
        fetch(`${b.url}/ofrep/v1/evaluate/flags/new-checkout`, {
          method: 'POST',
          headers: { 'x-api-key': clientKey, 'content-type': 'application/json' },
          body: JSON.stringify({ context: { targetingKey: 'u', company: 'company-42' } }),
        }).then((r) => r.json() as Promise<{ value?: boolean }>),
      (r) => r.value === false,
    );
    onB.close();
  });

  it('catches up after the fan-out connections are cut', async () => {
    const onB = await SseClient.connect(`${b.url}/api/v1/sdk/stream`, { authorization: `Bearer ${serverKey}` });
    await onB.waitFor((e) => e.event === 'put');
    // Kill every LISTEN connection (PostgreSQL run) or nothing (Redis run): a change must still arrive.
    const name = new URL(database.url).pathname.slice(1);
    const adminClient = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await adminClient.connect();
    await adminClient.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'", [name]);
    await adminClient.end();
    await api(a.url, 'PUT', `${flagUrl}/environments/production`, { enabled: true, offVariant: 'off', defaultServe: { variant: 'on' } });
    const patch = await onB.waitFor((e) => e.event === 'patch');
    expect(JSON.parse(patch.data).flags[0].environment.enabled).toBe(true);
    onB.close();
  });

  it('honours a revocation made on one replica at the other', async () => {
    expect((await ofrepStatus(b.url, clientKey)).status).toBe(200);
    const id = (await api(a.url, 'GET', '/api/v1/projects/shop/environments/production/sdk-keys')).items.find((k: any) => k.kind === 'client').id;
    await api(a.url, 'DELETE', `/api/v1/projects/shop/environments/production/sdk-keys/${id}`);
    await eventually(() => ofrepStatus(b.url, clientKey), (r) => r.status === 401);
  });
});
