import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppOptions } from '../app.js';
import { systemContext } from '../auth/actor.js';
import type { Role } from '../auth/roles.js';
import { compose, type CompositionOptions, type Services } from '../composition.js';
import type { Dialect } from '../db/connect.js';
import { ManualClock } from '../shared/clock.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export interface TestApp {
  readonly app: FastifyInstance;
  readonly services: Services;
  readonly database: TestDatabase;
  readonly clock: ManualClock;
  readonly dataDir: string;
  /** The bootstrap admin's token. */
  readonly adminToken: string;
  /** A token of a new user with this role (one user per role, created on first use). */
  tokenFor(role: Role): Promise<string>;
  /** app.inject with a bearer token (admin unless `token` is given; `token: null` sends none). */
  request(options: InjectOptions & { token?: string | null }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** A complete app on a fresh database of the dialect, with a manual clock, driven through inject(). */
export async function createTestApp(
  dialect: Dialect,
  options: { clock?: ManualClock; compose?: Partial<Omit<CompositionOptions, 'database' | 'dataDir' | 'clock'>>; app?: AppOptions } = {},
): Promise<TestApp> {
  const database = await createTestDatabase(dialect);
  const clock = options.clock ?? new ManualClock(new Date());
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-data-'));
  const services = compose({ ...options.compose, database, dataDir, clock });
  const adminToken = (await services.auth.bootstrap(systemContext(), null))!;
  const app = await buildApp(services, options.app);
  await app.ready();
  const tokens = new Map<Role, string>();
  const request: TestApp['request'] = ({ token, ...rest }) => {
    const bearer = token === undefined ? adminToken : token;
    const headers = { ...(rest.headers ?? {}), ...(bearer !== null && { authorization: `Bearer ${bearer}` }) };
    return app.inject({ ...rest, headers });
  };
  return {
    app,
    services,
    database,
    clock,
    dataDir,
    adminToken,
    request,
    async tokenFor(role) {
      const existing = tokens.get(role);
      if (existing) return existing;
      const user = await request({ method: 'POST', url: '/api/v1/users', payload: { username: `${role}-user`, role } });
      if (user.statusCode !== 201) throw new Error(`could not create ${role} user: ${user.body}`);
      const created = await services.auth.createToken(systemContext(), { name: `${role} token`, userId: user.json().id });
      tokens.set(role, created.token);
      return created.token;
    },
    async close() {
      await app.close();
      await database.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
