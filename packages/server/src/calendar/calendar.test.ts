import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../notifications/receiver-fixtures.js';
import { ManualClock } from '../shared/clock.js';
import { HistorySeed } from '../testing/insights-seed.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

// The seed's calendar (002): regular releases every 2 weeks on Tuesday, majors every 6 weeks,
// maintenance windows every 4 weeks on Sunday 02:00–04:00 UTC; plus a freeze and a deploy window.
describe.each(DIALECTS)('release calendar on %s', (dialect) => {
  let t: TestApp;
  let hook: HttpReceiver;
  const clock = new ManualClock('2026-03-01T12:00:00Z');
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp(dialect, { clock });
    hook = await startHttpReceiver();
    const seed = new HistorySeed(t.database.db);
    const shop = await seed.project('shop');
    await seed.release(shop, { version: '2.13.0', previous: null, kind: 'minor', createdAt: '2026-02-24T10:00:00.000Z', commits: [{ sha: 'x1', type: 'feat', time: '2026-02-20T10:00:00.000Z' }] });
    await seed.release(shop, { version: '2.13.1', previous: '2.13.0', parent: '2.13.0', kind: 'hotfix', createdAt: '2026-02-26T10:00:00.000Z', commits: [{ sha: 'x2', type: 'fix', time: '2026-02-25T10:00:00.000Z' }] });
    expect((await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'production', rank: 50 } })).statusCode).toBe(201);
    const env = await t.request({
      method: 'PATCH',
      url: '/api/v1/environments/production',
      payload: { freezes: [{ from: '2026-03-20T00:00:00Z', to: '2026-03-23T00:00:00Z', reason: 'quarter close' }], windows: [{ days: ['tue', 'thu'], start: '09:00', end: '16:00', timezone: 'Europe/Paris' }] },
    });
    expect(env.statusCode, env.body).toBe(200);
    const create = async (payload: Record<string, unknown>) => {
      const res = await t.request({ method: 'POST', url: '/api/v1/calendar/schedules', payload });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().id as string;
    };
    ids.train = await create({ project: 'shop', name: 'Release train', kind: 'release', rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU', startsAt: '2026-03-03T10:00', timezone: 'Europe/Paris', durationMinutes: 60 });
    ids.major = await create({ name: 'Major release', kind: 'major', rrule: 'RRULE:FREQ=WEEKLY;INTERVAL=6;BYDAY=TU', startsAt: '2026-03-03T14:00', timezone: 'UTC' });
    ids.maintenance = await create({ name: 'Maintenance window', kind: 'maintenance', rrule: 'FREQ=WEEKLY;INTERVAL=4;BYDAY=SU', startsAt: '2026-03-08T02:00', timezone: 'UTC', durationMinutes: 120 });
    const channel = await t.request({ method: 'POST', url: '/api/v1/channels', payload: { name: 'releases-room', type: 'slack', config: { url: `${hook.url}/chat` }, subscriptions: [{ events: ['calendar.reminder'] }] } });
    expect(channel.statusCode).toBe(201);
  });
  afterAll(async () => {
    await hook.close();
    await t.close();
  });

  it('lists schedules, freezes, deploy windows and releases on one calendar, in local time across DST', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/calendar?from=2026-02-20&to=2026-04-15' });
    expect(res.statusCode, res.body).toBe(200);
    const events = res.json().events as Array<{ kind: string; start: string; end: string; title: string }>;
    const of = (kind: string) => events.filter((e) => e.kind === kind);
    // Paris changes to summer time on 29 March: 10:00 local is 09:00Z before, 08:00Z after.
    expect(of('release').map((e) => e.start)).toEqual(['2026-03-03T09:00:00.000Z', '2026-03-17T09:00:00.000Z', '2026-03-31T08:00:00.000Z', '2026-04-14T08:00:00.000Z']);
    expect(of('release')[0]!.title).toBe('shop: Release train');
    expect(of('major').map((e) => e.start)).toEqual(['2026-03-03T14:00:00.000Z', '2026-04-14T14:00:00.000Z']);
    expect(of('maintenance').map((e) => [e.start, e.end])).toEqual([
      ['2026-03-08T02:00:00.000Z', '2026-03-08T04:00:00.000Z'],
      ['2026-04-05T02:00:00.000Z', '2026-04-05T04:00:00.000Z'],
    ]);
    expect(of('freeze')).toEqual([expect.objectContaining({ start: '2026-03-20T00:00:00.000Z', end: '2026-03-23T00:00:00.000Z', title: 'production frozen: quarter close' })]);
    const windows = of('deploy-window');
    expect(windows[0]).toMatchObject({ start: '2026-02-24T08:00:00.000Z', end: '2026-02-24T15:00:00.000Z' });
    expect(windows.find((w) => w.start.startsWith('2026-04-02'))).toMatchObject({ start: '2026-04-02T07:00:00.000Z' });
    expect(of('release-cut').map((e) => e.title)).toEqual(['shop 2.13.0 released', 'shop 2.13.1 released (hotfix)']);
    // Sorted by start.
    expect(events.map((e) => e.start)).toEqual([...events.map((e) => e.start)].sort());
  });

  it('serves an iCalendar feed that ical.js parses back to the same occurrences', async () => {
    const token = await t.request({ method: 'POST', url: '/api/v1/calendar/tokens', payload: { name: 'my phone' } });
    expect(token.statusCode).toBe(201);
    const { token: secret, url } = token.json();
    expect(url).toBe(`/api/v1/calendar.ics?token=${secret}`);
    const feed = await t.request({ method: 'GET', url, token: null });
    expect(feed.statusCode, feed.body).toBe(200);
    expect(feed.headers['content-type']).toContain('text/calendar');
    const cal = new ICAL.Component(ICAL.parse(feed.body));
    expect(cal.getFirstPropertyValue('prodid')).toBe('-//Slipway//Release calendar//EN');
    const vevents = cal.getAllSubcomponents('vevent').map((c) => new ICAL.Event(c));
    const from = new Date('2026-02-20T00:00:00Z');
    const to = new Date('2026-04-15T00:00:00Z');
    const expand = (e: ICAL.Event) => {
      if (!e.isRecurring()) return [e.startDate.toJSDate()];
      const out: Date[] = [];
      const it = e.iterator();
      for (let n = it.next(); n && n.toJSDate() < to; n = it.next()) out.push(n.toJSDate());
      return out;
    };
    const fromFeed = (summary: string) => vevents.filter((e) => e.summary === summary).flatMap(expand).filter((d) => d >= from && d < to).map((d) => d.toISOString()).sort();
    const api = (await t.request({ method: 'GET', url: '/api/v1/calendar?from=2026-02-20&to=2026-04-15' })).json().events as Array<{ kind: string; start: string }>;
    const apiStarts = (kind: string) => api.filter((e) => e.kind === kind).map((e) => e.start).sort();
    // UTC schedules are one recurring event each (RRULE); the Paris one is written as its occurrences.
    expect(vevents.filter((e) => e.summary === 'Major release')).toHaveLength(1);
    expect(vevents.find((e) => e.summary === 'Major release')!.isRecurring()).toBe(true);
    expect(fromFeed('Major release')).toEqual(apiStarts('major'));
    expect(fromFeed('Maintenance window')).toEqual(apiStarts('maintenance'));
    expect(fromFeed('shop: Release train')).toEqual(apiStarts('release'));
    expect(fromFeed('production frozen: quarter close')).toEqual(['2026-03-20T00:00:00.000Z']);
    const maintenance = vevents.find((e) => e.summary === 'Maintenance window')!;
    expect(maintenance.endDate.toJSDate().getTime() - maintenance.startDate.toJSDate().getTime()).toBe(2 * 3_600_000);

    // An API token works in the header; no token, a wrong one or a revoked one does not.
    expect((await t.request({ method: 'GET', url: '/api/v1/calendar.ics?kinds=major' })).statusCode).toBe(200);
    expect((await t.request({ method: 'GET', url: '/api/v1/calendar.ics', token: null })).statusCode).toBe(401);
    expect((await t.request({ method: 'GET', url: '/api/v1/calendar.ics?token=slwcal_wrong', token: null })).statusCode).toBe(401);
    expect((await t.request({ method: 'DELETE', url: `/api/v1/calendar/tokens/${token.json().id}` })).statusCode).toBe(204);
    expect((await t.request({ method: 'GET', url, token: null })).statusCode).toBe(401);
  });

  it('announces the next release train the day before, once', async () => {
    clock.set('2026-03-16T08:59:00Z');
    await t.services.insights.worker.runOnce();
    await t.services.notifications.dispatcher.drain();
    expect(hook.requests).toHaveLength(0);
    clock.set('2026-03-16T09:00:00Z');
    await t.services.insights.worker.runOnce();
    await t.services.insights.worker.runOnce();
    await t.services.notifications.dispatcher.drain();
    expect(hook.requests).toHaveLength(1);
    expect(hook.requests[0]!.json.text).toContain('Release train shop 2.14 cuts tomorrow at 10:00 Europe/Paris');
    // The maintenance window of 5 April is announced on 4 April.
    clock.set('2026-04-04T03:00:00Z');
    await t.services.insights.worker.runOnce();
    await t.services.notifications.dispatcher.drain();
    expect(hook.requests.map((r) => r.json.text).at(-1)).toContain('Maintenance window "Maintenance window" starts tomorrow at 02:00 UTC');
  });

  it('refuses bad schedules naming the field', async () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ name: 'x', kind: 'release', rrule: 'FREQ=SECONDLY', startsAt: '2026-03-03T10:00' }, 'rrule'],
      [{ name: 'x', kind: 'release', rrule: 'every tuesday', startsAt: '2026-03-03T10:00' }, 'rrule'],
      [{ name: 'x', kind: 'release', rrule: 'FREQ=WEEKLY', startsAt: '2026-02-30T25:00' }, 'startsAt'],
      [{ name: 'x', kind: 'release', rrule: 'FREQ=WEEKLY', startsAt: '2026-03-03T10:00', timezone: 'Nowhere/City' }, 'timezone'],
      [{ name: 'x', kind: 'party', rrule: 'FREQ=WEEKLY', startsAt: '2026-03-03T10:00' }, 'kind'],
      [{ name: 'x', kind: 'release', rrule: 'FREQ=WEEKLY', startsAt: '2026-03-03T10:00', project: 'nope' }, 'project'],
    ];
    for (const [payload, field] of bad) {
      const res = await t.request({ method: 'POST', url: '/api/v1/calendar/schedules', payload });
      expect(res.statusCode, JSON.stringify(payload)).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(JSON.stringify(res.json().error)).toContain(field);
    }
    expect((await t.request({ method: 'GET', url: '/api/v1/calendar/schedules' })).json().items).toHaveLength(3);
    expect((await t.request({ method: 'GET', url: '/api/v1/calendar?from=2026-01-01&to=2028-01-01' })).statusCode).toBe(400);
  });
});
