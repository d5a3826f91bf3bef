import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * The web app's pages. Every one answers index.html, as does any deep link under them (the SPA
 * shows its own "not found"), so a reload or a link from a chat message always works.
 */
export const SPA_ROUTES = ['/', '/login', '/projects', '/projects/*', '/deployments', '/deployments/*', '/audit', '/audit/*', '/settings', '/settings/*', '/rollouts', '/rollouts/*', '/insights', '/insights/*', '/calendar'] as const;

/**
 * What the built app needs and nothing more: its own scripts only (no inline script), inline
 * styles (the component kit sets style attributes and injects CSS variables), same-origin API
 * calls and SSE, images and fonts from itself or data: URLs; never framed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface WebAppOptions {
  /** The built app (packages/web/dist): index.html and hashed files under assets/. */
  webDir: string;
  /** true when SLIPWAY_PUBLIC_URL is https: browsers are then told to stay on https. */
  secure: boolean;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

function htmlHeaders(reply: FastifyReply, secure: boolean): FastifyReply {
  reply
    .header('cache-control', 'no-cache')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'same-origin')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
  if (secure) reply.header('strict-transport-security', 'max-age=31536000');
  return reply;
}

/**
 * Serves the built web app at `/`: hashed assets with a year-long immutable cache, index.html
 * revalidated every time (so a new release is picked up at once), the SPA fallback on every page
 * path. Without a build the server still starts and the pages say how to build it.
 */
export async function registerWebApp(app: FastifyInstance, options: WebAppOptions): Promise<void> {
  const index = path.join(options.webDir, 'index.html');
  if (!fs.existsSync(index)) {
    const page = notBuiltPage(options.webDir);
    for (const url of SPA_ROUTES) {
      app.get(url, { schema: { hide: true } }, async (_request, reply) => htmlHeaders(reply, options.secure).status(503).type('text/html; charset=utf-8').send(page));
    }
    return;
  }
  // Loaded only when there is an app to serve: a server without one does not pay for it at start.
  const { default: fastifyStatic } = await import('@fastify/static');
  await app.register(fastifyStatic, {
    root: options.webDir,
    prefix: '/',
    index: false,
    // Files added by a rebuild are served without a restart; a miss falls through to the JSON 404.
    wildcard: true,
    cacheControl: false,
    etag: true,
    lastModified: true,
    setHeaders(res, filePath) {
      const relative = path.relative(options.webDir, filePath).split(path.sep).join('/');
      res.setHeader('x-content-type-options', 'nosniff');
      if (relative.startsWith('assets/')) res.setHeader('cache-control', IMMUTABLE);
      else if (relative.endsWith('.html')) {
        res.setHeader('cache-control', 'no-cache');
        res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
        res.setHeader('x-frame-options', 'DENY');
      } else res.setHeader('cache-control', 'public, max-age=3600');
    },
  });
  for (const url of SPA_ROUTES) {
    app.get(url, { schema: { hide: true } }, async (_request, reply) => htmlHeaders(reply, options.secure).type('text/html; charset=utf-8').sendFile('index.html'));
  }
}

function notBuiltPage(webDir: string): string {
  const escaped = webDir.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Slipway: the web app is not built</title></head>
<body><main><h1>The web app is not built</h1>
<p>Slipway's API is running, but there is no web app to serve in <code>${escaped}</code>.</p>
<p>Build it from the repository with <code>npm run build</code> (it builds <code>packages/web</code> into <code>packages/web/dist</code>), then restart the server, or point <code>SLIPWAY_WEB_DIR</code> at a built copy.</p>
<p>The API is at <a href="/api/docs">/api/docs</a>.</p></main></body></html>
`;
}
