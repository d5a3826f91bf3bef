import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SlipwayClient } from './client.js';
import { memoryLogger, sampleRuleSet } from './testing/fixtures.js';

const clients: SlipwayClient[] = [];
function client(options: ConstructorParameters<typeof SlipwayClient>[0]): SlipwayClient {
  const c = new SlipwayClient({ logger: memoryLogger(), ...options });
  clients.push(c);
  return c;
}
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

describe('SlipwayClient offline, from a bootstrap', () => {
  it('is ready at once and evaluates every type locally', async () => {
    const c = client({ offline: true, bootstrap: sampleRuleSet() });
    expect(await c.ready()).toBe(true);
    expect(c.version).toBe('bootstrap-1');
    expect(c.getBooleanValue('new-checkout', false, { targetingKey: 'u1', company: 'acme' })).toBe(true);
    expect(c.getBooleanValue('new-checkout', true, { targetingKey: 'user-vip', company: 'hooli' })).toBe(true);
    expect(c.getStringValue('flavor', 'x', { targetingKey: 'u1', company: 'acme' })).toBe('dedicated');
    expect(c.getStringValue('flavor', 'x', { targetingKey: 'u1', company: 'umbrella' })).toBe('eu-sovereign');
    expect(c.getStringValue('flavor', 'x', { targetingKey: 'superadmin-1', company: 'umbrella' })).toBe('dedicated');
    expect(c.getStringValue('flavor', 'x', { targetingKey: 'u1', company: 'hooli' })).toBe('standard');
    expect(c.getNumberValue('retries', 0, {})).toBe(2);
    expect(c.getObjectValue('limits', {}, {})).toEqual({ uploadMb: 10, regions: ['eu'] });
  });

  it('splits about 25 % of users into the rollout, the same users every time', () => {
    const c = client({ offline: true, bootstrap: sampleRuleSet() });
    let on = 0;
    for (let i = 0; i < 10_000; i++) if (c.getBooleanValue('new-checkout', false, { targetingKey: `user-${i}`, company: 'hooli' })) on++;
    expect(on).toBeGreaterThan(2300);
    expect(on).toBeLessThan(2700);
    const again = client({ offline: true, bootstrap: sampleRuleSet() });
    for (let i = 0; i < 200; i++) {
      const ctx = { targetingKey: `user-${i}` };
      expect(again.getBooleanValue('new-checkout', false, ctx)).toBe(c.getBooleanValue('new-checkout', false, ctx));
    }
  });

  it('gives details with the variant and the reason', () => {
    const c = client({ offline: true, bootstrap: sampleRuleSet() });
    expect(c.getDetails('new-checkout', false, { targetingKey: 'u1', company: 'globex' })).toEqual({
      flagKey: 'new-checkout',
      value: true,
      variant: 'on',
      reason: 'TARGETING_MATCH',
    });
    expect(c.getDetails('retries', 0, {})).toEqual({ flagKey: 'retries', value: 2, variant: 'few', reason: 'STATIC' });
    expect(c.getDetails('new-checkout', false, { targetingKey: 'u1' }).reason).toBe('SPLIT');
  });

  it('reads the bootstrap from a JSON file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-sdk-'));
    try {
      const file = path.join(dir, 'flags.json');
      fs.writeFileSync(file, JSON.stringify(sampleRuleSet('from-file')));
      const c = client({ offline: true, bootstrap: file });
      expect(await c.ready()).toBe(true);
      expect(c.version).toBe('from-file');
      expect(c.getStringValue('flavor', 'x', { company: 'acme' })).toBe('dedicated');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers the defaults offline without a bootstrap, and logs an unreadable bootstrap file', async () => {
    const logger = memoryLogger();
    const c = client({ offline: true, bootstrap: '/nonexistent/flags.json', logger });
    expect(await c.ready()).toBe(true);
    expect(c.getBooleanValue('new-checkout', true, {})).toBe(true);
    expect(c.getDetails('new-checkout', true, {})).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(logger.lines.join('\n')).toMatch(/bootstrap rule set could not be loaded/);
  });

  it('reports a missing url or key instead of throwing, and answers from the bootstrap', async () => {
    const logger = memoryLogger();
    const c = client({ bootstrap: sampleRuleSet(), logger });
    expect(c.refused).toBe(true);
    expect(await c.ready(10)).toBe(true);
    expect(await client({ logger }).ready(10)).toBe(false);
    expect(c.getNumberValue('retries', 0)).toBe(2);
    expect(logger.lines.join('\n')).toMatch(/"url" and "sdkKey" are required/);
  });
});

describe('SlipwayClient never throws from an evaluation', () => {
  const junkContexts: unknown[] = [
    undefined,
    null,
    42,
    'ctx',
    [],
    [1, 2],
    { targetingKey: null },
    { targetingKey: {} },
    { targetingKey: ['a'] },
    { company: Symbol('x') },
    { company: 10n },
    Object.create(null),
    new Proxy({}, { get: () => { throw new Error('hostile getter'); }, has: () => { throw new Error('hostile has'); } }),
    Object.defineProperty({}, 'company', { get: () => { throw new Error('boom'); }, enumerable: true }),
  ];
  const junkKeys: unknown[] = [undefined, null, 1, {}, [], 'missing', '', '__proto__', 'constructor', 'x'.repeat(100_000)];

  it('answers the default for junk keys, contexts and defaults', () => {
    const c = client({ offline: true, bootstrap: sampleRuleSet() });
    for (const key of [...junkKeys, 'new-checkout', 'flavor', 'limits', 'retries']) {
      for (const ctx of junkContexts) {
        const k = key as string;
        const x = ctx as Record<string, unknown>;
        expect(() => c.getBooleanValue(k, false, x)).not.toThrow();
        expect(() => c.getStringValue(k, 'd', x)).not.toThrow();
        expect(() => c.getNumberValue(k, 1, x)).not.toThrow();
        expect(() => c.getObjectValue(k, {}, x)).not.toThrow();
        expect(() => c.getDetails(k, undefined, x)).not.toThrow();
        expect(() => c.getDetails(k, Symbol('d') as unknown as string, x)).not.toThrow();
      }
    }
  });

  it('answers the caller default with an error code on a type mismatch, an unknown flag or a bad context', () => {
    const c = client({ offline: true, bootstrap: sampleRuleSet() });
    expect(c.getStringValue('new-checkout', 'nope', { company: 'acme' })).toBe('nope');
    expect(c.getDetails('new-checkout', 'nope', { company: 'acme' })).toMatchObject({ value: 'nope', reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
    expect(c.getDetails('missing', 3, {})).toMatchObject({ value: 3, errorCode: 'FLAG_NOT_FOUND' });
    expect(c.getDetails('new-checkout', false, 7 as never)).toMatchObject({ value: false, errorCode: 'INVALID_CONTEXT' });
    expect(c.getDetails('new-checkout', false, { company: 'hooli' })).toMatchObject({ value: false, errorCode: 'TARGETING_KEY_MISSING' });
  });

  it('answers PROVIDER_NOT_READY before any rule set', () => {
    const c = client({ url: 'http://127.0.0.1:9', sdkKey: 'k', streamInitialRetryMs: 60_000, pollIntervalMs: 60_000 });
    expect(c.getBooleanValue('new-checkout', true, {})).toBe(true);
    expect(c.getDetails('new-checkout', true, {})).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY' });
  });

  it('refuses a bootstrap that is not a rule set, keeping the defaults', () => {
    for (const junk of [null, 5, 'not json path', { flags: 'x' }, { flags: [], version: 3 }]) {
      const c = client({ offline: true, bootstrap: junk as never });
      expect(c.getBooleanValue('new-checkout', true, {})).toBe(true);
    }
  });

  it('survives a logger that throws while the server cannot be reached', async () => {
    const thrower = { error: () => { throw new Error('log down'); }, warn: () => { throw new Error('log down'); } };
    const closed = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const c = client({ url: `http://127.0.0.1:${closed}`, sdkKey: 'k', logger: thrower, streamInitialRetryMs: 5, streamMaxRetryMs: 10, pollIntervalMs: 5 });
    const errors: string[] = [];
    c.on('error', (e) => errors.push(e.message));
    expect(await c.ready(300)).toBe(false);
    expect(errors[0]).toMatch(/polling the rule set failed: fetch failed \(ECONNREFUSED\)/);
    expect(errors).toHaveLength(1);
    expect(c.getBooleanValue('new-checkout', true, {})).toBe(true);
  });

  it('keeps other listeners running when one throws', () => {
    const logger = memoryLogger();
    const c = client({ offline: true, bootstrap: sampleRuleSet(), logger });
    const seen: string[] = [];
    c.on('error', () => {
      throw new Error('listener bug');
    });
    c.on('error', (e) => seen.push(e.message));
    (c as unknown as { emitter: { emit(e: string, p: unknown): void } }).emitter.emit('error', new Error('x'));
    expect(seen).toEqual(['x']);
    expect(logger.lines.join('\n')).toMatch(/listener threw: listener bug/);
  });
});
