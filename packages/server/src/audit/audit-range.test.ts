import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

describe.each(DIALECTS)('audit time ranges on %s', (dialect) => {
  let t: TestApp;
  const times: string[] = [];
  beforeAll(async () => {
    t = await createTestApp(dialect);
    for (let i = 0; i < 4; i++) {
      times.push(t.clock.now().toISOString());
      await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: `range-${i}` } });
      t.clock.advance(3_600_000);
    }
  });
  afterAll(() => t.close());

  it('filters by since and until together, with the other filters', async () => {
    const url = `/api/v1/audit?action=environment.created&since=${encodeURIComponent(times[1]!)}&until=${encodeURIComponent(times[3]!)}`;
    const res = await t.request({ method: 'GET', url, token: await t.tokenFor('viewer') });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((i: { resourceId: string }) => i.resourceId)).toEqual(['range-2', 'range-1']);
    const until = (await t.request({ method: 'GET', url: `/api/v1/audit?resourceType=environment&until=${encodeURIComponent(times[1]!)}` })).json();
    expect(until.items.map((i: { resourceId: string }) => i.resourceId)).toEqual(['range-0']);
    expect((await t.request({ method: 'GET', url: '/api/v1/audit?until=tomorrow' })).statusCode).toBe(400);
  });
});
