import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemContext } from '../auth/actor.js';
import { compose } from '../composition.js';
import { openDatabase } from '../db/connect.js';
import { startServerProcess, type ServerProcess } from '../testing/server-process.js';
import { createEmptyPostgresDatabase, DIALECTS } from '../testing/test-database.js';
import { startHttpReceiver } from './receiver-fixtures.js';

const TOKEN = 'slw_notify-crash-token-0123456789';
const SECRET = 'whsec_crash_test_0123456789';

async function api(url: string, method: string, pathname: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: res.status === 204 ? null : await res.json() };
}

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(DIALECTS)('notifications across a crash of the server process on %s', (dialect) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('delivers after a SIGKILL between commit and delivery, with the same idempotency key, and nothing lost', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-notify-crash-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    let target: Parameters<typeof openDatabase>[0] = { dialect: 'sqlite', file: path.join(dataDir, 'slipway.db') };
    const env: Record<string, string> = {
      SLIPWAY_DATA_DIR: dataDir,
      SLIPWAY_BOOTSTRAP_TOKEN: TOKEN,
      // A short lease so the restarted server takes over the delivery the killed one held.
      SLIPWAY_NOTIFY_LEASE_MS: '500',
      SLIPWAY_NOTIFY_POLL_MS: '50',
      SLIPWAY_NOTIFY_TIMEOUT_MS: '60000',
    };
    if (dialect === 'postgres') {
      const pgdb = await createEmptyPostgresDatabase();
      cleanups.push(pgdb.drop);
      env.DATABASE_URL = pgdb.url;
      target = { dialect: 'postgres', url: pgdb.url };
    }
    const receiver = await startHttpReceiver({ secret: SECRET });
    cleanups.push(() => receiver.close());
    // The first request is held unanswered: the server is killed while it is in flight.
    let arrived: () => void = () => {};
    const firstArrived = new Promise<void>((resolve) => (arrived = resolve));
    receiver.respond((r) => {
      if (receiver.requests.length === 1) {
        arrived();
        return new Promise(() => {});
      }
      return { status: 200, body: '{}' };
    });

    let server: ServerProcess = await startServerProcess(env);
    cleanups.push(async () => void (await server.stop('SIGKILL')));
    const channel = await api(server.url, 'POST', '/api/v1/channels', { name: 'ops', type: 'webhook', config: { url: `${receiver.url}/ops`, secret: SECRET }, subscriptions: [{ events: ['environment.created', 'deployment.*'] }] });
    expect(channel.status).toBe(201);
    const mutation = await api(server.url, 'POST', '/api/v1/environments', { key: 'production' });
    expect(mutation.status).toBe(201);
    await firstArrived;
    expect(await server.stop('SIGKILL')).toBe(null);

    // While no server runs, another event is committed (as any process would): it waits in the outbox.
    const database = await openDatabase(target);
    const services = compose({ database, dataDir });
    await services.uow.transaction((tx) =>
      tx.record(systemContext(), { action: 'deployment.succeeded', resourceType: 'deployment', resourceId: 'd1', event: { type: 'deployment.succeeded', payload: { project: 'api', environment: 'production', version: '2.0.0' }, projectKey: 'api', environmentKey: 'production' } }),
    );
    const undispatched = await database.db.selectFrom('outbox').select('type').where('dispatched_at', 'is', null).execute();
    expect(undispatched.map((r) => r.type)).toEqual(['deployment.succeeded']);
    await database.close();

    server = await startServerProcess(env);
    const delivered = await until('both deliveries', async () => {
      const list = await api(server.url, 'GET', '/api/v1/deliveries?channel=ops');
      return list.json.items.length === 2 && list.json.items.every((d: { status: string }) => d.status === 'delivered') && list.json.items;
    });
    const byType = Object.fromEntries(delivered.map((d: any) => [d.event.type, d]));
    const requests = receiver.requests.map((r) => ({ type: r.json.event.type, delivery: r.headers['x-slipway-delivery'], valid: r.signatureValid }));
    // The request the killed server never saw answered is sent again under the same delivery id.
    expect(requests.filter((r) => r.type === 'environment.created')).toEqual([
      { type: 'environment.created', delivery: byType['environment.created'].id, valid: true },
      { type: 'environment.created', delivery: byType['environment.created'].id, valid: true },
    ]);
    expect(requests.filter((r) => r.type === 'deployment.succeeded')).toEqual([{ type: 'deployment.succeeded', delivery: byType['deployment.succeeded'].id, valid: true }]);
    // Once delivered, nothing is sent again.
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests).toHaveLength(3);
    expect(await server.stop('SIGTERM')).toBe(0);
  });
});
