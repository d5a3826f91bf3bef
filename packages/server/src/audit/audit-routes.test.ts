import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

describe.each(DIALECTS)('audit API on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    for (let i = 0; i < 7; i++) await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: `env-${i}` } });
    const rm = await t.tokenFor('release-manager');
    t.clock.advance(60_000);
    await t.request({ method: 'PATCH', url: '/api/v1/environments/env-3', token: rm, payload: { name: 'Three' } });
  });
  afterAll(() => t.close());

  it('filters by actor, resource, action and time, newest first', async () => {
    const byActor = (await t.request({ method: 'GET', url: '/api/v1/audit?actor=release-manager-user' })).json();
    expect(byActor.items.map((i: { action: string }) => i.action)).toEqual(['environment.updated']);
    const byAction = (await t.request({ method: 'GET', url: '/api/v1/audit?action=environment.created&limit=100' })).json();
    expect(byAction.items).toHaveLength(7);
    expect(byAction.items[0].resourceId).toBe('env-6');
    const since = new Date(t.clock.now().getTime() - 1000).toISOString();
    const recent = (await t.request({ method: 'GET', url: `/api/v1/audit?since=${encodeURIComponent(since)}` })).json();
    expect(recent.items.map((i: { resourceId: string }) => i.resourceId)).toEqual(['env-3']);
    const byResource = (await t.request({ method: 'GET', url: '/api/v1/audit?resourceType=environment&resourceId=env-3' })).json();
    expect(byResource.items).toHaveLength(2);
  });

  it('pages with a cursor without gaps or repeats', async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ id: string }>; nextCursor: string | null } = (await t.request({ method: 'GET', url: `/api/v1/audit?action=environment.created&limit=3${cursor ? `&cursor=${cursor}` : ''}` })).json();
      ids.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(ids).toHaveLength(7);
    expect([...ids].sort().reverse()).toEqual(ids);
  });

  it('offers no way to change or delete audit records', async () => {
    for (const method of ['PUT', 'PATCH', 'DELETE', 'POST'] as const) {
      const res = await t.request({ method, url: '/api/v1/audit', payload: {} });
      expect(res.statusCode).toBe(404);
    }
  });

  it('validates filters', async () => {
    expect((await t.request({ method: 'GET', url: '/api/v1/audit?since=yesterday' })).statusCode).toBe(400);
    expect((await t.request({ method: 'GET', url: '/api/v1/audit?limit=0' })).statusCode).toBe(400);
    expect((await t.request({ method: 'GET', url: '/api/v1/audit?bogus=1' })).statusCode).toBe(400);
    expect((await t.request({ method: 'GET', url: '/api/v1/audit', token: null })).statusCode).toBe(401);
  });
});
