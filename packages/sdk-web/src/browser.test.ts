// The browser SDK in real Chromium (Debian's, through playwright-core) against a real Slipway
// process, the page served from another origin: a React page follows a flag changed through the
// API; a server-rendered page hydrates with no flash of defaults; a dropped stream resumes with
// Last-Event-ID and catches up; a blocked stream falls back to polling; a server key is refused.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchBootstrap } from '@slipway/sdk-web';
import { startFlagServer } from '../../sdk-node/src/testing/flag-server.js';
import type { FlagServer } from '../../sdk-node/src/testing/flag-server.js';
import { startHttpProxy } from '../../sdk-node/src/testing/http-proxy.js';
import { launchChromium } from './testing/browser.js';
import type { Browser } from './testing/browser.js';
import { startPageServer } from './testing/page-server.js';
import type { PageServer } from './testing/page-server.js';

const BOOL = [
  { key: 'on', value: true },
  { key: 'off', value: false },
];
const CONTEXT = { targetingKey: 'user-1', company: 'acme' };

type Window = { __events: string[]; __seen: string[]; document: { querySelector(s: string): { textContent: string | null } | null } };
const text = (page: Page, selector: string) => page.evaluate((s) => (globalThis as unknown as Window).document.querySelector(s)?.textContent ?? null, selector);
const showing = (page: Page, selector: string, value: string, timeout = 20_000) =>
  page.waitForFunction(([s, v]) => (globalThis as unknown as Window).document.querySelector(s!)?.textContent === v, [selector, value], { timeout });
const streamOpened = (page: Page) => page.waitForResponse((r) => r.url().includes('/ofrep/v1/event-stream') && r.status() === 200, { timeout: 20_000 });

describe('the browser SDK in Chromium', () => {
  let server: FlagServer;
  let pages: PageServer;
  let browser: Browser;
  const setUi = (on: boolean) => server.configure('new_query_ui', { enabled: true, offVariant: 'off', defaultServe: { variant: on ? 'on' : 'off' } });
  const setFlavor = (variant: string) => server.configure('flavor', { enabled: true, defaultServe: { variant } });

  beforeAll(async () => {
    server = await startFlagServer();
    await server.createFlag('new_query_ui', BOOL);
    await server.createFlag('flavor', [
      { key: 'standard', value: 'standard' },
      { key: 'gpu', value: 'gpu' },
      { key: 'eu', value: 'eu-sovereign' },
    ]);
    await setUi(false);
    await setFlavor('standard');
    pages = await startPageServer();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await server?.dispose();
  });

  it('updates a page using the React hook when a flag is changed through the API', async () => {
    await setUi(false);
    const page = await browser.context.newPage();
    const opened = streamOpened(page);
    await page.goto(pages.page('live', { url: server.url, clientKey: server.clientKey, context: CONTEXT }));
    await opened;
    await showing(page, '#ui', 'legacy');
    const changedAt = Date.now();
    await setUi(true);
    await showing(page, '#ui', 'new');
    console.log(`[timing] flag change through the API → React page re-rendered: ${Date.now() - changedAt} ms`);
    // OpenFeature outside React saw the same provider change.
    const events = await page.evaluate(() => (globalThis as unknown as Window).__events);
    expect(events.some((e) => e.startsWith('PROVIDER_CONFIGURATION_CHANGED'))).toBe(true);
    await page.close();
  });

  it('renders on the server with a bootstrap and hydrates with no flash of the default', async () => {
    await setUi(true);
    const bootstrap = await fetchBootstrap({ url: server.url, clientKey: server.clientKey, context: CONTEXT });
    expect(bootstrap.flags.find((f) => f.key === 'new_query_ui')).toMatchObject({ value: true });
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    // Every value #ui ever shows, from the first byte of HTML on.
    await page.addInitScript(() => {
      const w = globalThis as unknown as Window & { MutationObserver: new (cb: () => void) => { observe(n: unknown, o: unknown): void } };
      w.__seen = [];
      new w.MutationObserver(() => {
        const t = w.document.querySelector('#ui')?.textContent;
        if (t && w.__seen[w.__seen.length - 1] !== t) w.__seen.push(t);
      }).observe(w.document, { subtree: true, childList: true, characterData: true });
    });
    // Slow OFREP down, so that hydration certainly happens before any flag arrives from the network.
    await page.route('**/ofrep/v1/evaluate/flags**', async (route) => {
      await new Promise((r) => setTimeout(r, 400));
      await route.continue();
    });
    const opened = streamOpened(page);
    const fetched = page.waitForResponse((r) => r.url().includes('/ofrep/v1/evaluate/flags') && r.request().method() === 'POST', { timeout: 20_000 });
    const response = await page.goto(pages.page('ssr', { url: server.url, clientKey: server.clientKey, context: CONTEXT, bootstrap }));
    expect(await response!.text()).toContain('<div id="ui">new</div>');
    await Promise.all([opened, fetched]);
    await new Promise((r) => setTimeout(r, 200)); // the fetched flags applied
    expect(await text(page, '#ui')).toBe('new');
    expect(await page.evaluate(() => (globalThis as unknown as Window).__seen)).toEqual(['new']);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('resumes a dropped stream with Last-Event-ID and catches up on the change it missed', async () => {
    await setUi(false);
    const proxy = await startHttpProxy(server.url);
    const page = await browser.context.newPage();
    try {
      const opened = streamOpened(page);
      // Polling far away: what arrives after the drop comes through the resumed stream.
      await page.goto(pages.page('resume', { url: proxy.url, clientKey: server.clientKey, context: CONTEXT, options: { retryMs: 200, maxRetryMs: 1000, pollIntervalMs: 600_000 } }));
      await opened;
      await setFlavor('gpu');
      await showing(page, '#flavor', 'gpu');
      const streams = () => proxy.seen.filter((r) => r.method === 'GET' && r.path.startsWith('/ofrep/v1/event-stream'));
      const before = streams().length;
      const lastSeenId = /id: (\d+)/g;
      const ids = [...streams().at(-1)!.body.matchAll(lastSeenId)].map((m) => Number(m[1]));
      expect(ids.length).toBeGreaterThan(0);

      proxy.block(); // the stream drops; reconnections fail while blocked
      await setUi(true);
      await new Promise((r) => setTimeout(r, 500));
      expect(await text(page, '#ui')).toBe('legacy');
      proxy.unblock();
      await showing(page, '#ui', 'new');
      const resumed = streams().slice(before);
      expect(resumed.length).toBeGreaterThan(0);
      expect(resumed[0]!.headers['last-event-id']).toBe(String(ids.at(-1)));
    } finally {
      await page.close();
      await proxy.close();
    }
  });

  it('falls back to polling when the event stream URL is blocked', async () => {
    await setUi(false);
    const page = await browser.context.newPage();
    let streamAttempts = 0;
    let polls = 0;
    await page.route('**/ofrep/v1/event-stream**', (route) => {
      streamAttempts++;
      return route.abort('blockedbyclient');
    });
    page.on('request', (r) => r.url().includes('/ofrep/v1/evaluate/flags') && r.method() === 'POST' && polls++);
    await page.goto(pages.page('blocked', { url: server.url, clientKey: server.clientKey, context: CONTEXT, options: { pollIntervalMs: 300, retryMs: 200, maxRetryMs: 2000 } }));
    await showing(page, '#ui', 'legacy');
    await setUi(true);
    await showing(page, '#ui', 'new');
    expect(streamAttempts).toBeGreaterThan(0);
    expect(polls).toBeGreaterThanOrEqual(2);
    await page.close();
  });

  it('refuses a server key with a clear error, sends it nowhere, and shows the defaults', async () => {
    await setUi(true);
    const page = await browser.context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('request', (r) => r.url().startsWith(server.url) && requests.push(r.url()));
    await page.goto(pages.page('server-key', { url: server.url, clientKey: server.serverKey, context: CONTEXT }));
    await page.waitForFunction(() => (globalThis as unknown as Window).__events?.some((e) => e.startsWith('PROVIDER_ERROR')), undefined, { timeout: 20_000 });
    expect(errors.join('\n')).toContain('server SDK key');
    expect(requests).toEqual([]);
    expect(await text(page, '#ui')).toBe('legacy');
    await page.close();
  });
});
