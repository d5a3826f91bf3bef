import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../notifications/receiver-fixtures.js';
import { createFlagFixture, reportMinute, serveOf } from '../testing/rollout-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

const SECRET = 'whsec_rollout_scenario_0123456789';
const MINUTE = 60_000;

/**
 * The seed's 5 → 25 → 50 → 100 % plan (3.5 hours) on an injected clock: a flag variant rolled out
 * in a protected environment, judged by metrics the service reports through POST /api/v1/metrics.
 * What Slipway reports (the rollout, the flag's split, the webhook receiver's log) is checked
 * against what really happened.
 */
describe.each(DIALECTS)('a flag rollout through the seed plan on %s', (dialect) => {
  let t: TestApp;
  let receiver: HttpReceiver;
  let sdkKey: string;
  let manager: string;
  let rolloutId: string;
  let rates: Record<string, number> = { on: 0.001, off: 0.001 };

  /** One simulated minute: the service reports its traffic, then a tick of the rollout ticker. */
  async function minutes(n: number, until?: () => Promise<boolean>): Promise<number> {
    for (let i = 1; i <= n; i++) {
      t.clock.advance(MINUTE);
      await reportMinute(t, sdkKey, rates);
      await t.services.rollouts.ticker.runOnce();
      if (until && (await until())) return i;
    }
    return n;
  }
  const rollout = async () => (await t.request({ method: 'GET', url: `/api/v1/rollouts/${rolloutId}` })).json();

  beforeAll(async () => {
    t = await createTestApp(dialect);
    receiver = await startHttpReceiver({ secret: SECRET });
    sdkKey = (await createFlagFixture(t, [{ key: 'production', protected: true }])).production!;
    manager = await t.tokenFor('release-manager');
    const channel = await t.request({ method: 'POST', url: '/api/v1/channels', payload: { name: 'rollouts', type: 'webhook', config: { url: `${receiver.url}/hook`, secret: SECRET }, subscriptions: [{ events: ['rollout.*'] }] } });
    expect(channel.statusCode).toBe(201);
    const gate = await t.request({
      method: 'POST',
      url: '/api/v1/projects/shop/analysis-templates',
      payload: { name: 'canary-gate', metrics: [{ name: 'gate-error-rate', provider: { slipway: { metric: 'error-rate', window: '2m' } }, count: 1, initialDelay: '1m', successCondition: 'result < 0.005', failureCondition: 'result > 0.02' }] },
    });
    expect(gate.statusCode).toBe(201);
  });
  afterAll(async () => {
    await receiver.close();
    await t.close();
  });

  it('an engineer may not roll out in a protected environment; a release manager may', async () => {
    const body = { variant: 'on', plan: 'standard-canary' };
    const engineer = await t.request({ method: 'POST', url: '/api/v1/projects/shop/flags/new-checkout/environments/production/rollouts', payload: body, token: await t.tokenFor('engineer') });
    expect(engineer.statusCode).toBe(403);
    const plan = {
      steps: [{ setWeight: 5 }, { analysis: { templates: ['canary-gate'] } }, { pause: { duration: '30m' } }, { setWeight: 25 }, { pause: { duration: '1h' } }, { setWeight: 50 }, { pause: { duration: '2h' } }, { setWeight: 100 }],
      analysis: { templates: ['error-rate-absolute-5m'] },
    };
    const res = await t.request({ method: 'POST', url: '/api/v1/projects/shop/flags/new-checkout/environments/production/rollouts', payload: { variant: 'on', plan }, token: manager });
    expect(res.statusCode).toBe(201);
    rolloutId = res.json().id;
    expect(res.json()).toMatchObject({ status: 'running', stepIndex: 0, weight: 5, pending: { type: 'set-weight', weight: 5 } });
    const again = await t.request({ method: 'POST', url: '/api/v1/projects/shop/flags/new-checkout/environments/production/rollouts', payload: { variant: 'on', plan }, token: manager });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('rollout_in_progress');
  });

  it('5 %: the flag serves the variant to 5 %; an inconclusive gate pauses until a person resumes', async () => {
    rates = { on: 0.007, off: 0.001 }; // between the gate's success (< 0.5 %) and failure (> 2 %) conditions
    await t.services.rollouts.ticker.runOnce();
    expect(await serveOf(t, 'production')).toEqual({ enabled: true, defaultServe: { split: [{ variant: 'on', weight: 5 }, { variant: 'off', weight: 95 }] } });
    await minutes(1);
    const paused = await rollout();
    expect(paused).toMatchObject({ status: 'paused', stepIndex: 1, weight: 5, pause: { reason: 'inconclusive' } });
    expect(paused.measurements.find((m: any) => m.metric === 'gate-error-rate')).toMatchObject({ phase: 'Inconclusive', value: 0.007 });
    // Nothing moves while paused, however long.
    await minutes(20);
    expect((await rollout()).stepIndex).toBe(1);
    expect((await t.request({ method: 'POST', url: `/api/v1/rollouts/${rolloutId}/resume`, token: await t.tokenFor('engineer') })).statusCode).toBe(403);
    rates = { on: 0.001, off: 0.001 };
    await reportMinute(t, sdkKey, rates);
    const resumed = await t.request({ method: 'POST', url: `/api/v1/rollouts/${rolloutId}/resume`, token: manager });
    expect(resumed.statusCode).toBe(200);
    expect((await t.request({ method: 'POST', url: `/api/v1/rollouts/${rolloutId}/resume`, token: manager })).json().error.code).toBe('rollout_not_paused');
    await minutes(1);
    expect(await rollout()).toMatchObject({ status: "running", stepIndex: 2, weight: 5, currentStep: "pause 30m" });
  });

  it('25 %: after the 30-minute pause; an error rate above 1 % for 5 minutes rolls it back to 0 %, announced with the breach', async () => {
    const waited = await minutes(40, async () => (await rollout()).weight === 25);
    expect(waited).toBeGreaterThanOrEqual(29);
    expect(waited).toBeLessThanOrEqual(31);
    expect(await serveOf(t, 'production')).toEqual({ enabled: true, defaultServe: { split: [{ variant: 'on', weight: 25 }, { variant: 'off', weight: 75 }] } });
    rates = { on: 0.05, off: 0.001 };
    const took = await minutes(10, async () => (await rollout()).status === 'rolled_back');
    const r = await rollout();
    expect(r).toMatchObject({ status: 'rolled_back', weight: 0 });
    expect(took).toBeLessThanOrEqual(6); // five failing minutes in a row, the window lagging at most one
    expect(await serveOf(t, 'production')).toEqual({ enabled: true, defaultServe: { variant: 'off' } });
    const failed = r.decisions.find((d: any) => d.type === 'analysis_failed');
    expect(failed.data).toMatchObject({ metric: 'error-rate', template: 'error-rate-absolute-5m', failureCondition: 'result > 0.01', counts: { consecutiveFailed: 5 } });
    expect(failed.data.values.filter((v: any) => v.phase === 'Failed').map((v: any) => v.value)).toEqual(expect.arrayContaining([0.05]));
    await t.services.notifications.dispatcher.drain();
    const events = receiver.requests.map((req) => req.json.event);
    expect(receiver.requests.every((req) => req.signatureValid)).toBe(true);
    const types = events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['rollout.started', 'rollout.step_started', 'rollout.paused', 'rollout.resumed', 'rollout.analysis_failed', 'rollout.rolled_back']));
    const rolledBack = receiver.requests.find((req) => req.json.event.type === 'rollout.rolled_back')!.json;
    expect(rolledBack.message.title).toBe('Rollout of flag new-checkout, variant on in shop/production rolled back automatically');
    expect(rolledBack.message.summary).toMatch(/Breach: error-rate \(error-rate-absolute-5m\): .*0\.05 \(baseline 0\.001\) — failureCondition result > 0\.01; 5 failed in a row > consecutiveFailureLimit 4$/);
    // The flag's own history shows each change made by the rollout.
    const audit = (await t.request({ method: 'GET', url: `/api/v1/audit?actor=rollout:${rolloutId}` })).json();
    expect(audit.items.filter((a: any) => a.action === 'flag.configured')).toHaveLength(3);
  });

  it('retry runs the whole plan again; a person promotes past the hour at 25 %; 100 % after the rest', async () => {
    rates = { on: 0.001, off: 0.001 };
    await minutes(3); // the fix ships; the gate's window no longer sees the bad minutes
    expect((await t.request({ method: 'POST', url: `/api/v1/rollouts/${rolloutId}/retry`, token: manager })).statusCode).toBe(200);
    const gateAndPause = await minutes(60, async () => (await rollout()).weight === 25);
    expect(gateAndPause).toBeLessThanOrEqual(32);
    await minutes(10);
    const promoted = await t.request({ method: 'POST', url: `/api/v1/rollouts/${rolloutId}/promote`, token: manager });
    expect(promoted.statusCode).toBe(200);
    await t.services.rollouts.ticker.runOnce();
    expect(await rollout()).toMatchObject({ weight: 50, currentStep: 'pause 2h' });
    const rest = await minutes(130, async () => (await rollout()).status === 'succeeded');
    expect(rest).toBeGreaterThanOrEqual(119);
    expect(rest).toBeLessThanOrEqual(121);
    const done = await rollout();
    expect(done).toMatchObject({ status: 'succeeded', weight: 100, pending: null });
    expect(await serveOf(t, 'production')).toEqual({ enabled: true, defaultServe: { variant: 'on' } });
    // No measurement was taken twice: one per (run, metric, seq), once a minute.
    const all = await t.services.uow.reads.rollouts.measurements(rolloutId, { limit: 10_000 });
    const keys = all.map((m) => `${m.runId}/${m.metric}/${m.seq}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(done.decisions.map((d: any) => d.type)).toEqual(expect.arrayContaining(['promoted', 'completed']));
    await t.services.notifications.dispatcher.drain();
    expect(receiver.requests.map((r) => r.json.event.type)).toContain('rollout.completed');
  });
});
