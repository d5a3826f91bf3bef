// The web provider in Node (it only needs fetch and streams) against a real Slipway process:
// answers and errors as OpenFeature shapes them, change events, a context change, and closing
// the event stream while the page is hidden, then an unconditional refetch when it is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderEvents } from '@openfeature/web-sdk';
import { SlipwayWebProvider } from '@slipway/sdk-web';
import { eventually, startFlagServer } from '../../sdk-node/src/testing/flag-server.js';
import type { FlagServer } from '../../sdk-node/src/testing/flag-server.js';
import { startHttpProxy } from '../../sdk-node/src/testing/http-proxy.js';

const BOOL = [
  { key: 'on', value: true },
  { key: 'off', value: false },
];

/** A stand-in for `document`, whose visibility the test switches. */
class FakeDocument {
  visibilityState = 'visible';
  private listeners = new Set<() => void>();
  addEventListener(_type: string, l: () => void) {
    this.listeners.add(l);
  }
  removeEventListener(_type: string, l: () => void) {
    this.listeners.delete(l);
  }
  set(state: 'visible' | 'hidden') {
    this.visibilityState = state;
    for (const l of this.listeners) l();
  }
}

describe('SlipwayWebProvider', () => {
  let server: FlagServer;
  const providers: SlipwayWebProvider[] = [];
  const make = (options: Partial<ConstructorParameters<typeof SlipwayWebProvider>[0]> = {}) => {
    const p = new SlipwayWebProvider({ url: server.url, clientKey: server.clientKey, ...options });
    providers.push(p);
    return p;
  };

  beforeAll(async () => {
    server = await startFlagServer();
    await server.createFlag('new-checkout', BOOL);
    await server.configure('new-checkout', {
      enabled: true,
      offVariant: 'off',
      rules: [{ id: 'acme', conditions: [{ attribute: 'company', operator: 'eq', values: ['acme'] }], serve: { variant: 'on' } }],
      defaultServe: { variant: 'off' },
    });
    await server.createFlag('theme', [
      { key: 'light', value: { bg: '#fff' } },
      { key: 'dark', value: { bg: '#000' } },
    ]);
    await server.configure('theme', { enabled: true, defaultServe: { split: [{ variant: 'light', weight: 50 }, { variant: 'dark', weight: 50 }] } });
  });
  afterAll(async () => {
    for (const p of providers) await p.onClose();
    await server?.dispose();
  });

  it('answers from memory as OpenFeature shapes it, errors included', async () => {
    const p = make();
    await p.initialize({ targetingKey: 'user-1', company: 'acme' });
    expect(p.resolveBooleanEvaluation('new-checkout', false)).toEqual({ value: true, variant: 'on', reason: 'TARGETING_MATCH', flagMetadata: { ruleId: 'acme' } });
    expect(p.resolveObjectEvaluation('theme', {}).value).toHaveProperty('bg');
    expect(p.resolveStringEvaluation('new-checkout', 'x')).toMatchObject({ value: 'x', reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
    expect(p.resolveBooleanEvaluation('ghost', true)).toMatchObject({ value: true, errorCode: 'FLAG_NOT_FOUND' });
    await p.onContextChange({}, { company: 'acme' });
    expect(p.resolveObjectEvaluation('theme', { bg: 'none' })).toMatchObject({ value: { bg: 'none' }, errorCode: 'TARGETING_KEY_MISSING' });
    // A targeting key that is not a string: the server's INVALID_CONTEXT, for every flag.
    await p.onContextChange({}, { targetingKey: 42 as unknown as string });
    expect(p.resolveBooleanEvaluation('new-checkout', false)).toMatchObject({ value: false, errorCode: 'INVALID_CONTEXT' });
    await p.onContextChange({}, { targetingKey: 'user-1', company: 'globex' });
    expect(p.resolveBooleanEvaluation('new-checkout', true)).toEqual({ value: false, variant: 'off', reason: 'DEFAULT' });
  });

  it('announces a change with the flags it touched', async () => {
    const p = make();
    const changes: string[][] = [];
    p.events.addHandler(ProviderEvents.ConfigurationChanged, (d) => changes.push((d as { flagsChanged?: string[] } | undefined)?.flagsChanged ?? []));
    await p.initialize({ targetingKey: 'user-2', company: 'acme' });
    await eventually(() => p.streaming, 'the event stream');
    await server.configure('new-checkout', { enabled: false, offVariant: 'off', defaultServe: { variant: 'on' } });
    await eventually(() => p.resolveBooleanEvaluation('new-checkout', true).value === false, 'the change');
    expect(changes).toEqual([['new-checkout']]);
    expect(p.resolveBooleanEvaluation('new-checkout', true).reason).toBe('DISABLED');
  });

  it('closes the stream while hidden longer than the inactivity delay, and refetches unconditionally when visible', async () => {
    const doc = new FakeDocument();
    (globalThis as { document?: unknown }).document = doc;
    const proxy = await startHttpProxy(server.url);
    try {
      await server.configure('new-checkout', { enabled: true, offVariant: 'off', defaultServe: { variant: 'off' } });
      const p = make({ url: proxy.url, inactivityDelaySec: 1, pollIntervalMs: 600_000 });
      await p.initialize({ targetingKey: 'user-3' });
      await eventually(() => p.streaming, 'the event stream');
      doc.set('hidden');
      await eventually(() => !p.streaming, 'the stream closed after the inactivity delay', 5_000);
      await server.configure('new-checkout', { enabled: true, offVariant: 'off', defaultServe: { variant: 'on' } });
      await new Promise((r) => setTimeout(r, 300));
      expect(p.resolveBooleanEvaluation('new-checkout', false).value).toBe(false); // asleep: nothing heard
      const before = proxy.seen.length;
      doc.set('visible');
      await eventually(() => p.resolveBooleanEvaluation('new-checkout', false).value === true, 'the refetch on return');
      await eventually(() => p.streaming, 'the stream back');
      const refetch = proxy.seen.slice(before).find((r) => r.method === 'POST' && r.path.startsWith('/ofrep/v1/evaluate/flags'));
      expect(refetch?.headers['if-none-match']).toBeUndefined();
      expect(refetch?.path).toBe('/ofrep/v1/evaluate/flags');
    } finally {
      delete (globalThis as { document?: unknown }).document;
      await proxy.close();
    }
  });

  it('sends the notice etag with a refetch the stream asked for, and If-None-Match', async () => {
    const proxy = await startHttpProxy(server.url);
    try {
      const p = make({ url: proxy.url });
      await p.initialize({ targetingKey: 'user-4' });
      await eventually(() => p.streaming, 'the event stream');
      const before = proxy.seen.length;
      await server.configure('new-checkout', { enabled: true, offVariant: 'off', defaultServe: { variant: 'off' } });
      await eventually(() => proxy.seen.slice(before).some((r) => r.path.includes('flagConfigEtag=')), 'the refetch');
      const refetch = proxy.seen.slice(before).find((r) => r.path.includes('flagConfigEtag='))!;
      expect(refetch.path).toMatch(/^\/ofrep\/v1\/evaluate\/flags\?flagConfigEtag=%22\d+%22$/);
      expect(refetch.headers['if-none-match']).toMatch(/^"\d+-/);
    } finally {
      await proxy.close();
    }
  });
});
