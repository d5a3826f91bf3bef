// The Node SDK against a real server process (npm run build first), through a real HTTP proxy
// where the network path has to be cut.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from './client.js';
import type { ChangeEvent, SlipwayClientOptions } from './options.js';
import { eventually, startFlagServer } from './testing/flag-server.js';
import type { FlagServer } from './testing/flag-server.js';
import { startHttpProxy } from './testing/http-proxy.js';
import type { HttpProxy } from './testing/http-proxy.js';
import { flavor, memoryLogger, newCheckout } from './testing/fixtures.js';

const BOOL = [
  { key: 'on', value: true },
  { key: 'off', value: false },
];
const ACME = { targetingKey: 'user-1', company: 'acme' };

let server: FlagServer;
const clients: SlipwayClient[] = [];
const proxies: HttpProxy[] = [];

function client(options: Partial<SlipwayClientOptions>): SlipwayClient {
  const c = new SlipwayClient({ url: server.url, sdkKey: server.serverKey, logger: memoryLogger(), ...options });
  clients.push(c);
  return c;
}

async function proxy(): Promise<HttpProxy> {
  const p = await startHttpProxy(server.url);
  proxies.push(p);
  return p;
}

function record(c: SlipwayClient) {
  const events: string[] = [];
  const changes: ChangeEvent[] = [];
  c.on('ready', () => events.push('ready'));
  c.on('error', () => events.push('error'));
  c.on('stale', () => events.push('stale'));
  c.on('change', (e) => {
    events.push('change');
    changes.push(e);
  });
  return { events, changes };
}

beforeAll(async () => {
  server = await startFlagServer();
  await server.createFlag('new-checkout', BOOL);
  const { key: _k, type: _t, variants: _v, environment } = newCheckout();
  await server.configure('new-checkout', environment);
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const p of proxies.splice(0)) await p.close();
  await server.start(); // a test that stopped it leaves it running for the next
  await server.configure('new-checkout', newCheckout().environment);
});

afterAll(async () => {
  await server?.dispose();
});

describe('SlipwayClient against a real server', () => {
  it('loads the rule set over the stream and receives each change as it commits', async () => {
    const c = client({ pollIntervalMs: 60_000 });
    const { changes } = record(c);
    expect(await c.ready()).toBe(true);
    expect(c.version).toMatch(/^\d+$/);
    expect(c.getDetails('new-checkout', false, ACME)).toMatchObject({ value: true, variant: 'on', reason: 'TARGETING_MATCH' });

    const before = c.version;
    const { environment } = newCheckout({ enabled: false });
    await server.configure('new-checkout', environment);
    await eventually(() => changes.length > 0, 'the change event');
    expect(changes[0]).toEqual({ version: c.version, flagKeys: ['new-checkout'] });
    expect(c.version).not.toBe(before);
    expect(c.getDetails('new-checkout', true, ACME)).toMatchObject({ value: false, variant: 'off', reason: 'DISABLED' });

    // A new flag arrives as a patch too, and only it is named.
    await server.createFlag('flavor', flavor().variants);
    await server.configure('flavor', { enabled: true, offVariant: 'standard', defaultServe: { variant: 'eu' } });
    await eventually(() => c.getStringValue('flavor', 'none', {}) === 'eu-sovereign', 'the new flag');
    const named = changes.flatMap((e) => e.flagKeys);
    expect(named[0]).toBe('new-checkout');
    expect(new Set(named.slice(1))).toEqual(new Set(['flavor']));

    await server.configure('new-checkout', newCheckout().environment);
    await eventually(() => c.getBooleanValue('new-checkout', false, ACME), 'the flag back on');
  });

  it('keeps answering while the server is down, then reconnects and gets the changes made meanwhile', async () => {
    const p = await proxy();
    // Polls only once per outage here (at its start), so that the data comes back over the resumed stream.
    const c = client({ url: p.url, streamInitialRetryMs: 20, streamMaxRetryMs: 200, pollIntervalMs: 600_000, staleAfterMs: 300 });
    const { events, changes } = record(c);
    expect(await c.ready()).toBe(true);
    const version = c.version!;
    expect(c.getBooleanValue('new-checkout', false, ACME)).toBe(true);

    await server.stop();
    await eventually(() => events.includes('error') && events.includes('stale'), 'error and stale while the server is down');
    // Still the last rule set: every answer as before.
    expect(c.getDetails('new-checkout', false, ACME)).toMatchObject({ value: true, variant: 'on', reason: 'TARGETING_MATCH' });
    expect(c.version).toBe(version);

    // The server comes back on the same data and port, but the SDK cannot reach it until changes are made.
    p.block();
    await server.start();
    await server.configure('new-checkout', newCheckout({ rules: [] }).environment);
    await server.createFlag('retries', [
      { key: 'few', value: 2 },
      { key: 'many', value: 5 },
    ]);
    await server.configure('retries', { enabled: true, defaultServe: { variant: 'many' } });
    const seenBefore = p.seen.length;
    p.unblock();

    await eventually(() => c.getNumberValue('retries', 0) === 5, 'the changes made meanwhile');
    await eventually(() => events.at(-1) !== 'stale' && events.lastIndexOf('ready') > events.indexOf('stale'), 'ready again');
    // One change per patch: the flag created, then configured, while the SDK was away.
    expect(new Set(changes.flatMap((e) => e.flagKeys))).toEqual(new Set(['new-checkout', 'retries']));
    expect(c.getDetails('new-checkout', false, { targetingKey: 'user-1', company: 'acme' }).reason).toBe('SPLIT');

    // It resumed from its version: the server sent patches, not the whole rule set again.
    const resumed = p.seen.slice(seenBefore).find((r) => r.path === '/api/v1/sdk/stream' && r.status === 200);
    expect(resumed?.headers['last-event-id']).toBe(version);
    await eventually(() => resumed!.body.includes('event: patch'), 'patch events on the resumed stream');
    expect(resumed!.body).not.toContain('event: put');

    await server.api('DELETE', '/api/v1/projects/shop/flags/retries');
  });

  it('falls back to polling with the ETag while the stream is blocked, and goes back to streaming', async () => {
    const p = await proxy();
    p.breakStream(true);
    const c = client({ url: p.url, streamInitialRetryMs: 50, streamMaxRetryMs: 100, pollIntervalMs: 50 });
    const { changes } = record(c);
    expect(await c.ready()).toBe(true);
    expect(c.getBooleanValue('new-checkout', false, ACME)).toBe(true);

    await eventually(() => p.seen.some((r) => r.path === '/api/v1/sdk/flags' && r.status === 304), 'a 304 to a conditional poll');
    const conditional = p.seen.find((r) => r.status === 304)!;
    expect(conditional.headers['if-none-match']).toBe(`"${c.version}"`);

    await server.configure('new-checkout', newCheckout({ enabled: false }).environment);
    await eventually(() => changes.length > 0, 'the change through polling');
    expect(changes[0]!.flagKeys).toEqual(['new-checkout']);
    expect(c.getBooleanValue('new-checkout', true, ACME)).toBe(false);

    p.breakStream(false);
    const streamsBefore = p.seen.filter((r) => r.path === '/api/v1/sdk/stream').length;
    await eventually(() => p.seen.filter((r) => r.path === '/api/v1/sdk/stream').length > streamsBefore, 'a stream request passing');
    // A change makes the server write to the resumed stream (until then it may hold back even its headers).
    await server.configure('new-checkout', newCheckout({ targets: [] }).environment);
    await eventually(() => p.seen.some((r) => r.path === '/api/v1/sdk/stream' && r.status === 200), 'the stream back');
    await eventually(() => (c as unknown as { sync: { streaming: boolean } }).sync.streaming, 'the SDK streaming');
    const polls = p.seen.filter((r) => r.path === '/api/v1/sdk/flags').length;
    await server.configure('new-checkout', newCheckout().environment);
    await eventually(() => c.getBooleanValue('new-checkout', false, ACME), 'the change over the stream');
    // Polling stopped with the stream back (one poll may have been on its way when it came back).
    await new Promise((r) => setTimeout(r, 300));
    expect(p.seen.filter((r) => r.path === '/api/v1/sdk/flags').length).toBeLessThanOrEqual(polls + 1);
  });

  it('answers from the bootstrap when the server cannot be reached at start', async () => {
    const p = await proxy();
    p.block();
    const c = client({
      url: p.url,
      streamInitialRetryMs: 20,
      streamMaxRetryMs: 100,
      pollIntervalMs: 50,
      bootstrap: { version: 'b', flags: [newCheckout({ enabled: false })], segments: [] },
    });
    const { changes } = record(c);
    expect(await c.ready()).toBe(true);
    expect(c.version).toBe('b');
    expect(c.getBooleanValue('new-checkout', true, ACME)).toBe(false);
    p.unblock();
    await eventually(() => c.getBooleanValue('new-checkout', false, ACME), "the server's rule set");
    expect(changes[0]!.flagKeys).toContain('new-checkout');
    expect(c.version).toMatch(/^\d+$/);
  });

  it('gives up on a refused key: 401 for a wrong one, 403 for a client key', async () => {
    for (const sdkKey of ['slw_sdk_wrong', server.clientKey]) {
      const logger = memoryLogger();
      const c = client({ sdkKey, logger });
      const errors: Error[] = [];
      c.on('error', (e) => errors.push(e));
      expect(await c.ready(30_000)).toBe(false);
      expect(c.refused).toBe(true);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toMatch(sdkKey === server.clientKey ? /403/ : /401/);
      expect(c.getDetails('new-checkout', true, ACME)).toMatchObject({ value: true, errorCode: 'PROVIDER_NOT_READY' });
      expect(logger.lines.join('\n')).not.toContain(sdkKey);
    }
  });
});
