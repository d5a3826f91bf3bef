import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServerProcess } from '../testing/server-process.js';
import { createWebFixture } from '../testing/web-fixture.js';

/** The built server process (npm start): first-start credentials for the web app, and the app at /. */
describe('the server process and the web app', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => {
    for (const cleanup of cleanups.reverse()) cleanup();
  });

  function dataDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-webproc-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  async function signIn(url: string, username: string, password: string): Promise<Response> {
    return fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  }

  it('prints a random admin password once on first start; it signs in and the cookie works', async () => {
    const web = createWebFixture();
    cleanups.push(web.remove);
    const dir = dataDir();
    const server = await startServerProcess({ SLIPWAY_DATA_DIR: dir, SLIPWAY_WEB_DIR: web.dir });
    try {
      const match = /username admin, password (\S+)/.exec(server.output());
      expect(match, server.output()).not.toBeNull();
      const res = await signIn(server.url, 'admin', match![1]!);
      expect(res.status).toBe(200);
      const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
      const me = await fetch(`${server.url}/api/v1/me`, { headers: { cookie } });
      expect(((await me.json()) as { username: string }).username).toBe('admin');
      const page = await fetch(`${server.url}/projects/api/releases/1.0.0`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('Slipway fixture');
      const asset = await fetch(`${server.url}/assets/${web.asset}`);
      expect(asset.headers.get('cache-control')).toContain('immutable');
      expect((await fetch(`${server.url}/api/v1/nothing`)).headers.get('content-type')).toMatch(/json/);
    } finally {
      await server.stop();
    }
    const second = await startServerProcess({ SLIPWAY_DATA_DIR: dir, SLIPWAY_WEB_DIR: web.dir });
    try {
      expect(second.output()).not.toContain('password');
    } finally {
      await second.stop();
    }
  });

  it('uses SLIPWAY_BOOTSTRAP_PASSWORD without printing it, and starts without a web build', async () => {
    const password = 'the bootstrap password';
    const server = await startServerProcess({ SLIPWAY_DATA_DIR: dataDir(), SLIPWAY_BOOTSTRAP_PASSWORD: password, SLIPWAY_WEB_DIR: path.join(os.tmpdir(), 'slipway-no-such-web-dir') });
    try {
      expect(server.output()).toContain('SLIPWAY_BOOTSTRAP_PASSWORD');
      expect(server.output()).not.toContain(password);
      expect((await signIn(server.url, 'admin', password)).status).toBe(200);
      const page = await fetch(`${server.url}/`);
      expect(page.status).toBe(503);
      expect(await page.text()).toContain('npm run build');
    } finally {
      await server.stop();
    }
  });
});
