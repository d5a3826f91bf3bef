/**
 * A real Slipway server process for the SDK tests, with one environment, one
 * project and SDK keys, driven through the public HTTP API only. It can be
 * stopped and started again on the same data directory and port.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startServerProcess } from '../../../server/src/testing/server-process.js';
import type { ServerProcess } from '../../../server/src/testing/server-process.js';
import type { EnvConfig, Variant } from '@slipway/flag-engine';

const ADMIN_TOKEN = 'slw_sdk-node-tests-admin-token-0123456789';
export const PROJECT = 'shop';
export const ENVIRONMENT = 'production';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface FlagServer {
  readonly url: string;
  /** A server SDK key of shop/production. */
  readonly serverKey: string;
  /** A client SDK key of shop/production (OFREP). */
  readonly clientKey: string;
  /** Calls the admin API as the bootstrap admin; throws unless the status is 2xx. */
  api(method: string, apiPath: string, body?: unknown): Promise<unknown>;
  createFlag(key: string, variants: Variant[]): Promise<void>;
  configure(key: string, config: EnvConfig): Promise<void>;
  /** Stops the process (SIGTERM); the data stays. */
  stop(): Promise<void>;
  /** Starts the process again on the same data directory and port. */
  start(): Promise<void>;
  /** Stops the process and deletes the data. */
  dispose(): Promise<void>;
}

export async function startFlagServer(): Promise<FlagServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-sdk-node-'));
  const port = await freePort();
  const env = {
    PORT: String(port),
    SLIPWAY_DATA_DIR: dataDir,
    SLIPWAY_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
    SLIPWAY_SHUTDOWN_TIMEOUT_MS: '1000',
  };
  let proc: ServerProcess | undefined = await startServerProcess(env);
  const url = proc.url;

  async function api(method: string, apiPath: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${url}${apiPath}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${apiPath} answered ${res.status}: ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  }

  await api('POST', '/api/v1/environments', { key: ENVIRONMENT, rank: 10 });
  await api('POST', '/api/v1/projects', { key: PROJECT, repository: '/srv/git/shop.git', verify: false });
  const keys = `/api/v1/projects/${PROJECT}/environments/${ENVIRONMENT}/sdk-keys`;
  const serverKey = ((await api('POST', keys, { kind: 'server' })) as { key: string }).key;
  const clientKey = ((await api('POST', keys, { kind: 'client' })) as { key: string }).key;

  return {
    url,
    serverKey,
    clientKey,
    api,
    async createFlag(key, variants) {
      await api('POST', `/api/v1/projects/${PROJECT}/flags`, { key, name: key, type: 'release', variants });
    },
    async configure(key, config) {
      await api('PUT', `/api/v1/projects/${PROJECT}/flags/${key}/environments/${ENVIRONMENT}`, config);
    },
    async stop() {
      await proc?.stop();
      proc = undefined;
    },
    async start() {
      if (proc !== undefined) return;
      proc = await startServerProcess(env);
    },
    async dispose() {
      await proc?.stop();
      proc = undefined;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolves when `check` returns true, polling every few milliseconds; rejects after `timeoutMs`. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
