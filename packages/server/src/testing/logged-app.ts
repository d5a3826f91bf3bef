import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { buildApp } from '../app.js';
import { systemContext } from '../auth/actor.js';
import { compose } from '../composition.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/** One line the app logged, parsed. */
export interface LogLine {
  msg: string;
  level: number;
  reqId?: string;
  req?: { url: string };
}

export interface LoggedApp {
  readonly app: Awaited<ReturnType<typeof buildApp>>;
  readonly database: TestDatabase;
  /** Every line logged so far; empty it (`lines.length = 0`) to look at what comes next. */
  readonly lines: LogLine[];
  /** The bootstrap admin's Authorization header. */
  readonly auth: { authorization: string };
  /** A new SDK key of project `web` in environment `dev`. */
  sdkKey(kind: 'server' | 'client'): Promise<string>;
  close(): Promise<void>;
}

/**
 * An app on a fresh SQLite database, logging at `level` into `lines`, with an environment `dev` and
 * a project `web` (whose repository is never read). For tests of what the server writes to its log.
 */
export async function createLoggedApp(level: string): Promise<LoggedApp> {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      callback();
    },
  });
  const database = await createTestDatabase('sqlite');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-log-'));
  const services = compose({ database, dataDir });
  const admin = (await services.auth.bootstrap(systemContext(), null))!;
  const app = await buildApp(services, { logger: { level, stream } });
  const auth = { authorization: `Bearer ${admin}` };
  await app.inject({ method: 'POST', url: '/api/v1/environments', headers: auth, payload: { key: 'dev', rank: 10 } });
  await app.inject({ method: 'POST', url: '/api/v1/projects', headers: auth, payload: { key: 'web', repository: '/srv/git/web.git', verify: false } });
  return {
    app,
    database,
    lines,
    auth,
    sdkKey: async (kind) => (await app.inject({ method: 'POST', url: '/api/v1/projects/web/environments/dev/sdk-keys', headers: auth, payload: { kind } })).json().key as string,
    async close() {
      await app.close();
      await database.close().catch(() => {});
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
