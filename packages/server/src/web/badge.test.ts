import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployFixture, deployAndSucceed, type DeployFixture } from '../deployments/deploy-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';
import { BADGE_MAX_BYTES } from './badge.js';

/** Just enough of a DOM to run the badge script and see what it drew. */
function runInPage(script: string, times = 1): { children: Array<{ id: string; style: { cssText: string }; children: Array<{ textContent: string; style: { cssText: string } }> }>; waited: boolean } {
  const children: any[] = [];
  let waited = false;
  const element = () => {
    const el: any = { id: '', style: { cssText: '' }, children: [], attributes: {}, textContent: '' };
    el.setAttribute = (k: string, v: string) => (el.attributes[k] = v);
    el.appendChild = (child: unknown) => el.children.push(child);
    return el;
  };
  const body = element();
  body.appendChild = (child: unknown) => children.push(child);
  const document = {
    body,
    createElement: () => element(),
    getElementById: (id: string) => children.find((c) => c.id === id) ?? null,
    addEventListener: () => (waited = true),
  };
  for (let i = 0; i < times; i++) vm.runInNewContext(script, { document });
  return { children, waited };
}

describe.each(DIALECTS)('the environment badge on %s', (dialect) => {
  let t: TestApp;
  let f: DeployFixture;
  let version: string;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    for (const [key, rank, extra] of [
      ['dev', 10, { badge: 'off' }],
      ['qa', 20, { badge: 'key', color: '#2563eb' }],
      ['staging', 30, { color: '#fde047', name: 'Staging' }],
      ['production', 40, {}],
    ] as const) {
      expect((await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key, rank, ...extra } })).statusCode).toBe(201);
    }
    f = await createDeployFixture(t, { lifecycle: ['staging', 'qa', 'dev', 'production'] });
    version = await f.release();
    await deployAndSucceed(t, f, version, 'staging');
  });
  afterAll(async () => {
    await f.cleanup();
    await t.close();
  });

  const badge = (query: string) => t.app.inject({ method: 'GET', url: `/badge.js?${query}` });

  it('serves a small script, cacheable briefly, that draws a border and a label with the environment and the deployed version', async () => {
    const res = await badge(`project=${f.project}&environment=staging`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=60');
    expect(Buffer.byteLength(res.body)).toBeLessThanOrEqual(BADGE_MAX_BYTES);
    expect(res.body).not.toMatch(/import|require\(/);
    const page = runInPage(res.body, 2);
    expect(page.children).toHaveLength(1);
    const [border] = page.children;
    expect(border!.id).toBe('slipway-badge');
    expect(border!.style.cssText).toContain('border:4px solid #fde047');
    expect(border!.style.cssText).toContain('pointer-events:none');
    expect(border!.children[0]!.textContent).toBe(`Staging · ${f.project} ${version}`);
    // A light colour gets dark text.
    expect(border!.children[0]!.style.cssText).toContain('color:#000');
  });

  it('draws nothing and reveals nothing in a production-marked environment', async () => {
    await deployAndSucceed(t, f, version, 'qa');
    await deployAndSucceed(t, f, version, 'dev');
    await deployAndSucceed(t, f, version, 'production');
    const res = await badge(`project=${f.project}&environment=production`);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(version);
    expect(runInPage(res.body).children).toHaveLength(0);
    const env = (await t.request({ method: 'GET', url: '/api/v1/environments/production' })).json();
    expect(env).toMatchObject({ production: true, badge: 'public' });
    // Unmarking it (say a "production-like" sandbox) brings the badge back.
    await t.request({ method: 'PATCH', url: '/api/v1/environments/production', payload: { production: false } });
    expect(runInPage((await badge(`project=${f.project}&environment=production`)).body).children).toHaveLength(1);
    await t.request({ method: 'PATCH', url: '/api/v1/environments/production', payload: { production: true } });
  });

  it('follows the environment setting: off serves nothing, key needs an SDK key of that project and environment', async () => {
    const off = await badge(`project=${f.project}&environment=dev`);
    expect(off.statusCode).toBe(200);
    expect(runInPage(off.body).children).toHaveLength(0);
    expect(off.body).not.toContain(version);

    expect((await badge(`project=${f.project}&environment=qa`)).statusCode).toBe(403);
    const qaKey = (await t.request({ method: 'POST', url: `/api/v1/projects/${f.project}/environments/qa/sdk-keys`, payload: { kind: 'client' } })).json().key;
    const stagingKey = (await t.request({ method: 'POST', url: `/api/v1/projects/${f.project}/environments/staging/sdk-keys`, payload: { kind: 'client' } })).json().key;
    expect((await badge(`project=${f.project}&environment=qa&key=${stagingKey}`)).statusCode).toBe(403);
    const keyed = await badge(`project=${f.project}&environment=qa&key=${qaKey}`);
    expect(keyed.statusCode).toBe(200);
    expect(runInPage(keyed.body).children[0]!.children[0]!.textContent).toBe(`qa · ${f.project} ${version}`);
  });

  it('says when nothing is deployed yet', async () => {
    const g = await createDeployFixture(t, { lifecycle: ['staging'] });
    try {
      const res = await badge(`project=${g.project}&environment=staging`);
      expect(res.body).toContain('(nothing deployed)');
      expect(runInPage(res.body).children).toHaveLength(1);
    } finally {
      await g.cleanup();
    }
  });

  it('validates the query and answers JSON errors', async () => {
    for (const [query, status] of [
      ['', 400],
      [`project=${f.project}`, 400],
      [`project=${f.project}&environment=Staging!`, 400],
      [`project=${f.project}&environment=staging&color=red`, 400],
      [`project=ghost&environment=staging`, 404],
      [`project=${f.project}&environment=nowhere`, 404],
    ] as const) {
      const res = await badge(query);
      expect(res.statusCode, query).toBe(status);
      expect(res.json().error.code, query).toBeTruthy();
    }
    expect((await t.request({ method: 'PATCH', url: '/api/v1/environments/staging', payload: { badge: 'sometimes' } })).statusCode).toBe(400);
    expect((await t.request({ method: 'PATCH', url: '/api/v1/environments/staging', payload: { production: 'yes' } })).statusCode).toBe(400);
  });
});
