import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drain } from '../deployments/deploy-fixtures.js';
import { ManualClock } from '../shared/clock.js';
import { createTestRepository, type TestRepository } from '../testing/git-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

// A team's week, through the API with real git: releases, a failed deployment, a hotfix, a rollback,
// bugs in several stages, a QA no-go, an E2E report with a flaky test. Then what Slipway says about
// the week is checked against what happened, computed by hand:
//
// production (week of 2026-04-06, UTC)       commits first deployed (author time → deploy time)
//   P1 1.1.1 failed        04-07 16:10
//   P2 1.1.1 succeeded     04-07 17:05        SHOP-3 04-07 09:00 (8h05) · SHOP-1 04-06 08:00 (33h05) · SHOP-2 04-06 09:00 (32h05)
//   P3 1.1.2 hotfix ok     04-08 12:00        SHOP-4 cherry-picked, authored 04-08 10:00 (2h)
//   P4 1.2.0 succeeded     04-09 13:00        SHOP-4 on main 04-08 10:00 (27h) · SHOP-5 04-09 09:00 (4h)
//   P5 rollback to 1.1.2   04-09 17:10        nothing new
//
//   frequency 4 successes → 4/week, 4/7 a day → high
//   lead time 2 4 8.0833 27 32.0833 33.0833 h → median 17.5417, p90 32.5833 → elite
//   failures  P1 failed, P2 hotfixed while it ran, P4 rolled back; P3 fine → 3 of 4 → low
//   restore   P1 → P2 55 min, P4 → P5 4h10 → median 2.5417 h → high
//   rework    P3 (hotfix) + P5 (rollback) of 5 → 0.4 → low
//   quality   QA 4 performed, 1 pushed back; features SHOP-1 and SHOP-5 reached production;
//             bugs: staging 1, beta 1, production 2 (1 regression, 1 other)
describe.each(DIALECTS)("a team's week on %s", (dialect) => {
  let t: TestApp;
  let repo: TestRepository;
  const clock = new ManualClock('2026-04-03T08:00:00Z');
  const at = (iso: string) => clock.set(iso);
  const deployments: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp(dialect, { clock });
    repo = await createTestRepository();
    for (const [key, rank] of [['staging', 30], ['production', 50]] as const) expect((await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key, rank } })).statusCode).toBe(201);
    expect((await t.request({ method: 'PATCH', url: '/api/v1/environments/production', payload: { requiredSignoffs: ['qa'] } })).statusCode).toBe(200);
  });
  afterAll(async () => {
    await repo.cleanup();
    await t.close();
  });

  const commit = async (message: string, date: string) => {
    const sha = await repo.commit(message, undefined, { date });
    await repo.push();
    return sha;
  };
  const release = async (when: string) => {
    at(when);
    const res = await t.request({ method: 'POST', url: '/api/v1/projects/shop/releases', payload: {} });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().version as string;
  };
  const signoff = async (version: string, decision: 'go' | 'no-go', when: string, comment = '') => {
    at(when);
    const res = await t.request({ method: 'POST', url: `/api/v1/projects/shop/releases/${version}/signoffs`, payload: { kind: 'qa', decision, comment } });
    expect(res.statusCode, res.body).toBe(201);
  };
  const deploy = async (version: string, environment: string, outcome: 'succeeded' | 'failed', requested: string, finished: string) => {
    at(requested);
    const res = await t.request({ method: 'POST', url: '/api/v1/projects/shop/deployments', payload: { version, environment } });
    expect(res.statusCode, res.body).toBe(201);
    const d = res.json();
    await drain(t);
    at(finished);
    expect((await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/status`, token: d.callbackToken, payload: { target: 'default', status: outcome } })).statusCode).toBe(200);
    await drain(t);
    expect((await t.request({ method: 'GET', url: `/api/v1/deployments/${d.id}` })).json().status).toBe(outcome);
    return d.id as string;
  };
  const bug = async (payload: Record<string, unknown>) => {
    const res = await t.request({ method: 'POST', url: '/api/v1/bugs', payload: { project: 'shop', severity: 'high', ...payload } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  const e2e = async (when: string, version: string, failing: boolean) => {
    at(when);
    const xml = `<testsuites><testsuite name="checkout"><testcase classname="e2e.checkout" name="adds to cart" time="3"/><testcase classname="e2e.checkout" name="pays" time="9">${failing ? '<failure message="payment iframe did not load">TimeoutError</failure>' : ''}</testcase></testsuite></testsuites>`;
    const res = await t.request({ method: 'POST', url: `/api/v1/projects/shop/test-runs?version=${version}&environment=staging&suite=e2e`, headers: { 'content-type': 'application/xml' }, payload: xml });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };

  it('plays the week', async () => {
    // The week before: 1.0.0 in production.
    await commit('feat: catalog (SHOP-0)', '2026-04-03T07:00:00Z');
    expect((await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'shop', repository: repo.remote, lifecycle: ['staging', 'production'], hotfixLifecycle: ['production'] } })).statusCode).toBe(201);
    const v100 = await release('2026-04-03T09:00:00Z');
    expect(v100).toBe('1.0.0');
    await deploy(v100, 'staging', 'succeeded', '2026-04-03T10:00:00Z', '2026-04-03T10:05:00Z');
    await signoff(v100, 'go', '2026-04-03T11:00:00Z');
    await deploy(v100, 'production', 'succeeded', '2026-04-03T11:55:00Z', '2026-04-03T12:00:00Z');

    // Monday: saved carts and a rounding fix; QA pushes back.
    await commit('feat: saved carts (SHOP-1)', '2026-04-06T08:00:00Z');
    await commit('fix: price rounding (SHOP-2)', '2026-04-06T09:00:00Z');
    const v110 = await release('2026-04-06T10:00:00Z');
    expect(v110).toBe('1.1.0');
    await deploy(v110, 'staging', 'succeeded', '2026-04-06T10:55:00Z', '2026-04-06T11:00:00Z');
    at('2026-04-06T13:30:00Z');
    const b1 = await bug({ title: 'Checkout button does nothing', ticket: 'SHOP-3', foundIn: 'staging', version: v110, foundAt: '2026-04-06T13:00:00Z' });
    await signoff(v110, 'no-go', '2026-04-06T14:00:00Z', 'checkout broken (SHOP-3)');

    // Tuesday: the fix; E2E in staging fails once then passes on the same version (flaky); the first
    // production attempt fails, the second succeeds.
    await commit('fix: checkout button (SHOP-3)', '2026-04-07T09:00:00Z');
    const v111 = await release('2026-04-07T10:00:00Z');
    expect(v111).toBe('1.1.1');
    await deploy(v111, 'staging', 'succeeded', '2026-04-07T10:55:00Z', '2026-04-07T11:00:00Z');
    await signoff(v111, 'go', '2026-04-07T12:00:00Z');
    expect((await e2e('2026-04-07T13:00:00Z', v111, true)).newlyFailing).toEqual(['e2e.checkout::pays']);
    expect((await e2e('2026-04-07T15:00:00Z', v111, false)).flakyTests).toEqual(['e2e.checkout::pays']);
    deployments.P1 = await deploy(v111, 'production', 'failed', '2026-04-07T16:00:00Z', '2026-04-07T16:10:00Z');
    deployments.P2 = await deploy(v111, 'production', 'succeeded', '2026-04-07T17:00:00Z', '2026-04-07T17:05:00Z');

    // Wednesday: a regression in production; hotfix 1.1.2 straight to production.
    at('2026-04-08T09:30:00Z');
    await bug({ title: 'EU tax missing on invoices', ticket: 'SHOP-4', foundIn: 'production', regression: true, foundAt: '2026-04-08T09:00:00Z' });
    const fix = await commit('fix: tax for EU (SHOP-4)', '2026-04-08T10:00:00Z');
    at('2026-04-08T11:00:00Z');
    const hotfix = await t.request({ method: 'POST', url: `/api/v1/projects/shop/releases/${v111}/hotfixes`, payload: { commits: [fix] } });
    expect(hotfix.statusCode, hotfix.body).toBe(201);
    const v112 = hotfix.json().version as string;
    expect(v112).toBe('1.1.2');
    await signoff(v112, 'go', '2026-04-08T11:30:00Z');
    deployments.P3 = await deploy(v112, 'production', 'succeeded', '2026-04-08T11:55:00Z', '2026-04-08T12:00:00Z');

    // Thursday: wishlists; bugs in beta and production; the release is rolled back.
    await commit('feat: wishlist (SHOP-5)', '2026-04-09T09:00:00Z');
    const v120 = await release('2026-04-09T10:00:00Z');
    expect(v120).toBe('1.2.0');
    await deploy(v120, 'staging', 'succeeded', '2026-04-09T10:55:00Z', '2026-04-09T11:00:00Z');
    await signoff(v120, 'go', '2026-04-09T12:00:00Z');
    deployments.P4 = await deploy(v120, 'production', 'succeeded', '2026-04-09T12:55:00Z', '2026-04-09T13:00:00Z');
    at('2026-04-09T16:30:00Z');
    await bug({ title: 'Wishlist icon overlaps price', foundIn: 'beta', version: v120, foundAt: '2026-04-09T15:00:00Z', severity: 'low' });
    await bug({ title: 'Wishlist emails sent twice', foundIn: 'production', foundAt: '2026-04-09T16:00:00Z' });
    at('2026-04-09T17:00:00Z');
    const rollback = await t.request({ method: 'POST', url: `/api/v1/deployments/${deployments.P4}/rollback`, payload: { reason: 'duplicate emails' } });
    expect(rollback.statusCode, rollback.body).toBe(201);
    expect(rollback.json().version).toBe(v112);
    await drain(t);
    at('2026-04-09T17:10:00Z');
    expect((await t.request({ method: 'POST', url: `/api/v1/deployments/${rollback.json().id}/status`, token: rollback.json().callbackToken, payload: { target: 'default', status: 'succeeded' } })).statusCode).toBe(200);
    await drain(t);
    deployments.P5 = rollback.json().id;
    expect((await t.request({ method: 'GET', url: `/api/v1/deployments/${deployments.P4}` })).json().status).toBe('rolled_back');

    // The background work catches up (smoke runs, bugs fixed by releases).
    at('2026-04-13T08:00:00Z');
    await t.services.insights.worker.runOnce();
    expect((await t.request({ method: 'GET', url: `/api/v1/bugs/${b1.id}` })).json()).toMatchObject({ fixedIn: v111 });
  });

  it('reports the DORA metrics of the week as they happened', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/insights/dora?project=shop&environment=production&from=2026-04-06&to=2026-04-13' });
    expect(res.statusCode, res.body).toBe(200);
    const d = res.json();
    expect(d.deploymentFrequency).toEqual({ count: 4, perWeek: 4, perDay: 0.5714, rollbacks: 1 });
    expect(d.leadTime).toEqual({ medianHours: 17.5417, p90Hours: 32.5833, commits: 6 });
    expect(d.changeFailureRate).toBe(0.75);
    const reasons = Object.fromEntries(d.changeFailures.deployments.map((x: { id: string; reasons: string[] }) => [x.id, x.reasons]));
    expect(reasons).toEqual({ [deployments.P1!]: ['failed'], [deployments.P2!]: ['hotfix'], [deployments.P4!]: ['rolled_back'] });
    expect(d.timeToRestore).toEqual({ medianHours: 2.5417, incidents: 2, unresolved: 0 });
    expect(d.reworkRate).toBe(0.4);
    expect(d.bands).toEqual({ deploymentFrequency: 'high', leadTime: 'elite', changeFailureRate: 'low', timeToRestore: 'high', reworkRate: 'low' });
    expect(d.incidents.map((i: { deployments: string[]; resolvedBy: string }) => [i.deployments, i.resolvedBy])).toEqual([
      [[deployments.P1], deployments.P2],
      [[deployments.P4], deployments.P5],
    ]);
  });

  it('reports the QA statistics of the week as they happened', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/insights/quality?project=shop&from=2026-04-06&to=2026-04-13&interval=week' });
    expect(res.statusCode, res.body).toBe(200);
    const q = res.json();
    expect(q.weeks).toEqual([
      {
        weekStart: '2026-04-06',
        startsAt: '2026-04-06T00:00:00.000Z',
        endsAt: '2026-04-13T00:00:00.000Z',
        partial: false,
        qaTestsPerformed: 4,
        qaTestsPushedBack: 1,
        stagingFeaturesPushedToProduction: 2,
        bugsByStage: { staging: 1, 'release-candidate': 0, alpha: 0, beta: 1, 'push-to-production': 0, production: 2 },
        productionRegressions: 1,
        otherBugs: 1,
        bugs: 4,
      },
    ]);
    expect(q.releases.map((r: any) => [r.version, r.shippedAt, r.bugsAfterShip, r.regressionsAfterShip])).toEqual([
      ['1.2.0', '2026-04-09T13:00:00.000Z', 2, 0],
      ['1.1.2', '2026-04-08T12:00:00.000Z', 0, 0],
      ['1.1.1', '2026-04-07T17:05:00.000Z', 1, 1],
    ]);
    const flaky = (await t.request({ method: 'GET', url: '/api/v1/projects/shop/tests/flaky?since=2026-04-01T00:00:00Z' })).json().items;
    expect(flaky).toEqual([expect.objectContaining({ key: 'e2e.checkout::pays', count: 1, versions: ['1.1.1'] })]);
  });
});
