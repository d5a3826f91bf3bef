/**
 * Serves the browser tests' page from its own origin (so OFREP calls are cross-origin, as on a
 * real site): `/page/<name>` renders the configuration registered under that name — on the server
 * with react-dom/server when it has a bootstrap (SSR), else an empty root — and `/app.js` is the
 * page bundled with esbuild (React, @openfeature/web-sdk and the built @slipway/sdk-web).
 */
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { App } from './page-app.js';
import type { PageConfig } from './page-app.js';

export interface PageServer {
  readonly url: string;
  /** Registers a page; open `${url}/page/${name}`. */
  page(name: string, config: PageConfig): string;
  close(): Promise<void>;
}

export async function startPageServer(): Promise<PageServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-page-'));
  const here = path.dirname(fileURLToPath(import.meta.url));
  await build({
    entryPoints: [path.join(here, 'page-main.ts')],
    outfile: path.join(dir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  const bundle = fs.readFileSync(path.join(dir, 'app.js'));
  const pages = new Map<string, PageConfig>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://page');
    if (url.pathname === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' }).end(bundle);
      return;
    }
    const config = pages.get(url.pathname.replace(/^\/page\//, ''));
    if (config === undefined) {
      res.writeHead(404).end();
      return;
    }
    const html = config.bootstrap ? renderToString(createElement(App, config)) : '';
    const state = JSON.stringify(config).replace(/</g, '\\u003c');
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end(`<!doctype html><html><head><meta charset="utf-8"><title>flags</title></head><body><div id="root">${html}</div><script>window.__SLIPWAY__=${state}</script><script type="module" src="/app.js"></script></body></html>`);
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    page(name, config) {
      pages.set(name, config);
      return `${base}/page/${name}`;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
