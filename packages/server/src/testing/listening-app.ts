import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import { systemContext } from '../auth/actor.js';
import { compose, type CompositionOptions, type Services } from '../composition.js';
import { openDatabase, type Dialect } from '../db/connect.js';
import type { ManualClock } from '../shared/clock.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export interface ListeningApp {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly services: Services;
  readonly adminToken: string;
  request(method: string, pathname: string, body?: unknown, token?: string): Promise<{ status: number; json: any; text: string }>;
  /** Stops listening and closes its database connection (the database itself stays). */
  close(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A server listening on 127.0.0.1 over a given test database, for tests where something outside the
 * process calls back (executors uploading results). Several may share one database, as replicas or
 * as the same server before and after a restart.
 */
export async function listenOn(database: TestDatabase, clock: ManualClock, extra: Partial<CompositionOptions> = {}, dataDir?: string): Promise<ListeningApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const own = await openDatabase(database.target);
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-listen-'));
  const services = compose({ database: own, dataDir: dir, clock, publicUrl: url, ...extra });
  const adminToken = (await services.auth.bootstrap(systemContext(), 'slw_listening-app-admin-token-0123456789')) ?? 'slw_listening-app-admin-token-0123456789';
  const app = await buildApp(services);
  await app.listen({ port, host: '127.0.0.1' });
  return {
    url,
    app,
    services,
    adminToken,
    async request(method, pathname, body, token) {
      const res = await fetch(`${url}${pathname}`, {
        method,
        headers: { authorization: `Bearer ${token ?? adminToken}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      let json: any;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      return { status: res.status, json, text };
    },
    async close() {
      await services.insights.runner.stop();
      await app.close();
      await own.close();
      if (dataDir === undefined) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function sharedDatabase(dialect: Dialect): Promise<TestDatabase> {
  return createTestDatabase(dialect);
}
