import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../notifications/receiver-fixtures.js';
import { createFlagFixture } from '../testing/rollout-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

const API_KEY = 'dd-api-key-5f1c0e9a7b3d4c2e8f6a';

describe.each(DIALECTS)('the web metric provider keeps its API key write-only on %s', (dialect) => {
  let t: TestApp;
  let metrics: HttpReceiver;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    metrics = await startHttpReceiver();
    // A Datadog-style query API: answers only with the right key.
    metrics.respond((req) => (req.headers['dd-api-key'] === API_KEY ? { status: 200, body: JSON.stringify({ series: [{ value: 0.2 }] }) } : { status: 403, body: '{"errors":["Forbidden"]}' }));
    await createFlagFixture(t, [{ key: 'dev' }]);
  });
  afterAll(async () => {
    await metrics.close();
    await t.close();
  });

  it('stores the header sealed, shows "set", sends the real key when measuring, and a breach rolls back', async () => {
    const template = {
      name: 'dd-errors',
      metrics: [{ name: 'error-rate', provider: { web: { url: `${metrics.url}/api/v1/query?flag={{flag}}`, jsonPath: '$.series[0].value', headers: { 'DD-API-KEY': API_KEY } } }, interval: '1m', failureCondition: 'result > 0.05' }],
    };
    const created = await t.request({ method: 'POST', url: '/api/v1/projects/shop/analysis-templates', payload: template });
    expect(created.statusCode, created.body).toBe(201);
    const seen: string[] = [created.body];
    seen.push((await t.request({ method: 'GET', url: '/api/v1/projects/shop/analysis-templates' })).body);
    const listed = (await t.request({ method: 'GET', url: '/api/v1/projects/shop/analysis-templates' })).json();
    expect(listed.items.find((i: { name: string }) => i.name === 'dd-errors').body.metrics[0].provider.web.headers).toEqual({ 'DD-API-KEY': 'set' });

    const started = await t.request({ method: 'POST', url: '/api/v1/projects/shop/flags/new-checkout/environments/dev/rollouts', payload: { variant: 'on', plan: { steps: [{ setWeight: 10 }, { pause: { duration: '10m' } }, { setWeight: 100 }] }, analysis: { templates: ['dd-errors'] } } });
    expect(started.statusCode, started.body).toBe(201);
    const id = started.json().id;
    for (let i = 0; i < 4; i++) {
      await t.services.rollouts.ticker.runOnce();
      t.clock.advance(61_000);
    }
    await t.services.rollouts.ticker.runOnce();
    const rollout = await t.request({ method: 'GET', url: `/api/v1/rollouts/${id}` });
    seen.push(rollout.body);
    // The key reached the metrics API (the receiver answered 200 only to it), and its 0.2 breached the condition.
    expect(metrics.requests.length).toBeGreaterThan(0);
    expect(metrics.requests.every((r) => r.headers['dd-api-key'] === API_KEY)).toBe(true);
    expect(rollout.json().status).toBe('rolled_back');

    seen.push((await t.request({ method: 'GET', url: '/api/v1/audit?limit=200' })).body);
    expect((await t.request({ method: 'DELETE', url: '/api/v1/projects/shop/analysis-templates/dd-errors' })).statusCode).toBe(204);
    seen.push((await t.request({ method: 'GET', url: '/api/v1/audit?limit=200' })).body);
    for (const body of seen) expect(body).not.toContain(API_KEY);

    // At rest: neither the template row (gone now, but the rollout keeps its copy) nor the rollout holds the key in clear.
    const stored = JSON.stringify(await t.database.db.selectFrom('rollouts').selectAll().execute());
    expect(stored).toContain('DD-API-KEY');
    expect(stored).not.toContain(API_KEY);
  });
});
