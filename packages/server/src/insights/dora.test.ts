import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../shared/clock.js';
import { HistorySeed } from '../testing/insights-seed.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

// A two-week history of one project with answers computed by hand (docs/insights.md has the rules):
//
//   releases   1.0.0 (c1 feat 02-27T12, c2 fix 02-28T12)      1.1.0 (c3 feat 03-02T06, c4 fix 03-02T18)
//              1.2.0 (c5 feat 03-04T00)   1.2.1 hotfix of 1.2.0 (c6 fix 03-05T00, cut 03-05T02)
//              1.3.0 after 1.2.0 (c7 feat 03-09T00, c8 feat 03-09T12)
//   production D0 1.0.0 ok 03-01T12 (before the range)   D1 1.1.0 ok 03-03T00   D2 1.2.0 failed 03-04T12
//              D3 1.2.0 ok 03-04T14   D4 1.2.1 ok 03-05T04   D5 1.3.0 ok 03-10T00, later rolled back
//              D6 rollback to 1.2.1 ok 03-10T03   (a cancelled one and a staging one are ignored)
//   incident   reported against D1, 03-03T10 → 03-03T12
//
// Range [03-02, 03-16), weeks in UTC:
//   frequency  D1 D3 D4 D5 D6 succeeded → 5; 2.5 a week; 5/14 a day → high
//   lead time  D1: 18h 6h · D3: 14h · D4: 4h · D5: 24h 12h · D6: none → 4 6 12 14 18 24 → median 13, p90 21 → elite
//   failures   of D1..D5 (D6 is a rollback): D1 incident, D2 failed, D3 hotfix cut while it ran, D5 rolled back → 4/5
//   restore    D2 → D3 2h · D5 → D6 3h · reported 2h → median 2h → high
//   rework     D4 (a hotfix) and D6 (a rollback) of 6 → 1/3
describe.each(DIALECTS)('DORA metrics on a seeded history, %s', (dialect) => {
  let t: TestApp;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp(dialect, { clock: new ManualClock('2026-03-20T00:00:00Z') });
    const seed = new HistorySeed(t.database.db);
    await seed.environment('staging', 30);
    await seed.environment('production', 50);
    const shop = await seed.project('shop');
    const other = await seed.project('other');
    await seed.release(shop, { version: '1.0.0', previous: null, kind: 'major', createdAt: '2026-03-01T00:00:00.000Z', commits: [{ sha: 'c1', type: 'feat', time: '2026-02-27T12:00:00.000Z' }, { sha: 'c2', type: 'fix', time: '2026-02-28T12:00:00.000Z' }] });
    await seed.release(shop, { version: '1.1.0', previous: '1.0.0', kind: 'minor', createdAt: '2026-03-02T19:00:00.000Z', commits: [{ sha: 'c3', type: 'feat', time: '2026-03-02T06:00:00.000Z' }, { sha: 'c4', type: 'fix', time: '2026-03-02T18:00:00.000Z' }] });
    await seed.release(shop, { version: '1.2.0', previous: '1.1.0', kind: 'minor', createdAt: '2026-03-04T01:00:00.000Z', commits: [{ sha: 'c5', type: 'feat', time: '2026-03-04T00:00:00.000Z' }] });
    await seed.release(shop, { version: '1.2.1', previous: '1.2.0', parent: '1.2.0', kind: 'hotfix', createdAt: '2026-03-05T02:00:00.000Z', commits: [{ sha: 'c6', type: 'fix', time: '2026-03-05T00:00:00.000Z' }] });
    await seed.release(shop, { version: '1.3.0', previous: '1.2.0', kind: 'minor', createdAt: '2026-03-09T13:00:00.000Z', commits: [{ sha: 'c7', type: 'feat', time: '2026-03-09T00:00:00.000Z' }, { sha: 'c8', type: 'feat', time: '2026-03-09T12:00:00.000Z' }] });
    const dep = (environment: string, version: string, status: string, finishedAt: string, more: Record<string, unknown> = {}) => seed.deployment(shop, 'shop', { environment, version, status, finishedAt, ...more });
    ids.D0 = await dep('production', '1.0.0', 'succeeded', '2026-03-01T12:00:00.000Z');
    await dep('staging', '1.1.0', 'succeeded', '2026-03-02T20:00:00.000Z');
    ids.D1 = await dep('production', '1.1.0', 'succeeded', '2026-03-03T00:00:00.000Z');
    ids.D2 = await dep('production', '1.2.0', 'failed', '2026-03-04T12:00:00.000Z', { failureReason: 'target_failed' });
    ids.D3 = await dep('production', '1.2.0', 'succeeded', '2026-03-04T14:00:00.000Z');
    ids.D4 = await dep('production', '1.2.1', 'succeeded', '2026-03-05T04:00:00.000Z');
    ids.D5 = await dep('production', '1.3.0', 'rolled_back', '2026-03-10T00:00:00.000Z');
    ids.D6 = await dep('production', '1.2.1', 'succeeded', '2026-03-10T03:00:00.000Z', { kind: 'rollback', rollbackOf: ids.D5 });
    await dep('production', '1.3.0', 'cancelled', '2026-03-11T00:00:00.000Z');
    // Another project's deployments count only without a project filter.
    await seed.deployment(other, 'other', { environment: 'production', version: '1.0.0', status: 'failed', finishedAt: '2026-03-06T00:00:00.000Z', failureReason: 'smoke_failed' });
    const incident = await t.request({ method: 'POST', url: '/api/v1/incidents', payload: { project: 'shop', environment: 'production', title: 'Checkout errors', deployment: ids.D1, openedAt: '2026-03-03T10:00:00Z', resolvedAt: '2026-03-03T12:00:00Z' } });
    expect(incident.statusCode, incident.body).toBe(201);
  });
  afterAll(() => t?.close());

  const dora = async (query: string) => {
    const res = await t.request({ method: 'GET', url: `/api/v1/insights/dora?${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  it('answers the five metrics, their bands and the failures behind the rate', async () => {
    const d = await dora('project=shop&environment=production&from=2026-03-02&to=2026-03-16');
    expect(d.deploymentFrequency).toEqual({ count: 5, perWeek: 2.5, perDay: 0.3571, rollbacks: 1 });
    expect(d.leadTime).toEqual({ medianHours: 13, p90Hours: 21, commits: 6 });
    expect(d.changeFailureRate).toBe(0.8);
    expect(d.changeFailures).toMatchObject({ failures: 4, of: 5, failed: 1, rolledBack: 1, hotfixed: 1, incidents: 1 });
    const reasons = Object.fromEntries(d.changeFailures.deployments.map((x: { id: string; reasons: string[] }) => [x.id, x.reasons]));
    expect(reasons).toEqual({ [ids.D1!]: ['incident'], [ids.D2!]: ['failed'], [ids.D3!]: ['hotfix'], [ids.D5!]: ['rolled_back'] });
    expect(d.timeToRestore).toEqual({ medianHours: 2, incidents: 3, unresolved: 0 });
    expect(d.reworkRate).toBe(0.3333);
    expect(d.rework).toEqual({ unplanned: 2, of: 6, hotfixes: 1, rollbacks: 1 });
    expect(d.bands).toEqual({ deploymentFrequency: 'high', leadTime: 'elite', changeFailureRate: 'low', timeToRestore: 'high', reworkRate: 'low' });
    expect(d.thresholds.changeFailureRate).toMatchObject({ elite: 0.05, high: 0.1, medium: 0.15 });
  });

  it('gives a weekly trend with the same rules per week', async () => {
    const d = await dora('project=shop&from=2026-03-02&to=2026-03-16&interval=week');
    expect(d.environment).toBe('production');
    expect(d.trend.map((w: { start: string }) => w.start)).toEqual(['2026-03-02', '2026-03-09']);
    expect(d.trend[0]).toMatchObject({ deployments: 3, perWeek: 3, leadTimeMedianHours: 10, leadTimeP90Hours: 16.8, changeFailureRate: 0.75, timeToRestoreMedianHours: 2, incidents: 2, reworkRate: 0.25, partial: false });
    expect(d.trend[1]).toMatchObject({ deployments: 2, perWeek: 2, leadTimeMedianHours: 18, leadTimeP90Hours: 22.8, changeFailureRate: 1, timeToRestoreMedianHours: 3, incidents: 1, reworkRate: 0.5 });
  });

  it('lists the derived and reported incidents', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/incidents?project=shop&from=2026-03-02&to=2026-03-16' });
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items;
    expect(items.map((i: any) => [i.source, i.openedAt, i.resolvedAt, i.restoreHours])).toEqual([
      ['manual', '2026-03-03T10:00:00.000Z', '2026-03-03T12:00:00.000Z', 2],
      ['deployment', '2026-03-04T12:00:00.000Z', '2026-03-04T14:00:00.000Z', 2],
      ['deployment', '2026-03-10T00:00:00.000Z', '2026-03-10T03:00:00.000Z', 3],
    ]);
    expect(items[1]).toMatchObject({ id: `deployment:${ids.D2}`, deployments: [ids.D2], resolvedBy: ids.D3, versions: ['1.2.0'] });
    expect(items[2]).toMatchObject({ deployments: [ids.D5], resolvedBy: ids.D6 });
  });

  it('counts every project without a filter, and an open incident stays unresolved', async () => {
    const d = await dora('from=2026-03-02&to=2026-03-16');
    // other's failed deployment: one more deployment, one more failure, one open incident.
    expect(d.changeFailures).toMatchObject({ failures: 5, of: 6 });
    expect(d.timeToRestore).toEqual({ medianHours: 2, incidents: 4, unresolved: 1 });
    expect(d.deploymentFrequency.count).toBe(5);
  });

  it('reads staging as its own environment, and refuses bad input naming the field', async () => {
    const d = await dora('project=shop&environment=staging&from=2026-03-02&to=2026-03-16');
    expect(d.deploymentFrequency.count).toBe(1);
    // The staging deployment of 1.1.0 was the first there: it brought c1…c4 (1.1.0's chain down to the start).
    expect(d.leadTime.commits).toBe(4);
    for (const [query, field] of [
      ['from=yesterday', 'from'],
      ['from=2026-03-10&to=2026-03-01', 'from'],
      ['timezone=Mars/Olympus', 'timezone'],
      ['interval=day', 'interval'],
    ] as const) {
      const res = await t.request({ method: 'GET', url: `/api/v1/insights/dora?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(JSON.stringify(res.json().error), query).toContain(field);
    }
    expect((await t.request({ method: 'GET', url: '/api/v1/insights/dora?project=nope' })).statusCode).toBe(404);
    expect((await t.request({ method: 'GET', url: '/api/v1/insights/dora?environment=nope' })).statusCode).toBe(404);
  });
});
