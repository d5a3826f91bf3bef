import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../shared/clock.js';
import { startDemoService, startPrometheus, type DemoService, type PrometheusProcess } from '../testing/prometheus.js';
import { createFlagFixture } from '../testing/rollout-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

/** The wall clock, through the test app's clock type: Prometheus answers about real time. */
class WallClock extends ManualClock {
  override now(): Date {
    return new Date();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A real Prometheus scrapes a demo service on 127.0.0.1 every second; the rollout's background
 * analysis queries it through the HTTP API. When the test switches the canary's errors on, the
 * rollout is rolled back on the real query result within the measurements the template allows.
 */
describe('analysis against a real Prometheus', () => {
  let t: TestApp;
  let prom: PrometheusProcess;
  let demo: DemoService;

  beforeAll(async () => {
    demo = await startDemoService(['on', 'off']);
    prom = await startPrometheus([demo.target]);
    t = await createTestApp('sqlite', { clock: new WallClock() });
    await createFlagFixture(t, [{ key: 'staging' }]);
  });
  afterAll(async () => {
    await t?.close();
    await prom?.stop();
    await demo?.close();
  });

  it('rolls back when the canary variant starts failing, on the query result, within consecutiveFailureLimit + 1 measurements of seeing it', { timeout: 120_000 }, async () => {
    const template = {
      name: 'prom-errors',
      metrics: [
        {
          name: 'canary-error-ratio',
          provider: {
            prometheus: {
              address: prom.url,
              query: 'sum(rate(demo_errors_total{variant="{{variant}}"}[3s])) / sum(rate(demo_requests_total{variant="{{variant}}"}[3s]))',
              baselineQuery: 'sum(rate(demo_errors_total{variant!="{{variant}}"}[3s])) / sum(rate(demo_requests_total{variant!="{{variant}}"}[3s]))',
            },
          },
          interval: '1s',
                    failureCondition: 'result > 0.1',
          failureLimit: -1,
          consecutiveFailureLimit: 1,
          consecutiveErrorLimit: 10,
        },
      ],
    };
    expect((await t.request({ method: 'POST', url: '/api/v1/projects/shop/analysis-templates', payload: template })).statusCode).toBe(201);
    // Prometheus needs two scrapes inside the rate window before the query has an answer.
    for (let i = 0; ; i++) {
      const answer: any = await (await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent('sum(rate(demo_requests_total[3s]))')}`)).json();
      if (answer.data.result.length > 0) break;
      if (i > 100) throw new Error('Prometheus has no samples of the demo service');
      await sleep(200);
    }
    const started = await t.request({
      method: 'POST',
      url: '/api/v1/projects/shop/flags/new-checkout/environments/staging/rollouts',
      payload: { variant: 'on', plan: { steps: [{ setWeight: 20 }, { pause: { duration: '10m' } }, { setWeight: 100 }] }, analysis: { templates: ['prom-errors'] } },
    });
    expect(started.statusCode).toBe(201);
    const id = started.json().id;
    const get = async () => (await t.request({ method: 'GET', url: `/api/v1/rollouts/${id}` })).json();

    // Healthy: measurements Successful with the real (zero) ratio.
    for (let i = 0; i < 200; i++) {
      await t.services.rollouts.ticker.runOnce();
      if ((await get()).measurements.filter((m: any) => m.phase === 'Successful').length >= 3) break;
      await sleep(200);
    }
    const healthy = await get();
    expect(healthy.status).toBe('running');
    const good = healthy.measurements.filter((m: any) => m.phase === 'Successful');
    expect(good.length).toBeGreaterThanOrEqual(3);
    expect(good.every((m: any) => m.value === 0)).toBe(true);
    expect(good[0].data.query).toBe('sum(rate(demo_errors_total{variant="on"}[3s])) / sum(rate(demo_requests_total{variant="on"}[3s]))');

    demo.setErrorRate('on', 0.5);
    const switchedAt = Date.now();
    let r = healthy;
    for (let i = 0; i < 300 && r.status === 'running'; i++) {
      await t.services.rollouts.ticker.runOnce();
      r = await get();
      await sleep(100);
    }
    expect(r.status).toBe('rolled_back');
    const after = r.measurements.filter((m: any) => Date.parse(m.at) > switchedAt);
    const firstSeen = after.findIndex((m: any) => m.value !== null && m.value > 0.1);
    expect(firstSeen).toBeGreaterThanOrEqual(0);
    // From the first measurement that saw the breach: that one and consecutiveFailureLimit (1) more, then the decision.
    expect(after.slice(firstSeen)).toHaveLength(2);
    expect(after.slice(firstSeen).every((m: any) => m.phase === 'Failed')).toBe(true);
    expect(after[after.length - 1].value).toBeGreaterThan(0.3);
    expect(after[after.length - 1].baseline).toBe(0);
    const decision = r.decisions.find((d: any) => d.type === 'analysis_failed');
    expect(decision.data).toMatchObject({ metric: 'canary-error-ratio', template: 'prom-errors', failureCondition: 'result > 0.1', counts: { consecutiveFailed: 2 } });
    const flag = (await t.request({ method: 'GET', url: '/api/v1/projects/shop/flags/new-checkout' })).json();
    expect(flag.environments[0].config.defaultServe).toEqual({ variant: 'off' });
  });
});
