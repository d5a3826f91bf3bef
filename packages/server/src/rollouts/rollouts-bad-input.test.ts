import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlagFixture } from '../testing/rollout-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

const ROLLOUTS = '/api/v1/projects/shop/flags/new-checkout/environments/dev/rollouts';
const TEMPLATES = '/api/v1/projects/shop/analysis-templates';
const metric = (over: Record<string, unknown>) => ({ name: 'm', provider: { slipway: { metric: 'error-rate' } }, interval: '1m', ...over });

describe.each(DIALECTS)('rollouts refuse bad input with a 4xx naming the field, changing nothing, on %s', (dialect) => {
  let t: TestApp;
  let sdkKey: string;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    sdkKey = (await createFlagFixture(t, [{ key: 'dev' }])).dev!;
  });
  afterAll(() => t.close());

  const cases: Array<[string, string, Record<string, unknown>, number, string]> = [
    ['weights out of order', ROLLOUTS, { variant: 'on', plan: { steps: [{ setWeight: 50 }, { setWeight: 20 }] } }, 400, 'body.plan.steps[1].setWeight'],
    ['a weight over 100', ROLLOUTS, { variant: 'on', plan: { steps: [{ setWeight: 150 }] } }, 400, 'body.plan.steps[0].setWeight'],
    ['a duration that does not parse', ROLLOUTS, { variant: 'on', plan: { steps: [{ setWeight: 5 }, { pause: { duration: 'soon' } }] } }, 400, 'body.plan.steps[1].pause.duration'],
    ['an unknown template in a step', ROLLOUTS, { variant: 'on', plan: { steps: [{ setWeight: 5 }, { analysis: { templates: ['nope'] } }] } }, 400, 'body.plan.steps[1].analysis.templates[0]'],
    ['an unknown background template', ROLLOUTS, { variant: 'on', plan: 'standard-canary', analysis: { templates: ['nope'] } }, 400, 'analysis.templates[3]'],
    ['an unknown plan name', ROLLOUTS, { variant: 'on', plan: 'no-such-plan' }, 400, 'body.plan'],
    ['an unknown variant', ROLLOUTS, { variant: 'maybe', plan: 'standard-canary' }, 400, 'body.variant'],
    ['a gate that never ends', ROLLOUTS, { variant: 'on', plan: { steps: [{ setWeight: 5 }, { analysis: { templates: ['error-rate-absolute-5m'] } }] } }, 400, 'body.plan.steps[1].analysis.templates'],
    ['a condition that does not parse', TEMPLATES, { name: 'bad', metrics: [metric({ failureCondition: 'result > (0.01' })] }, 400, 'body.metrics[0].failureCondition'],
    ['a condition over an unknown name', TEMPLATES, { name: 'bad', metrics: [metric({ successCondition: 'errors < 1' })] }, 400, 'body.metrics[0].successCondition'],
    ['a Prometheus address that is not http(s)', TEMPLATES, { name: 'bad', metrics: [metric({ provider: { prometheus: { address: 'file:///etc/passwd', query: 'up' } } })] }, 400, 'body.metrics[0].provider.prometheus.address'],
    ['a web URL that is not http(s)', TEMPLATES, { name: 'bad', metrics: [metric({ provider: { web: { url: 'ftp://example.com/x', jsonPath: '$.v' } } })] }, 400, 'body.metrics[0].provider.web.url'],
    ['a JSONPath that does not parse', TEMPLATES, { name: 'bad', metrics: [metric({ provider: { web: { url: 'http://127.0.0.1/x', jsonPath: '$.a[' } } })] }, 400, 'body.metrics[0].provider.web.jsonPath'],
    ['an unknown Slipway metric', TEMPLATES, { name: 'bad', metrics: [metric({ provider: { slipway: { metric: 'cpu' } } })] }, 400, 'body.metrics[0].provider.slipway.metric'],
    ['a negative count', TEMPLATES, { name: 'bad', metrics: [metric({ count: -1 })] }, 400, 'body.metrics[0].count'],
    ['a shipped template name', TEMPLATES, { name: 'availability', metrics: [metric({})] }, 409, 'body.name'],
  ];

  for (const [what, url, payload, status, field] of cases) {
    it(`${what} → ${status} naming ${field}`, async () => {
      const before = (await t.request({ method: 'GET', url: '/api/v1/projects/shop/rollouts' })).json().items.length;
      const res = await t.request({ method: 'POST', url, payload });
      expect(res.statusCode).toBe(status);
      const error = res.json().error;
      expect(JSON.stringify(error.details)).toContain(field);
      expect((await t.request({ method: 'GET', url: '/api/v1/projects/shop/rollouts' })).json().items.length).toBe(before);
    });
  }

  it('a condition error says the column', async () => {
    const res = await t.request({ method: 'POST', url: TEMPLATES, payload: { name: 'bad', metrics: [metric({ failureCondition: 'result > > 1' })] } });
    expect(res.json().error.message).toMatch(/body\.metrics\[0\]\.failureCondition does not parse at column 10/);
    expect((await t.request({ method: 'GET', url: `${TEMPLATES}/bad` })).statusCode).toBe(404);
  });

  it('metrics: a client key, errors above requests, a variant without its flag, a date outside retention', async () => {
    const client = (await t.request({ method: 'POST', url: '/api/v1/projects/shop/environments/dev/sdk-keys', payload: { kind: 'client' } })).json().key;
    expect((await t.request({ method: 'POST', url: '/api/v1/metrics', token: client, payload: { points: [] } })).statusCode).toBe(403);
    expect((await t.request({ method: 'POST', url: '/api/v1/metrics', token: null, payload: { points: [] } })).statusCode).toBe(401);
    for (const [point, field] of [
      [{ requests: 1, errors: 2 }, 'body.points[0].errors'],
      [{ variant: 'on', requests: 1, errors: 0 }, 'body.points[0].flag'],
      [{ requests: 1, errors: 0, at: '2001-01-01T00:00:00Z' }, 'body.points[0].at'],
      [{ requests: 1, errors: 0, latencyBuckets: [1, 2] }, 'body.points[0].latencyBuckets'],
      [{ requests: -1, errors: 0 }, 'body/points/0/requests'],
    ] as const) {
      const res = await t.request({ method: 'POST', url: '/api/v1/metrics', token: sdkKey, payload: { points: [point] } });
      expect(res.statusCode).toBe(400);
      expect(JSON.stringify(res.json().error)).toContain(field);
    }
  });

  it('commands on a finished rollout are 409 with a code; unknown rollouts 404', async () => {
    const started = await t.request({ method: 'POST', url: ROLLOUTS, payload: { variant: 'on', plan: { steps: [{ setWeight: 10 }] } } });
    expect(started.statusCode).toBe(201);
    for (let i = 0; i < 3; i++) await t.services.rollouts.ticker.runOnce();
    const id = started.json().id;
    expect((await t.request({ method: 'GET', url: `/api/v1/rollouts/${id}` })).json().status).toBe('succeeded');
    const abort = await t.request({ method: 'POST', url: `/api/v1/rollouts/${id}/abort` });
    expect(abort.statusCode).toBe(409);
    expect(abort.json().error.code).toBe('rollout_finished');
    expect((await t.request({ method: 'POST', url: '/api/v1/rollouts/nope/pause' })).statusCode).toBe(404);
  });
});
