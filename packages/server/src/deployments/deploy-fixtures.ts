import { expect } from 'vitest';
import type { TestApp } from '../testing/test-app.js';
import { createTestRepository, type TestRepository } from '../testing/git-fixtures.js';

/** A project with a real git remote and releases, on a test app, for the deployment tests. */
export interface DeployFixture {
  project: string;
  repo: TestRepository;
  /** Commits, pushes and creates the next release; returns its version. */
  release(message?: string): Promise<string>;
  deploy(payload: Record<string, unknown>, token?: string): ReturnType<TestApp['request']>;
  cleanup(): Promise<void>;
}

let counter = 0;

/** Creates the environments once per app (dev < qa < production), ignoring "already exists". */
export async function ensureEnvironments(t: TestApp, envs: Array<[string, number, boolean?]> = [['dev', 10], ['qa', 20], ['production', 50, true]]): Promise<void> {
  for (const [key, rank, isProtected] of envs) {
    const res = await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key, rank, protected: isProtected ?? false } });
    if (res.statusCode !== 201 && res.statusCode !== 409) throw new Error(res.body);
  }
}

export async function createDeployFixture(t: TestApp, options: { lifecycle?: string[]; hotfixLifecycle?: string[] } = {}): Promise<DeployFixture> {
  const repo = await createTestRepository();
  await repo.commit('chore: initial commit');
  await repo.push();
  const project = `app-${process.pid}-${++counter}`;
  const res = await t.request({
    method: 'POST',
    url: '/api/v1/projects',
    payload: { key: project, repository: repo.remote, lifecycle: options.lifecycle ?? ['dev', 'qa', 'production'], ...(options.hotfixLifecycle && { hotfixLifecycle: options.hotfixLifecycle }) },
  });
  expect(res.statusCode, res.body).toBe(201);
  let n = 0;
  return {
    project,
    repo,
    async release(message) {
      await repo.commit(message ?? `fix: change ${++n}`);
      await repo.push();
      const created = await t.request({ method: 'POST', url: `/api/v1/projects/${project}/releases`, payload: {} });
      expect(created.statusCode, created.body).toBe(201);
      return created.json().version as string;
    },
    deploy(payload, token) {
      return t.request({ method: 'POST', url: `/api/v1/projects/${project}/deployments`, payload, ...(token !== undefined && { token }) });
    },
    cleanup: () => repo.cleanup(),
  };
}

/** Runs the runner until nothing is due (tests drive it instead of starting its timers). */
export async function drain(t: TestApp): Promise<void> {
  for (let i = 0; i < 20; i++) if ((await t.services.deployments.runner.runOnce()) === 0) return;
}

/** Deploys with the record executor and reports success for every target; returns the deployment. */
export async function deployAndSucceed(t: TestApp, f: DeployFixture, version: string, environment: string, token?: string): Promise<any> {
  const res = await f.deploy({ version, environment }, token);
  expect(res.statusCode, res.body).toBe(201);
  const d = res.json();
  await drain(t);
  for (const target of d.targets) {
    const r = await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/status`, token: d.callbackToken, payload: { target: target.key, status: 'succeeded' } });
    expect(r.statusCode, r.body).toBe(200);
  }
  await drain(t);
  const done = (await t.request({ method: 'GET', url: `/api/v1/deployments/${d.id}` })).json();
  expect(done.status).toBe('succeeded');
  return done;
}
