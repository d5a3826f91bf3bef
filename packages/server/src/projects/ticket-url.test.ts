import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployFixture, type DeployFixture } from '../deployments/deploy-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

describe.each(DIALECTS)('ticket links on %s', (dialect) => {
  let t: TestApp;
  let f: DeployFixture;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'dev' } });
    f = await createDeployFixture(t, { lifecycle: ['dev'] });
  });
  afterAll(async () => {
    await f.cleanup();
    await t.close();
  });

  it('validates the template and keeps the project unchanged on a bad one', async () => {
    for (const ticketUrl of ['https://tracker.example.com/browse/', 'https://x.example.com/{ticket}/{ticket}', 'https://x.example.com/{project}/{ticket}', 'ftp://tracker.example.com/{ticket}', 'not a url {ticket}']) {
      const res = await t.request({ method: 'PATCH', url: `/api/v1/projects/${f.project}`, payload: { ticketUrl } });
      expect(res.statusCode, ticketUrl).toBe(400);
      expect(JSON.stringify(res.json().error), ticketUrl).toContain('ticketUrl');
    }
    expect((await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'bad-links', repository: '/srv/x.git', ticketUrl: 'https://x/' } })).statusCode).toBe(400);
    expect((await t.request({ method: 'GET', url: '/api/v1/projects/bad-links' })).statusCode).toBe(404);
    expect((await t.request({ method: 'GET', url: `/api/v1/projects/${f.project}` })).json().ticketUrl).toBeNull();
    expect((await t.request({ method: 'PATCH', url: `/api/v1/projects/${f.project}`, payload: { ticketUrl: 'https://tracker.example.com/browse/{ticket}' }, token: await t.tokenFor('engineer') })).statusCode).toBe(403);
  });

  it('links the tickets of releases, release lists and comparisons through the template', async () => {
    const first = await f.release('feat: checkout page (SHOP-12)');
    const second = await f.release('fix: rounding in totals SHOP-15 and PAY-3');
    const plain = (await t.request({ method: 'GET', url: `/api/v1/projects/${f.project}/releases/${second}` })).json();
    expect(plain.tickets).toEqual(['SHOP-15', 'PAY-3']);
    expect(plain.ticketLinks).toEqual([]);

    const set = await t.request({ method: 'PATCH', url: `/api/v1/projects/${f.project}`, payload: { ticketUrl: 'https://tracker.example.com/browse/{ticket}' } });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().ticketUrl).toBe('https://tracker.example.com/browse/{ticket}');

    const release = (await t.request({ method: 'GET', url: `/api/v1/projects/${f.project}/releases/${second}` })).json();
    expect(release.ticketLinks).toEqual([
      { key: 'SHOP-15', url: 'https://tracker.example.com/browse/SHOP-15' },
      { key: 'PAY-3', url: 'https://tracker.example.com/browse/PAY-3' },
    ]);
    const list = (await t.request({ method: 'GET', url: `/api/v1/projects/${f.project}/releases` })).json();
    expect(list.items.map((r: any) => r.ticketLinks.map((l: any) => l.key))).toEqual([['SHOP-15', 'PAY-3'], ['SHOP-12']]);
    const compare = (await t.request({ method: 'GET', url: `/api/v1/projects/${f.project}/compare?from=${first}&to=${second}` })).json();
    expect(compare.ticketLinks.map((l: any) => l.url)).toEqual(['https://tracker.example.com/browse/SHOP-15', 'https://tracker.example.com/browse/PAY-3']);

    await t.request({ method: 'PATCH', url: `/api/v1/projects/${f.project}`, payload: { ticketUrl: null } });
    expect((await t.request({ method: 'GET', url: `/api/v1/projects/${f.project}/releases/${second}` })).json().ticketLinks).toEqual([]);
  });
});
