import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../notifications/receiver-fixtures.js';
import { ManualClock } from '../shared/clock.js';
import { listenOn, type ListeningApp } from '../testing/listening-app.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../testing/test-database.js';

const HOOK_SECRET = 'e2e-hook-secret-0123456789';

// An executor as a CI job would be: it runs "the suite" and uploads a JUnit report with the run's token.
const UPLOADER = `
const xml = '<testsuite name="e2e"><testcase classname="e2e.checkout" name="pays" time="1"/><testcase classname="e2e.checkout" name="refunds" time="2"><failure message="refund button missing"/></testcase></testsuite>';
fetch(process.env.SLIPWAY_RESULTS_URL, { method: 'POST', headers: { authorization: 'Bearer ' + process.env.SLIPWAY_TEST_RUN_TOKEN, 'content-type': 'application/xml' }, body: xml })
  .then((r) => { console.log('uploaded ' + r.status + ' for ' + process.env.SLIPWAY_PROJECT + ' ' + process.env.SLIPWAY_VERSION); process.exit(r.status === 201 ? 0 : 3); }, (e) => { console.error(e); process.exit(4); });
`;

describe.each(DIALECTS)('scheduled test runs on %s', (dialect) => {
  let db: TestDatabase;
  let hook: HttpReceiver;
  const apps: ListeningApp[] = [];
  const clock = new ManualClock('2026-03-09T23:30:00Z');
  let a: ListeningApp;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    hook = await startHttpReceiver({ secret: HOOK_SECRET });
    a = await listenOn(db, clock, { insights: { runLeaseMs: 5_000 } });
    apps.push(a);
    expect((await a.request('POST', '/api/v1/environments', { key: 'staging', rank: 30 })).status).toBe(201);
    expect((await a.request('POST', '/api/v1/projects', { key: 'shop', repository: '/srv/git/shop.git', verify: false })).status).toBe(201);
  });
  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => {});
    await hook.close();
    await db.close();
  });

  const runsOf = async (app: ListeningApp, schedule: string) => (await app.request('GET', '/api/v1/projects/shop/test-runs?limit=200')).json.items.filter((r: { scheduleId: string }) => r.scheduleId === schedule);

  it('fires an occurrence missed during a restart exactly once, also with two replicas racing', async () => {
    const created = await a.request('POST', '/api/v1/projects/shop/test-schedules', { name: 'hourly', environment: 'staging', cron: '0 * * * *', timezone: 'Europe/Paris', executor: { type: 'webhook', url: `${hook.url}/e2e`, secret: HOOK_SECRET } });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ nextFireAt: '2026-03-10T00:00:00.000Z', executor: { type: 'webhook', hasSecret: true } });
    clock.set('2026-03-09T23:59:00Z');
    expect((await a.services.insights.runner.runOnce()).fired).toBe(0);
    // The server stops before midnight and comes back at 03:10: three occurrences were missed.
    await a.close();
    apps.splice(apps.indexOf(a), 1);
    clock.set('2026-03-10T03:10:00Z');
    const b = await listenOn(db, clock);
    const c = await listenOn(db, clock);
    apps.push(b, c);
    // Replicas race on PostgreSQL; SQLite is one server's database (concurrent writers there would only wait on its lock).
    const race = <T>(x: () => Promise<T>, y: () => Promise<T>) => (dialect === 'postgres' ? Promise.all([x(), y()]) : x().then(async (rx) => [rx, await y()] as const));
    const [fb, fc] = await race(() => b.services.insights.runner.runOnce(), () => c.services.insights.runner.runOnce());
    expect(fb.fired + fc.fired).toBe(1);
    expect((await b.services.insights.runner.runOnce()).fired + (await c.services.insights.runner.runOnce()).fired).toBe(0);
    await Promise.all([b.services.insights.runner.idle(), c.services.insights.runner.idle()]);
    const runs = await runsOf(b, created.json.id);
    expect(runs).toHaveLength(1);
    expect((await b.request('GET', '/api/v1/projects/shop/test-schedules/hourly')).json).toMatchObject({ nextFireAt: '2026-03-10T04:00:00.000Z', lastFiredAt: '2026-03-10T03:10:00.000Z' });
    // The next hour fires once more.
    clock.set('2026-03-10T04:00:30Z');
    await race(() => b.services.insights.runner.runOnce(), () => c.services.insights.runner.runOnce());
    await Promise.all([b.services.insights.runner.idle(), c.services.insights.runner.idle()]);
    expect(await runsOf(c, created.json.id)).toHaveLength(2);
    expect((await b.request('PATCH', '/api/v1/projects/shop/test-schedules/hourly', { enabled: false })).json.nextFireAt).toBeNull();
    a = b;
  });

  it('starts a webhook run with a signed request and takes its results by callback; a run past its deadline ends as an error', async () => {
    const created = await a.request('POST', '/api/v1/projects/shop/test-schedules', { name: 'nightly', environment: 'staging', cron: '0 2 * * *', timezone: 'UTC', timeoutMs: 3_600_000, executor: { type: 'webhook', url: `${hook.url}/nightly`, secret: HOOK_SECRET } });
    expect(created.status, created.text).toBe(201);
    const run = (await a.request('POST', '/api/v1/projects/shop/test-schedules/nightly/run')).json;
    expect(run).toMatchObject({ status: 'queued', source: 'schedule', suite: 'e2e', environment: 'staging' });
    await a.services.insights.runner.runOnce();
    await a.services.insights.runner.idle();
    const sent = hook.requests.filter((r) => r.path === '/nightly');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.signatureValid).toBe(true);
    expect(sent[0]!.headers['x-slipway-event']).toBe('test_run');
    expect(sent[0]!.json).toMatchObject({ runId: run.id, project: 'shop', environment: 'staging', suite: 'e2e', resultsUrl: `${a.url}/api/v1/test-runs/${run.id}/results` });
    const token = sent[0]!.json.callbackToken as string;
    expect(token).toMatch(/^slwtr_/);
    expect((await a.request('GET', `/api/v1/test-runs/${run.id}`)).json.status).toBe('running');
    // Hours later (the lease is renewed by nobody: the run waits in the database), the CI reports.
    clock.set('2026-03-10T04:50:00Z');
    const wrong = await a.request('POST', `/api/v1/test-runs/${run.id}/status`, { status: 'passed' }, 'slwtr_not-the-token');
    expect(wrong.status).toBe(401);
    const done = await a.request('POST', `/api/v1/test-runs/${run.id}/status`, { status: 'failed', total: 120, failed: 1, failures: [{ name: 'checkout › pays', classname: 'e2e', message: 'timeout' }] }, token);
    expect(done.status, done.text).toBe(200);
    expect(done.json).toMatchObject({ status: 'failed', total: 120, failed: 1, newlyFailing: ['e2e::checkout › pays'] });
    expect((await a.request('POST', `/api/v1/test-runs/${run.id}/status`, { status: 'passed' }, token)).status).toBe(409);

    const late = (await a.request('POST', '/api/v1/projects/shop/test-schedules/nightly/run')).json;
    await a.services.insights.runner.runOnce();
    await a.services.insights.runner.idle();
    clock.set('2026-03-10T06:00:00Z');
    await a.services.insights.runner.runOnce();
    await a.services.insights.runner.idle();
    expect((await a.request('GET', `/api/v1/test-runs/${late.id}`)).json).toMatchObject({ status: 'error', message: expect.stringContaining('timeout: no results within 60 minutes') });
    expect((await a.request('DELETE', '/api/v1/projects/shop/test-schedules/nightly')).status).toBe(204);
  });

  it('runs a command that uploads its JUnit report; a restart interrupts a command, and its late results still count', async () => {
    const created = await a.request('POST', '/api/v1/projects/shop/test-schedules', { name: 'smoke-e2e', environment: 'staging', cron: '30 1 * * *', timezone: 'America/New_York', executor: { type: 'command', command: [process.execPath, '-e', UPLOADER] } });
    expect(created.status, created.text).toBe(201);
    expect(created.json.nextFireAt).toBe('2026-03-11T05:30:00.000Z');
    clock.set('2026-03-11T05:31:00Z');
    expect((await a.services.insights.runner.runOnce()).fired).toBe(1);
    await a.services.insights.runner.idle();
    const [run] = await runsOf(a, created.json.id);
    expect(run).toMatchObject({ status: 'failed', total: 2, failed: 1, source: 'schedule' });
    expect((await a.request('GET', `/api/v1/test-runs/${run.id}`)).json.outcomes).toEqual([expect.objectContaining({ key: 'e2e.checkout::refunds', message: 'refund button missing' })]);

    // A long command, and the server stops while it runs.
    expect((await a.request('PATCH', '/api/v1/projects/shop/test-schedules/smoke-e2e', { executor: { type: 'command', command: [process.execPath, '-e', 'setTimeout(() => {}, 60000)'] } })).status).toBe(200);
    const long = (await a.request('POST', '/api/v1/projects/shop/test-schedules/smoke-e2e/run')).json;
    await a.services.insights.runner.runOnce();
    await new Promise((r) => setTimeout(r, 300));
    expect((await a.request('GET', `/api/v1/test-runs/${long.id}`)).json.status).toBe('running');
    await a.close();
    apps.splice(apps.indexOf(a), 1);
    const b = await listenOn(db, clock);
    apps.push(b);
    clock.advance(61_000);
    await b.services.insights.runner.runOnce();
    await b.services.insights.runner.idle();
    expect((await b.request('GET', `/api/v1/test-runs/${long.id}`)).json).toMatchObject({ status: 'error', message: expect.stringContaining('interrupted') });
    const results = await fetch(`${b.url}/api/v1/test-runs/${long.id}/results`, { method: 'POST', headers: { authorization: `Bearer ${b.adminToken}`, 'content-type': 'application/xml' }, body: '<testsuite name="e2e"><testcase classname="e2e" name="a"/></testsuite>' });
    expect(results.status).toBe(201);
    expect((await b.request('GET', `/api/v1/test-runs/${long.id}`)).json).toMatchObject({ status: 'passed', total: 1 });
    a = b;
  });

  it('refuses bad schedules naming the field, and changes nothing', async () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ name: 'x', environment: 'staging', cron: '61 * * * *', executor: { type: 'command', command: ['true'] } }, 'cron'],
      [{ name: 'x', environment: 'staging', cron: '0 2 * * *', timezone: 'Mars/Base', executor: { type: 'command', command: ['true'] } }, 'timezone'],
      [{ name: 'x', environment: 'moon', cron: '0 2 * * *', executor: { type: 'command', command: ['true'] } }, 'environment'],
      [{ name: 'x', environment: 'staging', cron: '0 2 * * *', executor: { type: 'webhook', url: 'http://127.0.0.1:9/x' } }, 'secret'],
      [{ name: 'X Y', environment: 'staging', cron: '0 2 * * *', executor: { type: 'command', command: ['true'] } }, 'name'],
    ];
    const before = (await a.request('GET', '/api/v1/projects/shop/test-schedules')).json.items.length;
    for (const [body, field] of bad) {
      const res = await a.request('POST', '/api/v1/projects/shop/test-schedules', body);
      expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(JSON.stringify(res.json.error)).toContain(field);
    }
    const engineer = await a.request('POST', '/api/v1/tokens', { name: 'eng', role: 'engineer' });
    const denied = await a.request('POST', '/api/v1/projects/shop/test-schedules', { name: 'mine', environment: 'staging', cron: '0 2 * * *', executor: { type: 'command', command: ['true'] } }, engineer.json.token);
    expect(denied.status).toBe(403);
    expect((await a.request('GET', '/api/v1/projects/shop/test-schedules')).json.items.length).toBe(before);
  });
});
