import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployFixture, drain, type DeployFixture } from './deploy-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

describe.each(DIALECTS)('a deployment event timeline on %s', (dialect) => {
  let t: TestApp;
  let f: DeployFixture;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'staging', rank: 10 } });
    const patched = await t.request({
      method: 'PATCH',
      url: '/api/v1/environments/staging',
      payload: { approvals: { required: 1, roles: ['release-manager'] }, targets: [{ key: 'eu', executor: { type: 'record' } }, { key: 'us', executor: { type: 'record' } }] },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    f = await createDeployFixture(t, { lifecycle: ['staging'] });
  });
  afterAll(async () => {
    await f.cleanup();
    await t.close();
  });

  it('tells who requested, who approved, when it started, what each target reported and how it ended', async () => {
    const version = await f.release();
    const engineer = await t.tokenFor('engineer');
    const res = await f.deploy({ version, environment: 'staging', reason: 'weekly release' }, engineer);
    expect(res.statusCode, res.body).toBe(201);
    const d = res.json();
    const rm = await t.tokenFor('release-manager');
    expect((await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/approve`, token: rm, payload: { comment: 'ok' } })).statusCode).toBe(200);
    await drain(t);
    const report = (target: string, status: string, message?: string) =>
      t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/status`, token: d.callbackToken, payload: { target, status, ...(message && { message }) } });
    expect((await report('eu', 'succeeded', 'eu is on ' + version)).statusCode).toBe(200);
    expect((await report('us', 'failed', 'health check failed')).statusCode).toBe(200);
    await drain(t);

    const timeline = await t.request({ method: 'GET', url: `/api/v1/deployments/${d.id}/events`, token: await t.tokenFor('viewer') });
    expect(timeline.statusCode, timeline.body).toBe(200);
    const items = timeline.json().items as Array<{ type: string; actor: string; status: string; target: unknown; message: string; at: string }>;
    expect(items.map((i) => i.type)).toEqual(['requested', 'approved', 'started', 'target_reported', 'target_reported', 'failed']);
    expect(items[0]).toMatchObject({ actor: 'engineer-user', status: 'pending_approval', message: `engineer-user requested ${version} to staging: weekly release` });
    expect(items[1]).toMatchObject({ actor: 'release-manager-user', status: 'pending', message: 'release-manager-user approved' });
    expect(items[2]).toMatchObject({ status: 'running' });
    expect(items[3]).toMatchObject({ target: { key: 'eu', status: 'succeeded', message: `eu is on ${version}` } });
    expect(items[4]).toMatchObject({ target: { key: 'us', status: 'failed', message: 'health check failed' }, message: 'target us reported failed: health check failed' });
    expect(items[5]).toMatchObject({ status: 'failed' });
    expect(items[5]!.message).toContain('failed');
    // Oldest first, and what the deployment itself says agrees with the timeline's end.
    expect([...items.map((i) => i.at)].sort()).toEqual(items.map((i) => i.at));
    expect((await t.request({ method: 'GET', url: `/api/v1/deployments/${d.id}` })).json().status).toBe('failed');
  });

  it('answers 404 for an unknown deployment and 400 for a malformed id', async () => {
    const missing = await t.request({ method: 'GET', url: '/api/v1/deployments/01unknown/events' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
    expect((await t.request({ method: 'GET', url: `/api/v1/deployments/${'x'.repeat(65)}/events` })).statusCode).toBe(400);
    expect((await t.request({ method: 'GET', url: '/api/v1/deployments/01unknown/events', token: null })).statusCode).toBe(401);
  });
});
