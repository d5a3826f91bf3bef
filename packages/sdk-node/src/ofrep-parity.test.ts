// The same answers from the server's OFREP endpoint and the Node SDK's local evaluation, for
// 1,000 contexts and flags using targets, rules, segments, semver, numbers and splits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from './client.js';
import { flavor, memoryLogger, newCheckout } from './testing/fixtures.js';
import { startFlagServer } from './testing/flag-server.js';
import type { FlagServer } from './testing/flag-server.js';

const COMPANIES = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', ''];
const COUNT = 1000;

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
    if (random() < 0.95) ctx.targetingKey = `user-${Math.floor(random() * 1_000_000)}`;
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

describe('OFREP and the Node SDK agree', () => {
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

  it('for 1,000 contexts on every flag', async () => {
    const list = contexts();
    const jobs = list.flatMap((context) => ['new-checkout', 'flavor', 'plan'].map((flag) => ({ flag, context })));
    const mismatches: unknown[] = [];
    const reasons = new Set<string>();
    let next = 0;
    async function worker(): Promise<void> {
      while (next < jobs.length) {
        const { flag, context } = jobs[next++]!;
        const res = await fetch(`${server.url}/ofrep/v1/evaluate/flags/${flag}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${server.clientKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ context }),
        });
        const body = (await res.json()) as Answer;
        const remote: Answer = res.status === 200 ? { value: body.value, variant: body.variant, reason: body.reason } : { errorCode: body.errorCode };
        const d = client.getDetails(flag, undefined, context);
        const local: Answer = d.errorCode === undefined ? { value: d.value, variant: d.variant, reason: d.reason } : { errorCode: d.errorCode };
        reasons.add(remote.reason ?? remote.errorCode ?? '?');
        try {
          expect(local).toEqual(remote);
        } catch {
          mismatches.push({ flag, context, local, remote, status: res.status });
        }
      }
    }
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(mismatches.slice(0, 5)).toEqual([]);
    // The contexts exercise every path, not one answer a thousand times.
    expect([...reasons].sort()).toEqual(['DEFAULT', 'SPLIT', 'TARGETING_KEY_MISSING', 'TARGETING_MATCH']);
  });
});
