import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlagFixture, serveOf } from '../testing/rollout-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

const tick = async (t: TestApp, n = 3) => {
  for (let i = 0; i < n; i++) await t.services.rollouts.ticker.runOnce();
};

describe.each(DIALECTS)('what people ask of a rollout on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    await createFlagFixture(t, [{ key: 'dev' }, { key: 'staging' }]);
  });
  afterAll(() => t.close());

  const start = (env: string, body: Record<string, unknown>) => t.request({ method: 'POST', url: `/api/v1/projects/shop/flags/new-checkout/environments/${env}/rollouts`, payload: body });
  const cmd = (id: string, c: string) => t.request({ method: 'POST', url: `/api/v1/rollouts/${id}/${c}` });

  it('abort with onFailure "off" turns the flag off; the audit log and the outbox show who did it', async () => {
    const r = (await start('dev', { variant: 'on', plan: { steps: [{ setWeight: 30 }, { pause: {} }, { setWeight: 100 }] }, onFailure: 'off' })).json();
    await tick(t);
    expect((await t.request({ method: 'GET', url: `/api/v1/rollouts/${r.id}` })).json()).toMatchObject({ status: 'paused', weight: 30, pause: { reason: 'step' } });
    expect(await serveOf(t, 'dev')).toEqual({ enabled: true, defaultServe: { split: [{ variant: 'on', weight: 30 }, { variant: 'off', weight: 70 }] } });
    const aborted = await cmd(r.id, 'abort');
    expect(aborted.json()).toMatchObject({ status: 'aborted', weight: 0, pending: { type: 'rollback', weight: 0 } });
    await tick(t);
    expect((await serveOf(t, 'dev')).enabled).toBe(false);
    const events = (await t.services.uow.reads.outbox.listAfter(null, 1000)).filter((e) => e.type.startsWith('rollout.'));
    expect(events.map((e) => e.type)).toEqual(['rollout.started', 'rollout.step_started', 'rollout.step_started', 'rollout.paused', 'rollout.aborted']);
    expect(events.at(-1)!.payload).toMatchObject({ actor: 'admin', rolloutId: r.id, flag: 'new-checkout', variant: 'on', weight: 0 });
    // The target is free again: a new rollout may start.
    expect((await start('dev', { variant: 'on', plan: { steps: [{ setWeight: 10 }] } })).statusCode).toBe(201);
  });

  it('pause freezes a timed pause, resume goes on with the time left; promote-full goes to 100 % at once', async () => {
    const r = (await start('staging', { variant: 'on', plan: { steps: [{ setWeight: 10 }, { pause: { duration: '10m' } }, { setWeight: 50 }, { pause: { duration: '1h' } }, { setWeight: 100 }] } })).json();
    await tick(t);
    t.clock.advance(4 * 60_000);
    expect((await cmd(r.id, 'pause')).json()).toMatchObject({ status: 'paused', timeLeftMs: 6 * 60_000 });
    t.clock.advance(60 * 60_000);
    await tick(t);
    expect((await cmd(r.id, 'resume')).json()).toMatchObject({ status: 'running', stepIndex: 1, timeLeftMs: 6 * 60_000 });
    t.clock.advance(6 * 60_000);
    await tick(t);
    expect((await t.request({ method: 'GET', url: `/api/v1/rollouts/${r.id}` })).json()).toMatchObject({ stepIndex: 3, weight: 50 });
    expect((await cmd(r.id, 'promote-full')).json()).toMatchObject({ status: 'succeeded', weight: 100 });
    await tick(t);
    expect(await serveOf(t, 'staging')).toEqual({ enabled: true, defaultServe: { variant: 'on' } });
    const decisions = (await t.request({ method: 'GET', url: `/api/v1/rollouts/${r.id}` })).json().decisions.map((d: any) => [d.type, d.actor]);
    expect(decisions).toEqual(expect.arrayContaining([['paused', 'admin'], ['resumed', 'admin'], ['promoted', 'admin'], ['completed', 'admin']]));
  });

  it('the rollout says which metrics it measures and the conditions that judge them (the web page draws them as thresholds)', async () => {
    const gate = { name: 'latency-gate', provider: { slipway: { metric: 'latency-p95' } }, interval: '1m', count: 3, failureCondition: 'result > baseline * 1.1', successCondition: 'result < 500' };
    expect((await t.request({ method: 'POST', url: '/api/v1/projects/shop/analysis-templates', payload: { name: 'gate', metrics: [gate] } })).statusCode).toBe(201);
    const r = (
      await start('staging', {
        // staging serves "on" to everyone since the test above: roll "off" back out.
        variant: 'off',
        plan: { steps: [{ setWeight: 10 }, { analysis: { templates: ['gate'] } }, { setWeight: 100 }], analysis: { templates: ['error-rate-absolute-5m'] } },
      })
    ).json();
    const got = (await t.request({ method: 'GET', url: `/api/v1/rollouts/${r.id}` })).json();
    expect(got.metrics).toEqual([
      { name: 'error-rate', template: 'error-rate-absolute-5m', where: 'background', provider: 'slipway', interval: '1m', successCondition: null, failureCondition: 'result > 0.01' },
      { name: 'latency-gate', template: 'gate', where: 'step 2', provider: 'slipway', interval: '1m', successCondition: 'result < 500', failureCondition: 'result > baseline * 1.1' },
    ]);
    expect((await cmd(r.id, 'abort')).json().metrics).toHaveLength(2);
  });
});
