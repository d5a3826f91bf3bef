import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../shared/clock.js';
import { HistorySeed } from '../testing/insights-seed.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

// Two weeks of QA for one project, counted by hand (seed 004's weekly stats):
//   QA sign-offs  03-02 go, 03-03 no-go, 03-04 go | 03-09 go, 03-10 no-go   (a product sign-off on 03-03 is not QA)
//   features      1.1.0 brings c3 (feat) on 03-03, 1.2.0 brings c5 (feat) on 03-04 | 1.3.0 brings c7 c8 (feat) on 03-10
//   bugs          B1 staging 03-02 · B2 release-candidate 03-03 · B3 production regression 03-04T15 (1.2.0) ·
//                 B4 production 03-06 (no version: 1.2.1 ran) · B5 beta 03-08T23:30Z |
//                 B6 production regression 03-10T01 (no version: 1.3.0 ran) · B7 alpha 03-11 · B8 push-to-production 03-12 (1.3.0)
// B5 is Sunday night in UTC but already Monday 00:30 in Paris: the week boundary follows the time zone.
describe.each(DIALECTS)('QA and bug statistics on %s', (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(dialect, { clock: new ManualClock('2026-03-20T00:00:00Z') });
    const seed = new HistorySeed(t.database.db);
    await seed.environment('production', 50);
    const shop = await seed.project('shop');
    await seed.release(shop, { version: '1.0.0', previous: null, kind: 'major', createdAt: '2026-03-01T00:00:00.000Z', commits: [{ sha: 'c1', type: 'feat', time: '2026-02-27T12:00:00.000Z' }] });
    await seed.release(shop, { version: '1.1.0', previous: '1.0.0', kind: 'minor', createdAt: '2026-03-02T19:00:00.000Z', commits: [{ sha: 'c3', type: 'feat', time: '2026-03-02T06:00:00.000Z' }, { sha: 'c4', type: 'fix', time: '2026-03-02T18:00:00.000Z' }] });
    await seed.release(shop, { version: '1.2.0', previous: '1.1.0', kind: 'minor', createdAt: '2026-03-04T01:00:00.000Z', commits: [{ sha: 'c5', type: 'feat', time: '2026-03-04T00:00:00.000Z' }] });
    await seed.release(shop, { version: '1.2.1', previous: '1.2.0', parent: '1.2.0', kind: 'hotfix', createdAt: '2026-03-05T02:00:00.000Z', commits: [{ sha: 'c6', type: 'fix', time: '2026-03-05T00:00:00.000Z', tickets: ['SHOP-4'] }] });
    await seed.release(shop, { version: '1.3.0', previous: '1.2.0', kind: 'minor', createdAt: '2026-03-09T13:00:00.000Z', commits: [{ sha: 'c7', type: 'feat', time: '2026-03-09T00:00:00.000Z' }, { sha: 'c8', type: 'feat', time: '2026-03-09T12:00:00.000Z' }] });
    const dep = (version: string, status: string, finishedAt: string, more = {}) => seed.deployment(shop, 'shop', { environment: 'production', version, status, finishedAt, ...more });
    await dep('1.0.0', 'succeeded', '2026-03-01T12:00:00.000Z');
    await dep('1.1.0', 'succeeded', '2026-03-03T00:00:00.000Z');
    await dep('1.2.0', 'failed', '2026-03-04T12:00:00.000Z', { failureReason: 'target_failed' });
    await dep('1.2.0', 'succeeded', '2026-03-04T14:00:00.000Z');
    await dep('1.2.1', 'succeeded', '2026-03-05T04:00:00.000Z');
    await dep('1.3.0', 'rolled_back', '2026-03-10T00:00:00.000Z');
    await dep('1.2.1', 'succeeded', '2026-03-10T03:00:00.000Z', { kind: 'rollback' });
    for (const [at, decision, kind] of [['2026-03-02T10:00:00.000Z', 'go'], ['2026-03-03T10:00:00.000Z', 'no-go'], ['2026-03-03T11:00:00.000Z', 'go', 'product'], ['2026-03-04T10:00:00.000Z', 'go'], ['2026-03-09T10:00:00.000Z', 'go'], ['2026-03-10T10:00:00.000Z', 'no-go']] as const) {
      await seed.signoff(shop, { version: '1.2.0', decision, at, ...(kind && { kind }) });
    }
    const bug = async (payload: Record<string, unknown>) => {
      const res = await t.request({ method: 'POST', url: '/api/v1/bugs', payload: { project: 'shop', severity: 'high', ...payload } });
      expect(res.statusCode, res.body).toBe(201);
      return res.json();
    };
    await bug({ title: 'B1 cart empty', foundIn: 'staging', foundAt: '2026-03-02T12:00:00Z' });
    await bug({ title: 'B2 coupon rounding', foundIn: 'release-candidate', foundAt: '2026-03-03T12:00:00Z' });
    await bug({ title: 'B3 totals wrong again', foundIn: 'production', regression: true, version: '1.2.0', foundAt: '2026-03-04T15:00:00Z' });
    // B4 comes from the tracker's webhook, B5…B8 from a CSV export.
    const intake = await t.request({ method: 'PUT', url: '/api/v1/bugs/intake', payload: { enabled: true, secret: 'jira-webhook-secret-0123', mapping: { project: { from: 'issue.fields.project.key', map: { SHOP: 'shop' } } } } });
    expect(intake.statusCode, intake.body).toBe(200);
    const body = JSON.stringify({ webhookEvent: 'jira:issue_created', issue: { key: 'SHOP-4', fields: { summary: 'B4 invoice PDF blank', project: { key: 'SHOP' }, priority: { name: 'Highest' }, environment: 'Production', labels: ['customer'], created: '2026-03-06T10:00:00.000+0100' } } });
    const signature = `sha256=${createHmac('sha256', 'jira-webhook-secret-0123').update(body).digest('hex')}`;
    const hook = await t.request({ method: 'POST', url: '/api/v1/bugs/webhook', headers: { 'content-type': 'application/json', 'x-hub-signature': signature }, payload: body, token: null });
    expect(hook.statusCode, hook.body).toBe(201);
    expect(hook.json().bug).toMatchObject({ ticket: 'SHOP-4', severity: 'critical', foundIn: 'production', regression: false, foundAt: '2026-03-06T09:00:00.000Z', source: 'webhook', fixedIn: null });
    const csv = [
      'project,title,ticket,severity,foundIn,version,regression,foundAt',
      'shop,B5 search slow,SHOP-5,medium,beta,,no,2026-03-08T23:30:00Z',
      'shop,"B6 checkout 500, again",SHOP-6,critical,production,,yes,2026-03-10T01:00:00Z',
      'shop,B7 typo,,low,alpha,,,2026-03-11T12:00:00Z',
      'shop,B8 wrong banner,SHOP-8,medium,push-to-production,1.3.0,false,2026-03-12T12:00:00Z',
    ].join('\r\n');
    const imported = await t.request({ method: 'POST', url: '/api/v1/bugs/import', headers: { 'content-type': 'text/csv' }, payload: csv });
    expect(imported.statusCode, imported.body).toBe(201);
    expect(imported.json()).toMatchObject({ created: 4, skipped: [] });
  });
  afterAll(() => t?.close());

  const quality = async (query: string) => {
    const res = await t.request({ method: 'GET', url: `/api/v1/insights/quality?${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const stages = (staging: number, rc: number, alpha: number, beta: number, ptp: number, production: number) => ({ staging, 'release-candidate': rc, alpha, beta, 'push-to-production': ptp, production });

  it('counts per week in UTC', async () => {
    const q = await quality('project=shop&from=2026-03-02&to=2026-03-16&interval=week');
    expect(q.weeks).toEqual([
      { weekStart: '2026-03-02', startsAt: '2026-03-02T00:00:00.000Z', endsAt: '2026-03-09T00:00:00.000Z', partial: false, qaTestsPerformed: 3, qaTestsPushedBack: 1, stagingFeaturesPushedToProduction: 2, bugsByStage: stages(1, 1, 0, 1, 0, 2), productionRegressions: 1, otherBugs: 1, bugs: 5 },
      { weekStart: '2026-03-09', startsAt: '2026-03-09T00:00:00.000Z', endsAt: '2026-03-16T00:00:00.000Z', partial: false, qaTestsPerformed: 2, qaTestsPushedBack: 1, stagingFeaturesPushedToProduction: 2, bugsByStage: stages(0, 0, 1, 0, 1, 1), productionRegressions: 1, otherBugs: 0, bugs: 3 },
    ]);
  });

  it('moves the week boundary with the time zone', async () => {
    const q = await quality('project=shop&from=2026-03-02&to=2026-03-16&timezone=Europe/Paris');
    expect(q.weeks.map((w: any) => [w.weekStart, w.startsAt, w.partial])).toEqual([
      ['2026-03-02', '2026-03-01T23:00:00.000Z', true],
      ['2026-03-09', '2026-03-08T23:00:00.000Z', false],
      ['2026-03-16', '2026-03-15T23:00:00.000Z', true],
    ]);
    // B5 (03-08T23:30Z) is in Paris's second week.
    expect(q.weeks[0].bugsByStage).toEqual(stages(1, 1, 0, 0, 0, 2));
    expect(q.weeks[1].bugsByStage).toEqual(stages(0, 0, 1, 1, 1, 1));
    expect(q.totals).toMatchObject({ qaTestsPerformed: 5, qaTestsPushedBack: 2, bugs: 8, productionRegressions: 2, otherBugs: 1 });
  });

  it('counts bugs found after each release shipped', async () => {
    const q = await quality('project=shop&from=2026-03-02&to=2026-03-16');
    const byVersion = Object.fromEntries(q.releases.map((r: any) => [r.version, [r.shippedAt, r.bugsAfterShip, r.regressionsAfterShip]]));
    expect(byVersion).toEqual({
      '1.3.0': ['2026-03-10T00:00:00.000Z', 2, 1],
      '1.2.1': ['2026-03-05T04:00:00.000Z', 1, 0],
      '1.2.0': ['2026-03-04T14:00:00.000Z', 1, 1],
      '1.1.0': ['2026-03-03T00:00:00.000Z', 0, 0],
    });
  });

  it('links a bug to the release that fixed it, and keeps imports idempotent', async () => {
    const list = (await t.request({ method: 'GET', url: '/api/v1/bugs?project=shop&stage=production' })).json().items;
    expect(list).toHaveLength(3);
    // SHOP-4 was named by 1.2.1's changelog, cut before the bug was reported: not its fix.
    expect(list.find((b: any) => b.ticket === 'SHOP-4').fixedIn).toBeNull();
    const again = await t.request({ method: 'POST', url: '/api/v1/bugs/import?project=shop', headers: { 'content-type': 'text/csv' }, payload: 'title,ticket,severity,foundIn,foundAt\nB6 again,SHOP-6,critical,production,2026-03-10T01:00:00Z\n' });
    expect(again.json()).toMatchObject({ created: 0, skipped: [{ line: 2, ticket: 'SHOP-6', reason: 'already recorded' }] });
    const dup = await t.request({ method: 'POST', url: '/api/v1/bugs', payload: { project: 'shop', title: 'dup', ticket: 'SHOP-6', severity: 'low', foundIn: 'beta', foundAt: '2026-03-10T01:00:00Z' } });
    expect(dup.statusCode).toBe(409);
  });

  it('refuses bad bugs naming the field, a bad CSV entirely, and unsigned webhooks', async () => {
    const count = async () => (await t.request({ method: 'GET', url: '/api/v1/bugs?limit=200' })).json().items.length;
    const before = await count();
    for (const [payload, field] of [
      [{ project: 'shop', title: 'x', severity: 'urgent', foundIn: 'beta', foundAt: '2026-03-10T00:00:00Z' }, 'severity'],
      [{ project: 'shop', title: 'x', severity: 'low', foundIn: 'qa', foundAt: '2026-03-10T00:00:00Z' }, 'foundIn'],
      [{ project: 'shop', title: 'x', severity: 'low', foundIn: 'beta', foundAt: '2027-03-10T00:00:00Z' }, 'foundAt'],
      [{ project: 'shop', title: 'x', severity: 'low', foundIn: 'beta', foundAt: '2026-03-10T00:00:00Z', version: 'v-latest' }, 'version'],
      [{ project: 'nope', title: 'x', severity: 'low', foundIn: 'beta', foundAt: '2026-03-10T00:00:00Z' }, 'project'],
    ] as const) {
      const res = await t.request({ method: 'POST', url: '/api/v1/bugs', payload });
      expect(res.statusCode, JSON.stringify(payload)).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(JSON.stringify(res.json().error)).toContain(field);
    }
    const csv = 'project,title,severity,foundIn,foundAt\nshop,ok bug,low,beta,2026-03-10T00:00:00Z\nshop,bad bug,low,nowhere,2026-03-10T00:00:00Z\n';
    const refused = await t.request({ method: 'POST', url: '/api/v1/bugs/import', headers: { 'content-type': 'text/csv' }, payload: csv });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.details.problems).toEqual([{ field: 'line 3: foundIn', message: expect.stringContaining('staging') }]);
    expect((await t.request({ method: 'POST', url: '/api/v1/bugs/import', headers: { 'content-type': 'text/csv' }, payload: 'title\n"unterminated' })).statusCode).toBe(400);
    const unsigned = await t.request({ method: 'POST', url: '/api/v1/bugs/webhook', payload: { webhookEvent: 'jira:issue_created' }, token: null });
    expect(unsigned.statusCode).toBe(401);
    const forged = await t.request({ method: 'POST', url: '/api/v1/bugs/webhook', headers: { 'x-hub-signature': 'sha256=00' }, payload: { webhookEvent: 'jira:issue_created' }, token: null });
    expect(forged.statusCode).toBe(401);
    const ignored = await t.request({ method: 'POST', url: '/api/v1/bugs/webhook?token=jira-webhook-secret-0123', payload: { webhookEvent: 'jira:issue_updated', issue: {} }, token: null });
    expect(ignored.json()).toMatchObject({ ignored: true });
    expect(await count()).toBe(before);
  });
});
