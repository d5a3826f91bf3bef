import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemContext } from './actor.js';
import { hashToken } from './secrets.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';
import { createUserWithPassword, setCookieOf, signIn } from '../testing/session-client.js';

const MINUTE = 60_000;

describe.each(DIALECTS)('web sessions on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect, {
      compose: { sessions: { idleMs: 30 * MINUTE, absoluteMs: 120 * MINUTE, maxFailures: 3, maxFailuresPerAddress: 6, lockoutMs: MINUTE } },
    });
  });
  afterAll(() => t.close());

  it('signs in with a password: an HttpOnly, SameSite=Lax cookie (not Secure over http), the CSRF token, and only the hash stored', async () => {
    const dana = await createUserWithPassword(t, 'dana', 'release-manager');
    const { cookie, csrfToken, response } = await signIn(t, 'dana', dana.password);
    const setCookie = setCookieOf(response);
    expect(setCookie).toMatch(/^slipway_session=slws_[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toContain(`Max-Age=${120 * 60}`);
    expect(setCookie).not.toContain('Secure');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toMatchObject({ username: 'dana', role: 'release-manager', user: { username: 'dana' }, tokenId: null, capabilities: { overrideGuards: true, manageUsers: false } });
    expect(csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const token = cookie.split('=')[1]!;
    const rows = await t.database.db.selectFrom('web_sessions').selectAll().execute();
    expect(rows.find((r) => r.token_hash === hashToken(token))).toBeDefined();
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(JSON.stringify(rows)).not.toContain(csrfToken);

    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ username: 'dana', role: 'release-manager', csrfToken, session: { id: response.json().session.id } });
    const audit = (await t.request({ method: 'GET', url: '/api/v1/audit?action=session.created' })).json();
    expect(audit.items[0]).toMatchObject({ actor: { name: 'dana' }, resourceType: 'session' });
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('refuses a cookie-authenticated change without the CSRF header (a cross-site form) and changes nothing', async () => {
    const erin = await createUserWithPassword(t, 'erin', 'release-manager');
    const { cookie, csrfToken } = await signIn(t, 'erin', erin.password);
    const form = await t.app.inject({
      method: 'POST',
      url: '/api/v1/environments',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      payload: 'key=evil',
    });
    expect(form.statusCode).toBe(403);
    expect(form.json().error.code).toBe('csrf_failed');
    const json = await t.app.inject({ method: 'POST', url: '/api/v1/environments', headers: { cookie }, payload: { key: 'evil' } });
    expect(json.json().error.code).toBe('csrf_failed');
    const wrong = await t.app.inject({ method: 'POST', url: '/api/v1/environments', headers: { cookie, 'x-slipway-csrf': 'x'.repeat(43) }, payload: { key: 'evil' } });
    expect(wrong.json().error.code).toBe('csrf_failed');
    expect((await t.request({ method: 'GET', url: '/api/v1/environments/evil' })).statusCode).toBe(404);

    const ok = await t.app.inject({ method: 'POST', url: '/api/v1/environments', headers: { cookie, 'x-slipway-csrf': csrfToken }, payload: { key: 'from-browser' } });
    expect(ok.statusCode).toBe(201);
    const audit = (await t.request({ method: 'GET', url: '/api/v1/audit?resourceType=environment&resourceId=from-browser' })).json();
    expect(audit.items[0].actor.name).toBe('erin');
  });

  it("refuses a viewer's cookie session on mutations, CSRF header or not", async () => {
    const vic = await createUserWithPassword(t, 'vic', 'viewer');
    const { cookie, csrfToken, response } = await signIn(t, 'vic', vic.password);
    expect(response.json().capabilities).toMatchObject({ createReleases: false, deploy: false, recordSignoffs: false, changeFlags: false });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/environments', headers: { cookie, 'x-slipway-csrf': csrfToken }, payload: { key: 'by-viewer' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('forbidden');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/environments', headers: { cookie } })).statusCode).toBe(200);
  });

  it('signs out: the session ends, the cookie is cleared, the old cookie no longer works', async () => {
    const fay = await createUserWithPassword(t, 'fay', 'engineer');
    const { cookie, csrfToken } = await signIn(t, 'fay', fay.password);
    const noHeader = await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie } });
    expect(noHeader.json().error.code).toBe('csrf_failed');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(200);

    const out = await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie, 'x-slipway-csrf': csrfToken } });
    expect(out.statusCode).toBe(200);
    expect(out.json()).toEqual({ ended: true });
    expect(setCookieOf(out)).toMatch(/^slipway_session=; Max-Age=0;/);
    const after = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.details.reason).toBe('signed_out');
    // Signing out again (or with no cookie) still clears the cookie.
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie } })).json()).toEqual({ ended: false });
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/session' })).json()).toEqual({ ended: false });
    const audit = (await t.request({ method: 'GET', url: '/api/v1/audit?action=session.ended' })).json();
    expect(audit.items[0].actor.name).toBe('fay');
  });

  it('ends a session after the idle time, and after the absolute lifetime however active', async () => {
    const gus = await createUserWithPassword(t, 'gus', 'engineer');
    const idle = await signIn(t, 'gus', gus.password);
    const active = await signIn(t, 'gus', gus.password);
    const me = (cookie: string) => t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    for (let i = 0; i < 4; i++) {
      t.clock.advance(25 * MINUTE);
      expect((await me(active.cookie)).statusCode).toBe(200);
    }
    const idleOut = await me(idle.cookie);
    expect(idleOut.statusCode).toBe(401);
    expect(idleOut.json().error.details.reason).toBe('idle');
    t.clock.advance(19 * MINUTE);
    expect((await me(active.cookie)).statusCode).toBe(200);
    t.clock.advance(2 * MINUTE);
    const absolute = await me(active.cookie);
    expect(absolute.statusCode).toBe(401);
    expect(absolute.json().error.details.reason).toBe('expired');
  });

  it('locks a username after repeated failures (429 with when to retry, audited), then lets it in again', async () => {
    const hal = await createUserWithPassword(t, 'hal', 'engineer');
    const attempt = (password: string, remoteAddress: string) => t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'hal', password }, remoteAddress });
    const first = await attempt('wrong password', '10.0.0.1');
    expect(first.statusCode).toBe(401);
    expect(first.json().error).toMatchObject({ code: 'invalid_credentials', message: 'The username or password is not correct.' });
    expect((await attempt('wrong password', '10.0.0.2')).statusCode).toBe(401);
    const locked = await attempt('wrong password', '10.0.0.3');
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe('too_many_attempts');
    expect(locked.headers['retry-after']).toBe('60');
    expect(locked.json().error.details.retryAt).toBe(new Date(t.clock.now().getTime() + MINUTE).toISOString());
    // Even the right password waits, from any address.
    expect((await attempt(hal.password, '10.0.0.4')).statusCode).toBe(429);
    t.clock.advance(MINUTE + 1000);
    // One more failure after the lock: the next lock is twice as long.
    const again = await attempt('wrong password', '10.0.0.5');
    expect(again.statusCode).toBe(429);
    expect(again.headers['retry-after']).toBe('120');
    t.clock.advance(2 * MINUTE + 1000);
    expect((await attempt(hal.password, '10.0.0.6')).statusCode).toBe(200);
    // Success resets the count for the username.
    expect((await attempt('wrong password', '10.0.0.7')).statusCode).toBe(401);

    const failed = (await t.request({ method: 'GET', url: '/api/v1/audit?action=session.login_failed&resourceId=hal' })).json();
    expect(failed.items).toHaveLength(5);
    expect(failed.items[0].after).toMatchObject({ username: 'hal', address: '10.0.0.7' });
    const locks = (await t.request({ method: 'GET', url: '/api/v1/audit?action=session.locked' })).json();
    expect(locks.items.map((i: { resourceId: string }) => i.resourceId)).toEqual(['user:hal', 'user:hal']);
    expect(JSON.stringify(failed)).not.toContain('wrong password');
  });

  it('locks a client address that tries many usernames, without locking those users elsewhere', async () => {
    const ivy = await createUserWithPassword(t, 'ivy', 'engineer');
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: `guess-${i}`, password: 'guess' }, remoteAddress: '192.0.2.9' });
      expect(res.statusCode).toBe(401);
    }
    const sixth = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'guess-5', password: 'guess' }, remoteAddress: '192.0.2.9' });
    expect(sixth.statusCode).toBe(429);
    const fromThere = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'ivy', password: ivy.password }, remoteAddress: '192.0.2.9' });
    expect(fromThere.statusCode).toBe(429);
    expect((await signIn(t, 'ivy', ivy.password, '198.51.100.1')).response.statusCode).toBe(200);
  });

  it('answers one message for unknown users, users without a password and disabled users', async () => {
    await t.request({ method: 'POST', url: '/api/v1/users', payload: { username: 'nopass', role: 'viewer' } });
    const joe = await createUserWithPassword(t, 'joe', 'viewer');
    await t.request({ method: 'PATCH', url: `/api/v1/users/${joe.id}`, payload: { disabled: true } });
    for (const [username, password] of [['nobody', 'whatever1234'], ['nopass', 'whatever1234'], ['joe', joe.password]] as const) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username, password }, remoteAddress: `203.0.113.${username.length}` });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.message).toBe('The username or password is not correct.');
    }
  });

  it('signs every browser of a user out when the password changes or the user is disabled', async () => {
    const kim = await createUserWithPassword(t, 'kim', 'qa');
    const { cookie } = await signIn(t, 'kim', kim.password);
    await t.request({ method: 'PATCH', url: `/api/v1/users/${kim.id}`, payload: { password: 'a brand new password' } });
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.details.reason).toBe('password_changed');
    expect((await signIn(t, 'kim', 'a brand new password')).response.statusCode).toBe(200);
  });

  it('keeps API tokens working: a bearer token wins over a cookie and needs no CSRF header', async () => {
    const lee = await createUserWithPassword(t, 'lee', 'viewer');
    const { cookie } = await signIn(t, 'lee', lee.password);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/environments', headers: { cookie, authorization: `Bearer ${t.adminToken}` }, payload: { key: 'by-token' } });
    expect(res.statusCode).toBe(201);
    expect((await t.request({ method: 'GET', url: '/api/v1/me' })).json()).toMatchObject({ username: 'admin', session: null, csrfToken: null });
  });

  it('validates sign-in requests', async () => {
    const post = (payload: unknown, headers: Record<string, string> = {}) => t.app.inject({ method: 'POST', url: '/api/v1/session', payload: payload as string, headers, remoteAddress: '203.0.113.200' });
    expect((await post({ username: 'x' })).json().error.code).toBe('validation_failed');
    expect((await post({ username: 'x', password: 'y', extra: 1 })).statusCode).toBe(400);
    expect((await post({ username: '', password: 'y' })).statusCode).toBe(400);
    expect((await post({ username: 1, password: 'y' })).statusCode).toBe(400);
    expect((await post('username=x&password=y', { 'content-type': 'application/x-www-form-urlencoded' })).statusCode).toBe(415);
    expect((await post('{', { 'content-type': 'application/json' })).json().error.code).toBe('invalid_json');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: 'slipway_session=slws_' + 'A'.repeat(43) } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: 'slipway_session=garbage' } })).statusCode).toBe(401);
  });
});

describe('session cookies behind https', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite', { compose: { publicUrl: 'https://slipway.example.com' } });
  });
  afterAll(() => t.close());

  it('marks the cookie Secure when SLIPWAY_PUBLIC_URL is https, and the bootstrap password signs the admin in', async () => {
    await t.database.db.updateTable('users').set({ disabled: 1 }).where('username', '=', 'admin').execute();
    const boot = await t.services.auth.bootstrapAdmin(systemContext(), { token: null, password: 'bootstrap password 1' });
    expect(boot).toMatchObject({ password: 'bootstrap password 1' });
    const { response } = await signIn(t, 'admin', 'bootstrap password 1');
    expect(setCookieOf(response)).toContain('; Secure');
    expect(response.json().capabilities.manageUsers).toBe(true);
    expect(await t.services.auth.bootstrapAdmin(systemContext(), { token: null, password: null })).toBeNull();
  });
});
