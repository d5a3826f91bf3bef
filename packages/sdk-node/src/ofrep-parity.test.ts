// The same answers — value, variant, reason, or error code — from the server's OFREP endpoints,
// the Node SDK's local evaluation and the browser SDK (run here in Node, against the same server),
// for 10,000 random contexts (targeting keys that are numbers, booleans, null or objects
// included) and flags using targets, rules, segments, semver, numbers and splits.
import { SlipwayWebProvider } from '@slipway/sdk-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from './client.js';
import { flavor, memoryLogger, newCheckout } from './testing/fixtures.js';
import { startFlagServer } from './testing/flag-server.js';
import type { FlagServer } from './testing/flag-server.js';

const COMPANIES = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', ''];
const COUNT = 10_000;
const FLAGS = ['new-checkout', 'flavor', 'plan'];

/** A small deterministic PRNG (mulberry32), so every run checks the same contexts. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function contexts(): Record<string, unknown>[] {
  const random = prng(20_240_601);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const out: Record<string, unknown>[] = [{ targetingKey: 'user-vip' }, { targetingKey: 'superadmin-1', company: 'umbrella' }, {}];
  while (out.length < COUNT) {
    const ctx: Record<string, unknown> = {};
    const keyKind = random();
    if (keyKind < 0.85) ctx.targetingKey = `user-${Math.floor(random() * 1_000_000)}`;
    else if (keyKind < 0.95) ctx.targetingKey = pick<unknown>([42, 0, -1.5, true, false, null, { id: 'user-1' }, ['user-1'], '', 'user-vip']);
    if (random() < 0.9) ctx.company = pick(COMPANIES);
    if (random() < 0.7) ctx.appVersion = `${Math.floor(random() * 4)}.${Math.floor(random() * 12)}.${Math.floor(random() * 5)}${random() < 0.1 ? '-rc.1' : ''}`;
    if (random() < 0.7) ctx.age = Math.floor(random() * 80);
    if (random() < 0.3) ctx.country = pick(['DE', 'FR', 'US', 'JP']);
    out.push(ctx);
  }
  return out;
}

interface Answer {
  value?: unknown;
  variant?: string;
  reason?: string;
  errorCode?: string;
}

type Remote = { key: string; value?: unknown; variant?: string; reason?: string; errorCode?: string };

/** An OFREP answer for one flag, in the shape compared. */
function fromRemote(f: Remote | undefined, requestError: string | undefined): Answer {
  if (requestError !== undefined) return { errorCode: requestError };
  if (f === undefined) return { errorCode: 'FLAG_NOT_FOUND' };
  return f.errorCode === undefined ? { value: f.value, variant: f.variant, reason: f.reason } : { errorCode: f.errorCode };
}

function fromDetails(d: { value?: unknown; variant?: string | undefined; reason?: string; errorCode?: string | undefined }): Answer {
  return d.errorCode === undefined ? { value: d.value, variant: d.variant, reason: d.reason } : { errorCode: d.errorCode };
}

describe('OFREP, the Node SDK and the browser SDK agree', () => {
  let server: FlagServer;
  let client: SlipwayClient;

  beforeAll(async () => {
    server = await startFlagServer();
    await server.api('POST', '/api/v1/projects/shop/segments', {
      key: 'eu-companies',
      conditions: [{ attribute: 'company', operator: 'in', values: ['initech', 'umbrella'] }],
    });
    for (const flag of [newCheckout(), flavor()]) {
      await server.createFlag(flag.key, flag.variants);
      await server.configure(flag.key, flag.environment);
    }
    await server.createFlag('plan', [
      { key: 'basic', value: { seats: 5 } },
      { key: 'pro', value: { seats: 50, sso: true } },
    ]);
    await server.configure('plan', {
      enabled: true,
      offVariant: 'basic',
      rules: [
        { id: 'new-apps', conditions: [{ attribute: 'appVersion', operator: 'semver_range', values: ['>=2.0.0 <3.0.0'] }, { attribute: 'age', operator: 'gte', values: [18] }], serve: { variant: 'pro' } },
        { conditions: [{ attribute: 'country', operator: 'in', values: ['DE', 'FR'] }], serve: { split: [{ variant: 'pro', weight: 33.33 }, { variant: 'basic', weight: 66.67 }], stickiness: 'company' } },
      ],
      defaultServe: { variant: 'basic' },
    });
    client = new SlipwayClient({ url: server.url, sdkKey: server.serverKey, logger: memoryLogger() });
    expect(await client.ready(30_000)).toBe(true);
  });

  afterAll(async () => {
    client?.close();
    await server?.dispose();
  });

  it('for 10,000 contexts on every flag: OFREP (bulk and single), the Node SDK and the browser SDK', async () => {
    const list = contexts();
    const mismatches: unknown[] = [];
    const outcomes = new Set<string>();
    let compared = 0;
    let next = 0;
    const headers = { authorization: `Bearer ${server.clientKey}`, 'content-type': 'application/json' };
    async function worker(): Promise<void> {
      const web = new SlipwayWebProvider({ url: server.url, clientKey: server.clientKey });
      await web.initialize({});
      try {
        while (next < list.length) {
          const i = next++;
          const context = list[i]!;
          const res = await fetch(`${server.url}/ofrep/v1/evaluate/flags`, { method: 'POST', headers, body: JSON.stringify({ context }) });
          const body = (await res.json()) as { flags?: Remote[]; errorCode?: string };
          const requestError = res.status === 400 ? body.errorCode : undefined;
          await web.onContextChange({}, context as never);
          for (const flag of FLAGS) {
            const remote = fromRemote(body.flags?.find((f) => f.key === flag), requestError);
            const local = fromDetails(client.getDetails(flag, undefined, context as never));
            const browser = fromDetails(web.resolve(flag, undefined));
            outcomes.add(remote.reason ?? remote.errorCode ?? '?');
            compared++;
            if (JSON.stringify(local) !== JSON.stringify(remote) || JSON.stringify(browser) !== JSON.stringify(remote)) {
              mismatches.push({ flag, context, remote, local, browser });
            }
          }
          // Single-flag OFREP answers the same, on every tenth context (the bulk answer stands for the rest).
          if (i % 10 === 0) {
            for (const flag of FLAGS) {
              const single = await fetch(`${server.url}/ofrep/v1/evaluate/flags/${flag}`, { method: 'POST', headers, body: JSON.stringify({ context }) });
              const one = (await single.json()) as Remote;
              const answer = single.status === 200 ? { value: one.value, variant: one.variant, reason: one.reason } : { errorCode: one.errorCode };
              const bulk = fromRemote(body.flags?.find((f) => f.key === flag), requestError);
              if (JSON.stringify(answer) !== JSON.stringify(bulk)) mismatches.push({ flag, context, single: answer, bulk });
            }
          }
        }
      } finally {
        await web.onClose();
      }
    }
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(compared).toBe(COUNT * FLAGS.length);
    // The contexts exercise every path, not one answer ten thousand times.
    expect([...outcomes].sort()).toEqual(['DEFAULT', 'INVALID_CONTEXT', 'SPLIT', 'TARGETING_KEY_MISSING', 'TARGETING_MATCH']);
  }, 300_000);
});
