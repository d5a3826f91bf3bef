import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { createWebFixture, type WebFixture } from '../testing/web-fixture.js';
import { describe as announce } from '../notifications/announcement.js';
import { CONTENT_SECURITY_POLICY } from './web-app.js';

const PAGES = [
  '/',
  '/login',
  '/projects/api',
  '/projects/api/releases/1.4.0',
  '/projects/api/releases/1.4.0-rc.1',
  '/deployments/01jdeployment',
  '/projects/api/flags',
  '/projects/api/flags/new-checkout',
  '/audit',
  '/audit?actor=dana&since=2026-01-01T00:00:00Z',
  '/settings',
  '/settings/environments',
  '/settings/users/42',
  '/rollouts/01jrollout',
  '/projects/api/rollouts',
  '/projects/api/rollouts?flag=new-checkout',
  '/insights',
  '/insights?project=api&environment=production&interval=month',
  '/calendar',
  '/calendar?weeks=13',
  // Unknown deep links under the pages: the SPA shows its own "not found".
  '/projects/api/no/such/page',
  '/deployments/x/y',
  '/settings/nothing-here/at/all',
  '/rollouts/x/y',
  '/insights/nothing/here',
];

describe('the web app served at /', () => {
  let web: WebFixture;
  let t: TestApp;
  beforeAll(async () => {
    web = createWebFixture();
    t = await createTestApp('sqlite', { app: { webDir: web.dir } });
  });
  afterAll(async () => {
    await t.close();
    web.remove();
  });

  it('answers index.html with 200 text/html, no-cache and the security headers on every page and deep link', async () => {
    for (const url of PAGES) {
      const res = await t.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.body, url).toContain('Slipway fixture');
      expect(res.headers['cache-control'], url).toBe('no-cache');
      expect(res.headers['content-security-policy'], url).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['strict-transport-security'], url).toBeUndefined();
    }
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/script-src[^;]*unsafe/);
  });

  it('serves hashed assets with a long immutable cache and revalidates them by ETag', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/assets/${web.asset}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.body).toContain('slipway fixture app');
    const etag = res.headers.etag as string;
    expect(etag).toBeTruthy();
    expect((await t.app.inject({ method: 'GET', url: `/assets/${web.asset}`, headers: { 'if-none-match': etag } })).statusCode).toBe(304);
    const icon = await t.app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('public, max-age=3600');
  });

  it('keeps answering JSON 404s under /api and for missing files, never index.html', async () => {
    for (const url of ['/api/v1/nothing', '/api/nothing', '/api/v1/projects/api/nothing/here', '/ofrep/v1/nothing', `/assets/missing-123.js`, '/assets/../../../../etc/passwd', '/nothing-at-all']) {
      const res = await t.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toMatch(/^application\/json/);
      expect(res.json().error.code, url).toBe('not_found');
    }
    expect((await t.app.inject({ method: 'POST', url: '/projects/api', payload: {} })).statusCode).toBe(404);
    // The API itself is untouched.
    expect((await t.request({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
  });

  it('is where notification links point: every own link of an announcement opens a page', async () => {
    const events = [
      { type: 'deployment.succeeded', payload: { deploymentId: '01jdep', project: 'api', environment: 'production', version: '1.4.0' } },
      { type: 'signoff.recorded', payload: { project: 'api', version: '1.4.0-rc.1', environment: 'qa', decision: 'no-go' } },
      { type: 'flag.changed', payload: { project: 'api', flag: 'new-checkout', environment: 'production', summary: 'x' } },
      { type: 'project.updated', payload: { project: 'api' } },
    ];
    for (const [i, e] of events.entries()) {
      const a = announce({ id: `0${i}`, ...e, projectKey: 'api', environmentKey: null, createdAt: new Date().toISOString() }, { publicUrl: 'https://slipway.example.com' });
      const own = a.links[0]!;
      expect(own.url.startsWith('https://slipway.example.com/'), e.type).toBe(true);
      const res = await t.app.inject({ method: 'GET', url: new URL(own.url).pathname });
      expect(res.statusCode, own.url).toBe(200);
      expect(res.headers['content-type'], own.url).toMatch(/^text\/html/);
    }
  });

  it('picks up files added by a rebuild without a restart', async () => {
    fs.writeFileSync(path.join(web.dir, 'assets', 'late-Zz99.js'), 'export {};\n');
    const res = await t.app.inject({ method: 'GET', url: '/assets/late-Zz99.js' });
    expect(res.statusCode).toBe(200);
  });
});

describe('without a web build', () => {
  let t: TestApp;
  let empty: string;
  beforeAll(async () => {
    empty = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-noweb-'));
    t = await createTestApp('sqlite', { app: { webDir: empty }, compose: { publicUrl: 'https://slipway.example.com' } });
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(empty, { recursive: true, force: true });
  });

  it('still starts; the pages say how to build the app and the API works', async () => {
    for (const url of ['/', '/projects/api', '/settings/users']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(503);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain('npm run build');
      expect(res.body).toContain('SLIPWAY_WEB_DIR');
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    }
    expect((await t.request({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/nothing' })).json().error.code).toBe('not_found');
  });
});
