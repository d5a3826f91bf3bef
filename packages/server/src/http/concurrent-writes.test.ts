import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

// Issue 11 §1: read-merge-write of a row under READ COMMITTED lost one of two concurrent PATCHes
// (a freeze and a colour) in 11 of 20 rounds on PostgreSQL. Every PATCH now reads the row under
// its lock; with If-Match, a PATCH based on an older version is refused with 412.
const ROUNDS = 20;

describe.each(DIALECTS)('concurrent writes on %s', (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    expect((await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'race' } })).statusCode).toBe(201);
    expect((await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'shop', repository: '/srv/git/shop.git', lifecycle: ['race'], verify: false } })).statusCode).toBe(201);
    const flag = await t.request({ method: 'POST', url: '/api/v1/projects/shop/flags', payload: { key: 'checkout', variants: [{ key: 'on', value: true }, { key: 'off', value: false }] } });
    expect(flag.statusCode, flag.body).toBe(201);
    const segment = await t.request({ method: 'POST', url: '/api/v1/projects/shop/segments', payload: { key: 'beta', conditions: [{ attribute: 'plan', operator: 'in', values: ['beta'] }] } });
    expect(segment.statusCode, segment.body).toBe(201);
  });
  afterAll(() => t.close());

  const patch = (url: string, payload: Record<string, unknown>, headers: Record<string, string> = {}) => t.request({ method: 'PATCH', url, payload, headers });

  it(`environments: a freeze and a colour saved at once both land, ${ROUNDS} rounds out of ${ROUNDS}`, async () => {
    const lost: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const reason = `release train ${round}`;
      const color = `#0000${(16 + round).toString(16).padStart(2, '0')}`;
      const freezes = [{ from: '2030-01-01T00:00:00Z', to: '2030-01-02T00:00:00Z', reason }];
      const [a, b] = await Promise.all([patch('/api/v1/environments/race', { freezes }), patch('/api/v1/environments/race', { color })]);
      expect([a.statusCode, b.statusCode], a.body + b.body).toEqual([200, 200]);
      const now = (await t.request({ method: 'GET', url: '/api/v1/environments/race' })).json();
      if (now.color !== color || now.freezes?.[0]?.reason !== reason) lost.push(`round ${round}: color ${now.color} (sent ${color}), freeze ${now.freezes?.[0]?.reason ?? 'none'} (sent ${reason})`);
    }
    expect(lost).toEqual([]);
  });

  it(`flags: a rename and new tags saved at once both land, and a configuration saved meanwhile stays, ${ROUNDS} rounds`, async () => {
    const lost: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const name = `Checkout ${round}`;
      const tags = [`t${round}`];
      const config = { enabled: round % 2 === 0, defaultServe: { variant: 'on' }, offVariant: 'off' };
      const [a, b, c] = await Promise.all([
        patch('/api/v1/projects/shop/flags/checkout', { name }),
        patch('/api/v1/projects/shop/flags/checkout', { tags }),
        t.request({ method: 'PUT', url: '/api/v1/projects/shop/flags/checkout/environments/race', payload: config }),
      ]);
      expect([a.statusCode, b.statusCode, c.statusCode], a.body + b.body + c.body).toEqual([200, 200, 200]);
      const now = (await t.request({ method: 'GET', url: '/api/v1/projects/shop/flags/checkout' })).json();
      const race = now.environments.find((e: { environment: { key: string } }) => e.environment.key === 'race');
      if (now.name !== name || JSON.stringify(now.tags) !== JSON.stringify(tags) || race.config.enabled !== config.enabled) {
        lost.push(`round ${round}: name ${now.name}, tags ${JSON.stringify(now.tags)}, enabled ${race.config.enabled}`);
      }
    }
    expect(lost).toEqual([]);
  });

  it(`segments: a rename and a new description saved at once both land, ${ROUNDS} rounds`, async () => {
    const lost: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const name = `Beta ${round}`;
      const description = `customers in the beta, round ${round}`;
      const [a, b] = await Promise.all([patch('/api/v1/projects/shop/segments/beta', { name }), patch('/api/v1/projects/shop/segments/beta', { description })]);
      expect([a.statusCode, b.statusCode], a.body + b.body).toEqual([200, 200]);
      const now = (await t.request({ method: 'GET', url: '/api/v1/projects/shop/segments/beta' })).json();
      if (now.name !== name || now.description !== description) lost.push(`round ${round}: ${now.name} / ${now.description}`);
    }
    expect(lost).toEqual([]);
  });

  it(`projects: a rename and a new ticket pattern saved at once both land, ${ROUNDS} rounds`, async () => {
    const lost: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const name = `Shop ${round}`;
      const ticketPattern = `SHOP${round}-\\d+`;
      const [a, b] = await Promise.all([patch('/api/v1/projects/shop', { name }), patch('/api/v1/projects/shop', { ticketPattern })]);
      expect([a.statusCode, b.statusCode], a.body + b.body).toEqual([200, 200]);
      const now = (await t.request({ method: 'GET', url: '/api/v1/projects/shop' })).json();
      if (now.name !== name || now.ticketPattern !== ticketPattern) lost.push(`round ${round}: ${now.name} / ${now.ticketPattern}`);
    }
    expect(lost).toEqual([]);
  });

  it(`users, bugs and calendar entries: two fields saved at once both land, ${ROUNDS} rounds each`, async () => {
    const user = (await t.request({ method: 'POST', url: '/api/v1/users', payload: { username: 'racer', role: 'qa' } })).json();
    const bug = await t.request({ method: 'POST', url: '/api/v1/bugs', payload: { project: 'shop', title: 'checkout breaks', severity: 'low', foundIn: 'staging', foundAt: '2020-01-01T10:00:00Z' } });
    expect(bug.statusCode, bug.body).toBe(201);
    const entry = await t.request({ method: 'POST', url: '/api/v1/calendar/schedules', payload: { name: 'train', kind: 'release', rrule: 'FREQ=WEEKLY;BYDAY=TU', startsAt: '2030-01-01T10:00' } });
    expect(entry.statusCode, entry.body).toBe(201);
    const cases = [
      { url: `/api/v1/users/${user.id}`, a: (i: number) => ({ displayName: `Racer ${i}` }), b: (i: number) => ({ email: `racer${i}@example.com` }) },
      { url: `/api/v1/bugs/${bug.json().id}`, a: (i: number) => ({ title: `checkout breaks ${i}` }), b: (i: number) => ({ severity: (['critical', 'high', 'medium', 'low'] as const)[i % 4] }) },
      { url: `/api/v1/calendar/schedules/${entry.json().id}`, a: (i: number) => ({ name: `train ${i}` }), b: (i: number) => ({ description: `cut ${i}` }) },
    ];
    const lost: string[] = [];
    for (const c of cases) {
      for (let round = 0; round < ROUNDS; round++) {
        const [a, b] = await Promise.all([patch(c.url, c.a(round)), patch(c.url, c.b(round))]);
        expect([a.statusCode, b.statusCode], a.body + b.body).toEqual([200, 200]);
        // Users have no GET of one: read the list.
        const now = c.url.startsWith('/api/v1/users/')
          ? (await t.request({ method: 'GET', url: '/api/v1/users?limit=200' })).json().items.find((u: { id: string }) => u.id === user.id)
          : (await t.request({ method: 'GET', url: c.url })).json();
        const want = { ...c.a(round), ...c.b(round) };
        for (const [field, value] of Object.entries(want)) if (now[field] !== value) lost.push(`${c.url} round ${round}: ${field} ${now[field]} (sent ${value})`);
      }
    }
    expect(lost).toEqual([]);
  });

  for (const resource of [
    { what: 'environment', url: '/api/v1/environments/race', change: (i: number) => ({ name: `Race ${i}` }), field: 'name' },
    { what: 'flag', url: '/api/v1/projects/shop/flags/checkout', change: (i: number) => ({ description: `described ${i}` }), field: 'description' },
    { what: 'segment', url: '/api/v1/projects/shop/segments/beta', change: (i: number) => ({ description: `segment ${i}` }), field: 'description' },
  ]) {
    it(`${resource.what}: GET and PATCH carry an ETag; If-Match with an older one is refused (412) and changes nothing`, async () => {
      const read = await t.request({ method: 'GET', url: resource.url });
      const etag = read.headers.etag as string;
      expect(etag).toMatch(/^"\d+-.+"$/);

      const saved = await patch(resource.url, resource.change(1), { 'if-match': etag });
      expect(saved.statusCode, saved.body).toBe(200);
      const next = saved.headers.etag as string;
      expect(next).not.toBe(etag);
      expect((await t.request({ method: 'GET', url: resource.url })).headers.etag).toBe(next);

      const stale = await patch(resource.url, resource.change(2), { 'if-match': etag });
      expect(stale.statusCode).toBe(412);
      expect(stale.json().error).toMatchObject({ code: 'precondition_failed', details: { etag: next } });
      const after = await t.request({ method: 'GET', url: resource.url });
      expect(after.json()[resource.field]).toBe(resource.change(1)[resource.field as keyof ReturnType<typeof resource.change>]);
      expect(after.headers.etag).toBe(next);

      // A weak tag never matches (RFC 9110 strong comparison); `*` and a list holding the tag do.
      expect((await patch(resource.url, resource.change(3), { 'if-match': `W/${next}` })).statusCode).toBe(412);
      expect((await patch(resource.url, resource.change(4), { 'if-match': `"0-nope", ${next}` })).statusCode).toBe(200);
      expect((await patch(resource.url, resource.change(5), { 'if-match': '*' })).statusCode).toBe(200);
      // Without If-Match: today's behaviour, the change is merged.
      expect((await patch(resource.url, resource.change(6))).statusCode).toBe(200);
    });
  }

  it(`two clients PATCH with the same ETag at once: exactly one wins, the other gets 412, ${ROUNDS} rounds`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const etag = (await t.request({ method: 'GET', url: '/api/v1/environments/race' })).headers.etag as string;
      const answers = await Promise.all([
        patch('/api/v1/environments/race', { protected: round % 2 === 0 }, { 'if-match': etag }),
        patch('/api/v1/environments/race', { rank: 100 + round }, { 'if-match': etag }),
      ]);
      expect(answers.map((a) => a.statusCode).sort(), answers.map((a) => a.body).join('\n')).toEqual([200, 412]);
    }
  });
});
