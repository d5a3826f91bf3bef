import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';
import { createDeployFixture, drain, ensureEnvironments, type DeployFixture } from './deploy-fixtures.js';

const JUNK: unknown[] = [null, [], 'text', 42, true, { extra: 1 }, { nested: { deep: [1, { x: 'y'.repeat(10_000) }] } }];

describe.each(DIALECTS)('bad input to the deployment routes on %s', (dialect) => {
  let t: TestApp;
  let f: DeployFixture;
  let id: string;
  let version: string;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    await ensureEnvironments(t);
    f = await createDeployFixture(t);
    version = await f.release();
    id = (await f.deploy({ version, environment: 'dev' })).json().id;
    await drain(t);
  });
  afterAll(async () => {
    await f.cleanup();
    await t.close();
  });

  it('answers 4xx with the error shape, never 5xx, and changes nothing', async () => {
    const outboxBefore = (await t.services.uow.reads.outbox.listAfter(null, 100_000)).length;
    const cases: Array<{ method: 'POST' | 'GET' | 'PATCH'; url: string; payloads: unknown[] }> = [
      { method: 'POST', url: `/api/v1/projects/${f.project}/deployments`, payloads: [...JUNK, { version }, { environment: 'dev' }, { version, environment: 'Dev!' }, { version: '', environment: 'dev' }, { version, environment: 'dev', override: {} }, { version, environment: 'dev', override: { reason: '' } }, { version, environment: 'dev', reason: 7 }] },
      { method: 'POST', url: `/api/v1/deployments/${id}/status`, payloads: [...JUNK, { target: 'default' }, { target: 'default', status: 'done' }, { target: 'Default', status: 'succeeded' }, { target: 'default', status: 'succeeded', message: 5 }] },
      { method: 'POST', url: `/api/v1/deployments/${id}/approve`, payloads: [[], 'x', { comment: '' }, { extra: true }] },
      { method: 'POST', url: `/api/v1/deployments/${id}/cancel`, payloads: [[], { reason: 3 }] },
      { method: 'POST', url: `/api/v1/deployments/${id}/rollback`, payloads: [[], { reason: '' }] },
      { method: 'POST', url: `/api/v1/projects/${f.project}/environments/dev/heartbeat`, payloads: [...JUNK, { version: '1.0.0' }, { instance: 'a' }, { version: '', instance: 'a' }, { version: '1', instance: 'a', target: 'Bad Target' }] },
      { method: 'POST', url: `/api/v1/projects/${f.project}/releases/${version}/signoffs`, payloads: [...JUNK, { kind: 'qa' }, { kind: 'qa', decision: 'yes' }, { kind: 'qa', decision: 'go', environment: 'Prod!' }] },
      { method: 'PATCH', url: '/api/v1/environments/dev', payloads: [{ windows: 'always' }, { windows: [{}] }, { freezes: [{ from: '2026-01-01T00:00:00Z' }] }, { targets: [{ key: 'x' }] }, { smoke: { http: {} } }, { smoke: { http: { url: 'https://x.example.com' }, command: ['true'] } }, { autoRollback: 'yes' }, { approvals: { required: -1, roles: ['admin'] } }, { requiredSignoffs: ['qa', 'qa'] }] },
    ];
    for (const c of cases) {
      for (const payload of c.payloads) {
        const res = await t.request({ method: c.method, url: c.url, payload: payload as never, headers: { 'content-type': 'application/json' } });
        expect(res.statusCode, `${c.method} ${c.url} ${JSON.stringify(payload).slice(0, 100)} → ${res.body.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
        expect(res.json().error.code).toEqual(expect.any(String));
      }
    }
    for (const url of ['/api/v1/deployments/nope', '/api/v1/deployments/..%2F..%2Fetc', `/api/v1/deployments/${id}/logs?after=x`, `/api/v1/deployments/${id}/logs?limit=0`, `/api/v1/projects/${f.project}/deployments?status=exploded`, '/api/v1/status?project=' + 'p'.repeat(300)]) {
      const res = await t.request({ method: 'GET', url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
    }
    expect((await t.request({ method: 'GET', url: `/api/v1/deployments/${'0'.repeat(26)}` })).statusCode).toBe(404);
    expect((await t.services.uow.reads.outbox.listAfter(null, 100_000)).length).toBe(outboxBefore);
    expect((await t.request({ method: 'GET', url: `/api/v1/deployments/${id}` })).json().status).toBe('running');
  });
});
