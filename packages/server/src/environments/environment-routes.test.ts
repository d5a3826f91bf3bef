import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../testing/test-database.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

describe.each(DIALECTS)('environments API on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(() => t.close());

  it('creates, reads, lists by rank, updates and deletes an environment', async () => {
    const created = await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'production', name: 'Production', rank: 50, protected: true, color: '#dc2626' } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ key: 'production', name: 'Production', rank: 50, protected: true, color: '#dc2626' });
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'dev', rank: 10 } });
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'qa', rank: 20 } });

    const list = await t.request({ method: 'GET', url: '/api/v1/environments' });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((e: { key: string }) => e.key)).toEqual(['dev', 'qa', 'production']);

    const one = await t.request({ method: 'GET', url: '/api/v1/environments/qa' });
    expect(one.json()).toMatchObject({ key: 'qa', name: 'qa', protected: false });

    const patched = await t.request({ method: 'PATCH', url: '/api/v1/environments/qa', payload: { name: 'Quality', rank: 5 } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ key: 'qa', name: 'Quality', rank: 5 });

    const deleted = await t.request({ method: 'DELETE', url: '/api/v1/environments/qa' });
    expect(deleted.statusCode).toBe(204);
    expect((await t.request({ method: 'GET', url: '/api/v1/environments/qa' })).statusCode).toBe(404);
  });

  it('pages through environments with a cursor', async () => {
    for (let i = 0; i < 5; i++) await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: `page-${i}`, rank: 1000 + i } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.request({ method: 'GET', url: `/api/v1/environments?limit=2${cursor ? `&cursor=${cursor}` : ''}` });
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().items.map((e: { key: string }) => e.key));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen.filter((k) => k.startsWith('page-'))).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('refuses a duplicate key with 409 conflict', async () => {
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'staging' } });
    const dup = await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'staging' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('conflict');
  });

  it('answers 401 without a token and 403 for a role too low', async () => {
    expect((await t.request({ method: 'GET', url: '/api/v1/environments', token: null })).statusCode).toBe(401);
    const viewer = await t.tokenFor('viewer');
    expect((await t.request({ method: 'GET', url: '/api/v1/environments', token: viewer })).statusCode).toBe(200);
    const denied = await t.request({ method: 'POST', url: '/api/v1/environments', token: viewer, payload: { key: 'nope' } });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.code).toBe('forbidden');
    expect((await t.request({ method: 'GET', url: '/api/v1/environments/nope' })).statusCode).toBe(404);
  });

  it('lets only release-manager and above change a protected environment', async () => {
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'prod-like', protected: true } });
    const qa = await t.tokenFor('qa');
    const refused = await t.request({ method: 'PATCH', url: '/api/v1/environments/prod-like', token: qa, payload: { name: 'x' } });
    expect(refused.statusCode).toBe(403);
    const rm = await t.tokenFor('release-manager');
    expect((await t.request({ method: 'PATCH', url: '/api/v1/environments/prod-like', token: rm, payload: { name: 'Prod-like' } })).statusCode).toBe(200);
  });

  it('says which role may deploy to an environment and change its flags (changeRole), as the API then enforces', async () => {
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'open-env' } });
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'guarded', protected: true } });
    expect((await t.request({ method: 'GET', url: '/api/v1/environments/open-env' })).json().changeRole).toBe('engineer');
    expect((await t.request({ method: 'GET', url: '/api/v1/environments/guarded' })).json().changeRole).toBe('release-manager');
    const listed = (await t.request({ method: 'GET', url: '/api/v1/environments?limit=100' })).json().items;
    expect(listed.find((e: { key: string }) => e.key === 'guarded').changeRole).toBe('release-manager');
    // Protecting it later raises the role.
    expect((await t.request({ method: 'PATCH', url: '/api/v1/environments/open-env', payload: { protected: true } })).json().changeRole).toBe('release-manager');
    // What it says is what the flag API enforces: an engineer may not change a flag there, a release manager may.
    await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'role-app', repository: '/srv/git/role-app.git', verify: false } });
    await t.request({ method: 'POST', url: '/api/v1/projects/role-app/flags', payload: { key: 'f', type: 'release', variants: [{ key: 'on', value: true }, { key: 'off', value: false }] } });
    const flag = (await t.request({ method: 'GET', url: '/api/v1/projects/role-app/flags/f' })).json();
    expect(flag.environments.find((e: { environment: { key: string } }) => e.environment.key === 'guarded').environment.changeRole).toBe('release-manager');
    expect(flag.environments.find((e: { environment: { key: string } }) => e.environment.key === 'dev').environment.changeRole).toBe('engineer');
    const config = { enabled: true, offVariant: 'off', defaultServe: { variant: 'on' } };
    const engineer = await t.tokenFor('engineer');
    expect((await t.request({ method: 'PUT', url: '/api/v1/projects/role-app/flags/f/environments/guarded', token: engineer, payload: config })).statusCode).toBe(403);
    const rm = await t.tokenFor('release-manager');
    expect((await t.request({ method: 'PUT', url: '/api/v1/projects/role-app/flags/f/environments/guarded', token: rm, payload: config })).statusCode).toBe(200);
  });

  it('rejects invalid input with 400 validation_failed', async () => {
    for (const payload of [{ key: 'Bad Key' }, { key: 'ok', rank: 'high' }, { key: 'ok', color: 'red' }, { key: 'ok', extra: 1 }, {}]) {
      const res = await t.request({ method: 'POST', url: '/api/v1/environments', payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
    }
    expect((await t.request({ method: 'PATCH', url: '/api/v1/environments/dev', payload: {} })).statusCode).toBe(400);
  });

  it('refuses to delete an environment a project lifecycle uses', async () => {
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'uat' } });
    await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'billing', repository: '/srv/git/billing.git', lifecycle: ['dev', 'uat'], verify: false } });
    const res = await t.request({ method: 'DELETE', url: '/api/v1/environments/uat' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toContain('billing');
  });

  it('audits every change with before and after', async () => {
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'audited', name: 'A' } });
    await t.request({ method: 'PATCH', url: '/api/v1/environments/audited', payload: { name: 'B' }, headers: { 'x-request-id': 'req-audit-1' } });
    const res = await t.request({ method: 'GET', url: '/api/v1/audit?resourceType=environment&resourceId=audited' });
    const items = res.json().items;
    expect(items.map((i: { action: string }) => i.action)).toEqual(['environment.updated', 'environment.created']);
    expect(items[0]).toMatchObject({ before: { name: 'A' }, after: { name: 'B' }, requestId: 'req-audit-1', actor: { name: 'admin' } });
  });
});
