import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistorySeed } from '../testing/insights-seed.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

// Every insights route that changes something, sent wrong on purpose: a 4xx with the error shape,
// never a 5xx, and nothing changed (the audit log, where every change is recorded, does not move).
const JUNK_BODIES: Array<{ body: string; contentType?: string }> = [
  { body: '{' },
  { body: 'null' },
  { body: '[]' },
  { body: '"text"' },
  { body: '' },
  { body: '{"__proto__": {"admin": true}}' },
  { body: '['.repeat(3000) + ']'.repeat(3000) },
  { body: '{"a": 1}', contentType: 'text/plain' },
  { body: '<x/>', contentType: 'application/xml' },
  { body: 'a,b\n1,2', contentType: 'text/csv' },
];

interface Route {
  method: 'POST' | 'PUT' | 'PATCH';
  url: string;
  valid: Record<string, unknown>;
  wrong: Record<string, unknown[]>;
}

const ROUTES: Route[] = [
  {
    method: 'POST',
    url: '/api/v1/bugs',
    valid: { project: 'shop', title: 'x', severity: 'low', foundIn: 'beta', foundAt: '2026-03-01T00:00:00Z' },
    wrong: { project: ['Shop', 3, null, 'nope'], title: ['', 5, 'x'.repeat(501)], severity: ['LOW', 'urgent', 1], foundIn: ['qa', ''], foundAt: ['yesterday', 3, '2099-01-01T00:00:00Z'], version: ['latest', 7], regression: ['yes', 1], ticket: ['', 'has space', 9], extra: [1] },
  },
  {
    method: 'POST',
    url: '/api/v1/incidents',
    valid: { title: 'outage', environment: 'production' },
    wrong: { title: ['', 3, null], environment: ['Prod', 'moon'], project: ['nope', 1], openedAt: ['soon', '2099-01-01T00:00:00Z'], resolvedAt: ['2000-01-01T00:00:00Z', 'x'], deployment: ['nope', 4], version: ['1.0.0'], extra: [true] },
  },
  {
    method: 'POST',
    url: '/api/v1/calendar/schedules',
    valid: { name: 'Train', kind: 'release', rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU', startsAt: '2026-03-03T10:00', timezone: 'UTC' },
    wrong: { name: ['', 3], kind: ['party', 1], rrule: ['every week', 'FREQ=HOURLY', 'FREQ=WEEKLY;COUNT=x', 7], startsAt: ['2026-03-03', '2026-13-03T10:00', 5], timezone: ['Mars/Base', ''], durationMinutes: [-1, 1e6, 'long'], remindMinutes: [0, 'soon'], project: ['nope', 'Shop'], extra: [1] },
  },
  {
    method: 'POST',
    url: '/api/v1/projects/shop/test-schedules',
    valid: { name: 'nightly', environment: 'production', cron: '0 2 * * *', executor: { type: 'command', command: ['true'] } },
    wrong: { name: ['Nightly', '', 'a b'], environment: ['moon', 3], cron: ['0 25 * * *', 'often', 9], timezone: ['Nowhere/x'], executor: [{ type: 'shell', command: 'rm -rf /' }, { type: 'command', command: [] }, { type: 'webhook', url: 'ftp://x' }, { type: 'webhook', url: 'http://127.0.0.1:9/' }], timeoutMs: [10, 'long', 1e12], suite: ['E2E!'], enabled: ['yes'] },
  },
  {
    method: 'PUT',
    url: '/api/v1/bugs/intake',
    valid: { enabled: true },
    wrong: { enabled: ['yes'], secret: ['short'], mapping: [{ title: 'a..b' }, { project: { map: 'x' } }, { nope: 'x' }, 'x'] },
  },
  {
    method: 'PUT',
    url: '/api/v1/insights/digest',
    valid: { enabled: true },
    wrong: { timezone: ['Mars/Base', 3], day: ['monday'], time: ['9am', '25:00'], environment: ['moon'], projects: [['nope'], 'shop'], extra: [1] },
  },
  {
    method: 'PUT',
    url: '/api/v1/environments/production/tests-gate',
    valid: { suite: 'e2e' },
    wrong: { suite: ['E2E!', 3], sourceEnvironment: ['moon', 'Prod'], extra: [1] },
  },
  {
    method: 'PATCH',
    url: '/api/v1/projects/shop',
    valid: { requires: [] },
    wrong: { requires: [[{ project: 'api', range: 'not-a-range' }], [{ project: 'nope', range: '^1' }], [{ project: 'shop', range: '^1' }], [{ project: 'api', range: '^1' }, { project: 'api', range: '^2' }], 'api', [{ project: 'api' }]] },
  },
  {
    method: 'POST',
    url: '/api/v1/channels',
    valid: { name: 'tracker', type: 'task', config: { url: 'http://127.0.0.1:9/issue', preset: 'jira' }, subscriptions: [{ events: ['test.failing'] }] },
    wrong: { config: [{ url: 'ftp://x' }, { url: 'http://127.0.0.1:9/', preset: 'trello' }, { url: 'http://127.0.0.1:9/', template: 'x' }, { url: 'http://127.0.0.1:9/', headers: { 'x-slipway-signature': 'forged' } }, { url: 'http://127.0.0.1:9/', template: { big: 'x'.repeat(30_000) } }] },
  },
];

describe.each(DIALECTS)('bad input to the insights routes on %s', (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    const seed = new HistorySeed(t.database.db);
    await seed.environment('production', 50);
    await seed.project('shop');
    await seed.project('api');
  });
  afterAll(() => t?.close());

  const audit = async () => (await t.database.db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst())!.n;

  it('answers 4xx with the error shape and changes nothing', async () => {
    const before = Number(await audit());
    let checked = 0;
    const expect4xx = (res: { statusCode: number; json(): any; body: string }, what: string) => {
      expect(res.statusCode, `${what}: ${res.body}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, `${what}: ${res.body}`).toBeLessThan(500);
      expect(typeof res.json().error.code, what).toBe('string');
      expect(typeof res.json().error.message, what).toBe('string');
      checked++;
    };
    for (const route of ROUTES) {
      for (const [field, values] of Object.entries(route.wrong)) {
        for (const value of values) {
          const res = await t.request({ method: route.method, url: route.url, payload: { ...route.valid, [field]: value } });
          expect4xx(res, `${route.method} ${route.url} ${field}=${JSON.stringify(value)?.slice(0, 60)}`);
        }
      }
      for (const junk of JUNK_BODIES) {
        const res = await t.request({ method: route.method, url: route.url, headers: { 'content-type': junk.contentType ?? 'application/json' }, payload: junk.body });
        expect4xx(res, `${route.method} ${route.url} raw ${junk.body.slice(0, 20)}`);
      }
    }
    for (const url of [
      '/api/v1/insights/dora?from=x',
      '/api/v1/insights/dora?interval=day',
      '/api/v1/insights/dora?from=2020-01-01&to=2026-01-01',
      '/api/v1/insights/quality?timezone=Mars/Base',
      '/api/v1/insights/quality?signoffKind=QA!',
      '/api/v1/incidents?environment=moon',
      '/api/v1/bugs?stage=qa',
      '/api/v1/bugs?cursor=nonsense',
      '/api/v1/calendar?kinds=party',
      '/api/v1/calendar?from=2026-01-01&to=2028-01-01',
      '/api/v1/compatibility?project=shop&version=latest',
      '/api/v1/compatibility?project=shop',
      '/api/v1/projects/shop/test-runs?status=done',
      '/api/v1/projects/shop/tests/flaky?limit=0',
      '/api/v1/test-runs/nope',
    ]) {
      expect4xx(await t.request({ method: 'GET', url }), `GET ${url}`);
    }
    for (const junk of ['', '<testsuite', '<!DOCTYPE x><testsuite/>', '{"json": true}', '\u0000\u0001']) {
      expect4xx(await t.request({ method: 'POST', url: '/api/v1/projects/shop/test-runs', headers: { 'content-type': 'application/xml' }, payload: junk }), `XML ${JSON.stringify(junk)}`);
    }
    for (const [url, body] of [['/api/v1/bugs/import', 'title\n"open'], ['/api/v1/bugs/import', 'nothing,useful\n1,2\n'], ['/api/v1/bugs/import', '']] as const) {
      expect4xx(await t.request({ method: 'POST', url, headers: { 'content-type': 'text/csv' }, payload: body }), `CSV ${JSON.stringify(body)}`);
    }
    expect(checked).toBeGreaterThan(150);
    expect(Number(await audit())).toBe(before);
    expect((await t.request({ method: 'GET', url: '/api/v1/bugs' })).json().items).toEqual([]);
    expect((await t.request({ method: 'GET', url: '/api/v1/calendar/schedules' })).json().items).toEqual([]);
  });
});
