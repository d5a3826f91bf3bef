import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployFixture, drain, type DeployFixture } from '../deployments/deploy-fixtures.js';
import { startHttpReceiver, type HttpReceiver } from '../notifications/receiver-fixtures.js';
import { ManualClock } from '../shared/clock.js';
import { HistorySeed } from '../testing/insights-seed.js';
import { listenOn } from '../testing/listening-app.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

// Smoke checks of deployments are test runs too: read from the outbox by a durable consumer, for
// deployments made before this feature existed as well, once each across passes and servers.
describe.each(DIALECTS)('smoke checks as test runs on %s', (dialect) => {
  let t: TestApp;
  let site: HttpReceiver;
  let f: DeployFixture;
  const clock = new ManualClock(new Date());

  beforeAll(async () => {
    t = await createTestApp(dialect, { clock });
    site = await startHttpReceiver();
    expect((await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'production', rank: 50 } })).statusCode).toBe(201);
    f = await createDeployFixture(t, { lifecycle: ['production'] });
  });
  afterAll(async () => {
    await f.cleanup();
    await site.close();
    await t.close();
  });

  it('turns old and new smoke checks into runs once, and a failed smoke opens a failing test', async () => {
    // History: deployments and their events written before the insights existed.
    const seed = new HistorySeed(t.database.db);
    const legacy = await seed.project('legacy');
    const smoke = { http: { url: 'https://legacy.example.com/health', expectStatus: 200 } };
    const old = [
      await seed.deployment(legacy, 'legacy', { environment: 'production', version: '1.0.0', status: 'succeeded', finishedAt: '2025-12-01T10:00:00.000Z', smoke }),
      await seed.deployment(legacy, 'legacy', { environment: 'production', version: '1.1.0', status: 'failed', finishedAt: '2025-12-02T10:00:00.000Z', smoke, failureReason: 'smoke_failed' }),
      await seed.deployment(legacy, 'legacy', { environment: 'production', version: '1.1.0', status: 'failed', finishedAt: '2025-12-02T11:00:00.000Z', smoke, failureReason: 'target_failed' }),
    ];
    for (const [i, id] of old.entries()) {
      await t.database.db.insertInto('outbox').values({ id: `0000000000old${i}`.padEnd(26, '0'), type: i === 0 ? 'deployment.succeeded' : 'deployment.failed', payload: JSON.stringify({ deploymentId: id }), project_key: 'legacy', environment_key: 'production', created_at: '2025-12-02T12:00:00.000Z', dispatched_at: '2025-12-02T12:00:00.000Z' }).execute();
    }
    // Now: a real deployment whose smoke check asks a real HTTP endpoint.
    expect((await t.request({ method: 'PATCH', url: '/api/v1/environments/production', payload: { smoke: { http: { url: `${site.url}/health`, expectStatus: 200 } } } })).statusCode).toBe(200);
    const version = await f.release();
    const res = await f.deploy({ version, environment: 'production' });
    const d = res.json();
    await drain(t);
    await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/status`, token: d.callbackToken, payload: { target: 'default', status: 'succeeded' } });
    await drain(t);
    expect((await t.request({ method: 'GET', url: `/api/v1/deployments/${d.id}` })).json().status).toBe('succeeded');
    expect(site.requests.filter((r) => r.path === '/health')).toHaveLength(1);

    await t.services.insights.worker.runOnce();
    await t.services.insights.worker.runOnce();
    // A second server over the same database finds nothing left to do.
    const replica = await listenOn(t.database, clock);
    await replica.services.insights.worker.runOnce();
    await replica.close();

    const legacyRuns = (await t.request({ method: 'GET', url: '/api/v1/projects/legacy/test-runs' })).json().items;
    expect(legacyRuns.map((r: any) => [r.version, r.suite, r.source, r.status, r.deploymentId])).toEqual([
      ['1.1.0', 'smoke', 'smoke', 'failed', old[1]],
      ['1.0.0', 'smoke', 'smoke', 'passed', old[0]],
    ]);
    const runs = (await t.request({ method: 'GET', url: `/api/v1/projects/${f.project}/test-runs` })).json().items;
    expect(runs).toEqual([expect.objectContaining({ version, environment: 'production', suite: 'smoke', status: 'passed', total: 1, deploymentId: d.id })]);
    const failing = (await t.request({ method: 'GET', url: '/api/v1/projects/legacy/tests/failing?environment=production' })).json().items;
    expect(failing).toEqual([expect.objectContaining({ key: 'smoke::GET https://legacy.example.com/health' })]);
  });
});
