import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestRepository, type TestRepository } from '../../../server/src/testing/git-fixtures.js';
import { startServerProcess, type ServerProcess } from '../../../server/src/testing/server-process.js';

export const ADMIN_TOKEN = 'slw_browser-tests-admin-token-0123456789';
export const ADMIN_PASSWORD = 'admin-password-for-browser-tests';
export const PASSWORD = 'a-long-password-for-tests';

export interface Slipway {
  readonly url: string;
  readonly server: ServerProcess;
  /** JSON API call with a bearer token (the admin's unless given); throws on an unexpected status. */
  api<T = any>(method: string, pathname: string, body?: unknown, options?: { token?: string; expect?: number }): Promise<T>;
  /** Creates a user who can sign in with {@link PASSWORD}, and returns an API token of theirs. */
  user(username: string, role: string): Promise<string>;
  stop(): Promise<void>;
}

/** The real built server (the bundle `npm start` runs) on SQLite in a temp directory, serving the built web app. */
export async function startSlipway(env: Record<string, string> = {}): Promise<Slipway> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-web-'));
  const server = await startServerProcess({ SLIPWAY_DATA_DIR: dataDir, SLIPWAY_BOOTSTRAP_TOKEN: ADMIN_TOKEN, SLIPWAY_BOOTSTRAP_PASSWORD: ADMIN_PASSWORD, ...env });
  const api: Slipway['api'] = async (method, pathname, body, options = {}) => {
    const res = await fetch(`${server.url}${pathname}`, {
      method,
      headers: { authorization: `Bearer ${options.token ?? ADMIN_TOKEN}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const expected = options.expect ?? (res.status >= 200 && res.status < 300 ? res.status : 200);
    if (res.status !== expected) throw new Error(`${method} ${pathname} answered ${res.status}, expected ${expected}: ${text}`);
    return (text ? JSON.parse(text) : null) as never;
  };
  return {
    url: server.url,
    server,
    api,
    async user(username, role) {
      const user = await api<{ id: string }>('POST', '/api/v1/users', { username, role, password: PASSWORD });
      const created = await api<{ token: string }>('POST', '/api/v1/tokens', { name: `${username} token`, userId: user.id, role });
      return created.token;
    },
    async stop() {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Team {
  project: string;
  repo: TestRepository;
  tokens: Record<'engineer' | 'qa' | 'releaseManager' | 'viewer', string>;
  /** Commits and pushes, then creates the next release through the API; returns its version. */
  release(message: string): Promise<string>;
  /** Deploys to dev (a command executor that succeeds at once) and waits until it succeeded. */
  deployToDev(version: string): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * A team's setup: users of every role with passwords; dev < staging < production (production
 * protected); staging needs a QA go and one release-manager approval, and deploys with a real
 * command whose output becomes the live logs; a project on a real git repository.
 */
export async function setUpTeam(s: Slipway, project = 'shop'): Promise<Team> {
  const tokens = {
    engineer: await s.user('erin', 'engineer'),
    qa: await s.user('quinn', 'qa'),
    releaseManager: await s.user('rita', 'release-manager'),
    viewer: await s.user('vic', 'viewer'),
  };
  await s.api('POST', '/api/v1/environments', { key: 'dev', name: 'Development', rank: 10, color: '#2f9e44' });
  await s.api('POST', '/api/v1/environments', { key: 'staging', name: 'Staging', rank: 20, color: '#f08c00' });
  await s.api('POST', '/api/v1/environments', { key: 'production', name: 'Production', rank: 50, color: '#c92a2a', protected: true });
  await s.api('PATCH', '/api/v1/environments/dev', { targets: [{ key: 'default', executor: { type: 'command', command: ['true'] } }] });
  await s.api('PATCH', '/api/v1/environments/staging', {
    requiredSignoffs: ['qa'],
    approvals: { required: 1, roles: ['release-manager'] },
    targets: [{ key: 'eu', executor: { type: 'command', command: ['sh', '-c', 'echo "deploying $SLIPWAY_PROJECT $SLIPWAY_VERSION to $SLIPWAY_TARGET"; sleep 1; echo "migrations done"; sleep 1; echo "healthy"'] } }],
  });
  const repo = await createTestRepository();
  await repo.commit('chore: initial commit');
  await repo.push();
  await s.api('POST', '/api/v1/projects', { key: project, name: 'Shop', repository: repo.remote, lifecycle: ['dev', 'staging', 'production'], ticketUrl: 'https://tracker.example.com/browse/{ticket}' });
  return {
    project,
    repo,
    tokens,
    async release(message) {
      await repo.commit(message);
      await repo.push();
      const created = await s.api<{ version: string }>('POST', `/api/v1/projects/${project}/releases`, {});
      return created.version;
    },
    async deployToDev(version) {
      const d = await s.api<{ id: string }>('POST', `/api/v1/projects/${project}/deployments`, { version, environment: 'dev' });
      await waitFor(async () => (await s.api<{ status: string }>('GET', `/api/v1/deployments/${d.id}`)).status === 'succeeded', `deployment ${d.id} to dev`);
    },
    cleanup: () => repo.cleanup(),
  };
}

/** Polls until `check` is true (the server works in the background); fails naming what it waited for. */
export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
