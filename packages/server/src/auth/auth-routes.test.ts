import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';
import { hashToken } from './secrets.js';

describe.each(DIALECTS)('tokens, users and /me on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(() => t.close());

  it('tells a token who it belongs to', async () => {
    const me = await t.request({ method: 'GET', url: '/api/v1/me' });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ user: { username: 'admin', role: 'admin' }, role: 'admin' });
    expect((await t.request({ method: 'GET', url: '/api/v1/me', token: null })).statusCode).toBe(401);
    expect((await t.request({ method: 'GET', url: '/api/v1/me', token: 'slw_not-a-real-token' })).statusCode).toBe(401);
    expect((await t.request({ method: 'GET', url: '/api/v1/me', headers: { authorization: 'Basic abc' }, token: null })).statusCode).toBe(401);
  });

  it('shows a new token once, stores only its SHA-256 and records its last use', async () => {
    const created = await t.request({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'ci', role: 'engineer' } });
    expect(created.statusCode).toBe(201);
    const { token, record } = created.json();
    expect(token).toMatch(/^slw_[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ name: 'ci', role: 'engineer', revokedAt: null, lastUsedAt: null });
    expect(JSON.stringify(record)).not.toContain(token);

    const row = await t.database.db.selectFrom('api_tokens').selectAll().where('id', '=', record.id).executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(hashToken(token));
    expect(JSON.stringify(row)).not.toContain(token);

    const me = await t.request({ method: 'GET', url: '/api/v1/me', token });
    expect(me.json().role).toBe('engineer');
    const list = await t.request({ method: 'GET', url: '/api/v1/tokens' });
    const listed = list.json().items.find((i: { id: string }) => i.id === record.id);
    expect(listed.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(list.json())).not.toContain(token);
  });

  it('revokes a token and refuses it afterwards', async () => {
    const { token, record } = (await t.request({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'short-lived' } })).json();
    expect((await t.request({ method: 'GET', url: '/api/v1/me', token })).statusCode).toBe(200);
    const revoked = await t.request({ method: 'DELETE', url: `/api/v1/tokens/${record.id}` });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revokedAt).not.toBeNull();
    const after = await t.request({ method: 'GET', url: '/api/v1/me', token });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.message).toContain('revoked');
    expect((await t.request({ method: 'DELETE', url: '/api/v1/tokens/unknown' })).statusCode).toBe(404);
  });

  it('expires tokens by the clock', async () => {
    const expiresAt = new Date(t.clock.now().getTime() + 60_000).toISOString();
    const { token } = (await t.request({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'expiring', expiresAt } })).json();
    expect((await t.request({ method: 'GET', url: '/api/v1/me', token })).statusCode).toBe(200);
    t.clock.advance(61_000);
    const res = await t.request({ method: 'GET', url: '/api/v1/me', token });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toContain('expired');
    const past = new Date(t.clock.now().getTime() - 1000).toISOString();
    expect((await t.request({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'past', expiresAt: past } })).statusCode).toBe(400);
  });

  it('never gives a token more power than its user, and follows a demoted user', async () => {
    const user = (await t.request({ method: 'POST', url: '/api/v1/users', payload: { username: 'erin', role: 'qa', password: 'correct horse battery' } })).json();
    const qaToken = (await t.services.auth.createToken({ actor: { userId: user.id, username: 'erin', role: 'qa', tokenId: null }, requestId: null }, { name: 'mine' })).token;
    const tooHigh = await t.request({ method: 'POST', url: '/api/v1/tokens', token: qaToken, payload: { name: 'x', role: 'admin' } });
    expect(tooHigh.statusCode).toBe(400);
    await t.request({ method: 'PATCH', url: `/api/v1/users/${user.id}`, payload: { role: 'viewer' } });
    expect((await t.request({ method: 'GET', url: '/api/v1/me', token: qaToken })).json().role).toBe('viewer');
    await t.request({ method: 'PATCH', url: `/api/v1/users/${user.id}`, payload: { disabled: true } });
    expect((await t.request({ method: 'GET', url: '/api/v1/me', token: qaToken })).statusCode).toBe(401);
  });

  it('manages users: admin only, unique names, scrypt passwords never returned', async () => {
    const created = await t.request({ method: 'POST', url: '/api/v1/users', payload: { username: 'dana', displayName: 'Dana', email: 'dana@example.com', role: 'release-manager', password: 'a long enough secret' } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ username: 'dana', displayName: 'Dana', role: 'release-manager', disabled: false });
    expect(created.body).not.toContain('secret');
    const row = await t.database.db.selectFrom('users').select('password_hash').where('username', '=', 'dana').executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^scrypt\$/);
    expect((await t.request({ method: 'POST', url: '/api/v1/users', payload: { username: 'dana', role: 'viewer' } })).statusCode).toBe(409);
    expect((await t.request({ method: 'POST', url: '/api/v1/users', payload: { username: 'x', role: 'god' } })).statusCode).toBe(400);
    expect((await t.request({ method: 'POST', url: '/api/v1/users', payload: { username: 'y', role: 'viewer', password: 'short' } })).statusCode).toBe(400);
    const rm = await t.tokenFor('release-manager');
    expect((await t.request({ method: 'POST', url: '/api/v1/users', token: rm, payload: { username: 'z', role: 'viewer' } })).statusCode).toBe(403);
    expect((await t.request({ method: 'GET', url: '/api/v1/users', token: rm })).statusCode).toBe(403);
    const list = await t.request({ method: 'GET', url: '/api/v1/users' });
    expect(list.json().items.map((u: { username: string }) => u.username)).toContain('dana');
    expect((await t.request({ method: 'PATCH', url: '/api/v1/users/nobody', payload: { role: 'viewer' } })).statusCode).toBe(404);
  });

  it('refuses to demote or disable the last admin', async () => {
    const me = (await t.request({ method: 'GET', url: '/api/v1/me' })).json();
    const res = await t.request({ method: 'PATCH', url: `/api/v1/users/${me.user.id}`, payload: { role: 'viewer' } });
    expect(res.statusCode).toBe(409);
    expect((await t.request({ method: 'GET', url: '/api/v1/me' })).json().role).toBe('admin');
  });

  it('lets only admins list everyone else’s tokens', async () => {
    const viewer = await t.tokenFor('viewer');
    expect((await t.request({ method: 'GET', url: '/api/v1/tokens?all=true', token: viewer })).statusCode).toBe(403);
    const own = await t.request({ method: 'GET', url: '/api/v1/tokens', token: viewer });
    expect(own.json().items).toHaveLength(1);
    const all = await t.request({ method: 'GET', url: '/api/v1/tokens?all=true' });
    expect(all.json().items.length).toBeGreaterThan(1);
    const adminTokenId = (await t.request({ method: 'GET', url: '/api/v1/me' })).json().tokenId;
    expect((await t.request({ method: 'DELETE', url: `/api/v1/tokens/${adminTokenId}`, token: viewer })).statusCode).toBe(404);
  });
});
