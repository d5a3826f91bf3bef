import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployFixture, deployAndSucceed, drain, type DeployFixture } from '../deployments/deploy-fixtures.js';
import { ManualClock } from '../shared/clock.js';
import { SseClient } from '../testing/sse-client.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';
import { createUserWithPassword, signIn } from '../testing/session-client.js';

// Saturday 2026-01-10 12:00 UTC; the staging window is weekdays 09:00–17:00 UTC.
const SATURDAY_NOON = '2026-01-10T12:00:00.000Z';

describe.each(DIALECTS)('the live status matrix on %s', (dialect) => {
  let t: TestApp;
  let f: DeployFixture;
  let base: string;
  const clock = new ManualClock(SATURDAY_NOON);

  beforeAll(async () => {
    t = await createTestApp(dialect, { clock });
    t.services.statusStream.pollMs = 50;
    for (const [key, rank, color] of [['dev', 10, '#16a34a'], ['staging', 20, '#ca8a04'], ['production', 30, '#dc2626']] as const) {
      expect((await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key, rank, color } })).statusCode).toBe(201);
    }
    await t.request({ method: 'PATCH', url: '/api/v1/environments/staging', payload: { windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00', timezone: 'UTC' }] } });
    await t.request({
      method: 'PATCH',
      url: '/api/v1/environments/production',
      payload: { freezes: [{ from: '2026-01-09T00:00:00.000Z', to: '2026-01-12T08:00:00.000Z', reason: 'quarter close' }], windows: [{ days: ['mon', 'tue', 'wed', 'thu'], start: '10:00', end: '16:00', timezone: 'Europe/Berlin' }] },
    });
    f = await createDeployFixture(t, { lifecycle: ['dev', 'staging', 'production'] });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await f.cleanup();
    await t.close();
  });

  const get = (headers: Record<string, string> = {}) => t.request({ method: 'GET', url: '/api/v1/status', headers });

  it('tells for each environment whether it is frozen or outside its window, and when it next opens', async () => {
    const s = (await get()).json();
    expect(s.environments).toEqual(['dev', 'staging', 'production']);
    const [dev, staging, production] = s.environmentStates;
    expect(dev).toMatchObject({ key: 'dev', color: '#16a34a', production: false, frozen: null, inWindow: true, open: true, opensAt: null });
    expect(staging).toMatchObject({ key: 'staging', color: '#ca8a04', frozen: null, inWindow: false, open: false, opensAt: '2026-01-12T09:00:00.000Z', opensAtLocal: 'mon 2026-01-12 09:00 UTC' });
    // Frozen until Monday 08:00 UTC, then the Berlin window opens at 10:00 local (09:00 UTC).
    expect(production).toMatchObject({ key: 'production', production: true, frozen: { reason: 'quarter close', to: '2026-01-12T08:00:00.000Z' }, open: false, opensAt: '2026-01-12T09:00:00.000Z' });
  });

  it('answers 304 to a poller until something changes: a deployment, or a window opening', async () => {
    const first = await get();
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(first.headers['cache-control']).toBe('no-cache');
    const same = await get({ 'if-none-match': etag });
    expect(same.statusCode).toBe(304);
    expect(same.body).toBe('');
    const version = await f.release();
    await deployAndSucceed(t, f, version, 'dev');
    const moved = await get({ 'if-none-match': etag });
    expect(moved.statusCode).toBe(200);
    expect(moved.json().items.find((i: { environment: string }) => i.environment === 'dev').current.version).toBe(version);
    const etag2 = moved.headers.etag as string;
    expect(etag2).not.toBe(etag);
    clock.set('2026-01-12T09:00:00.000Z');
    const opened = await get({ 'if-none-match': etag2 });
    expect(opened.statusCode).toBe(200);
    expect(opened.json().environmentStates[1]).toMatchObject({ key: 'staging', open: true, opensAt: null });
    expect((await t.request({ method: 'GET', url: '/api/v1/status?project=' + f.project, headers: { 'if-none-match': etag2 } })).statusCode).toBe(200);
  });

  it('streams a status event at once and on every change, with the session cookie too', async () => {
    const viewer = await createUserWithPassword(t, 'watcher', 'viewer');
    const { cookie } = await signIn(t, 'watcher', viewer.password);
    const stream = await SseClient.connect(`${base}/api/v1/status?project=${f.project}`, { cookie });
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
      const initial = await stream.waitFor((e) => e.event === 'status');
      expect(initial.id).toMatch(/^"/);
      const count = stream.events.length;
      const version = await f.release();
      const res = await f.deploy({ version, environment: 'dev' });
      expect(res.statusCode).toBe(201);
      const inFlight = await stream.waitFor((e) => e.event === 'status' && JSON.parse(e.data).items.some((i: any) => i.environment === 'dev' && i.inFlight?.version === version), count);
      expect(JSON.parse(inFlight.data).environmentStates).toHaveLength(3);
      await drain(t);
      for (const target of res.json().targets) {
        await t.request({ method: 'POST', url: `/api/v1/deployments/${res.json().id}/status`, token: res.json().callbackToken, payload: { target: target.key, status: 'succeeded' } });
      }
      await drain(t);
      await stream.waitFor((e) => e.event === 'status' && JSON.parse(e.data).items.some((i: any) => i.environment === 'dev' && i.current?.version === version && i.inFlight === null), count);
      // A freeze set on another replica is seen by the poll; here it is this one, which wakes it at once.
      const before = stream.events.length;
      const froze = await t.request({ method: 'PATCH', url: '/api/v1/environments/dev', payload: { freezes: [{ from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z', reason: 'holidays' }] } });
      expect(froze.statusCode, froze.body).toBe(200);
      const frozen = await stream.waitFor((e) => e.event === 'status' && JSON.parse(e.data).environmentStates[0].frozen?.reason === 'holidays', before);
      expect(JSON.parse(frozen.data).environmentStates[0].open).toBe(false);
    } finally {
      stream.close();
    }
  });

  it('refuses bad input before streaming', async () => {
    expect((await t.request({ method: 'GET', url: '/api/v1/status?project=ghost', headers: { accept: 'text/event-stream' } })).statusCode).toBe(404);
    expect((await t.request({ method: 'GET', url: '/api/v1/status?bogus=1' })).statusCode).toBe(400);
    expect((await t.request({ method: 'GET', url: '/api/v1/status', token: null, headers: { accept: 'text/event-stream' } })).statusCode).toBe(401);
  });
});
