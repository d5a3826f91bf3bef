import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';
import { createDeployFixture, type DeployFixture } from './deploy-fixtures.js';
import { createDeployments } from './deployments.js';

describe.each(DIALECTS)('deployment leases on %s', (dialect) => {
  let t: TestApp;
  let f: DeployFixture;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'lease' } });
    f = await createDeployFixture(t, { lifecycle: ['lease'] });
  });
  afterAll(async () => {
    await f.cleanup();
    await t.close();
  });

  it('two runners racing for the same work run each deployment once', async () => {
    const counter = path.join(t.dataDir, 'runs');
    await t.request({ method: 'PATCH', url: '/api/v1/environments/lease', payload: { targets: [{ key: 'a', executor: { type: 'command', command: ['sh', '-c', `echo run >> ${counter}`] } }] } });
    const s = t.services;
    // A second server on the same database: its own runner (own lease owner), same tables.
    const other = createDeployments({ uow: s.uow, projects: s.projects, repositories: s.repositories, secrets: s.secrets, ids: s.ids, clock: s.clock, publicUrl: 'http://127.0.0.1:1' });
    for (let i = 0; i < 3; i++) {
      const version = await f.release();
      const d = (await f.deploy({ version, environment: 'lease' })).json();
      const claimed = await Promise.all([s.deployments.runner.runOnce(), other.runner.runOnce(), s.deployments.runner.runOnce(), other.runner.runOnce()]);
      expect(claimed.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
      for (let j = 0; j < 5; j++) await Promise.all([s.deployments.runner.runOnce(), other.runner.runOnce()]);
      expect((await t.request({ method: 'GET', url: `/api/v1/deployments/${d.id}` })).json().status).toBe('succeeded');
    }
    expect(fs.readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('a claim is refused while another owner holds an unexpired lease, and allowed after it expires', async () => {
    const store = t.services.uow.reads.deployments;
    const version = await f.release();
    await t.request({ method: 'PATCH', url: '/api/v1/environments/lease', payload: { targets: [] } });
    const d = (await f.deploy({ version, environment: 'lease' })).json();
    const now = t.clock.now();
    const later = (ms: number) => new Date(now.getTime() + ms).toISOString();
    expect(await store.claim(d.id, 'server-a', now.toISOString(), later(1000))).toBe(true);
    expect(await store.claim(d.id, 'server-b', now.toISOString(), later(1000))).toBe(false);
    expect(await store.due(now.toISOString(), 10)).not.toContain(d.id);
    expect(await store.claim(d.id, 'server-b', later(1001), later(3000))).toBe(true);
    expect(await store.renew(d.id, 'server-a', later(5000))).toBe(false);
  });
});
