// Seed 002's backend pattern: @requireFlag on the new implementation, @fallback on the legacy one
// (TypeScript standard decorators), and flags.when(...) — deciding per call, by the flag's rules
// for that call's user, never throwing, never waiting for a server.
import { describe, expect, it } from 'vitest';
import { SlipwayClient } from './client.js';
import { memoryLogger } from './testing/fixtures.js';

interface Query {
  user: string;
  company: string;
  text: string;
}

function client(): SlipwayClient {
  return new SlipwayClient({
    offline: true,
    logger: memoryLogger(),
    bootstrap: {
      flags: [
        {
          key: 'new_query_engine',
          variants: [
            { key: 'on', value: true },
            { key: 'off', value: false },
          ],
          environment: {
            enabled: true,
            offVariant: 'off',
            targets: [{ variant: 'off', values: ['opted-out'] }],
            rules: [{ conditions: [{ attribute: 'company', operator: 'in', values: ['acme'] }], serve: { variant: 'on' } }],
            defaultServe: { variant: 'off' },
          },
        },
        { key: 'flavor', variants: [{ key: 'eu', value: 'eu' }], environment: { enabled: true, defaultServe: { variant: 'eu' } } },
      ],
    },
  });
}

describe('flag gates', () => {
  it('route a decorated method to its @fallback while the flag is off for the caller', async () => {
    const slipway = client();
    class QueryService {
      readonly engine = 'v2';
      @slipway.requireFlag('new_query_engine', { context: (q: Query) => ({ targetingKey: q.user, company: q.company }) })
      async processQuery(q: Query): Promise<string> {
        return `${this.engine}:${q.text}`;
      }

      @slipway.fallback('new_query_engine')
      async processQueryLegacy(q: Query): Promise<string> {
        return `legacy:${q.text}`;
      }
    }
    const service = new QueryService();
    expect(await service.processQuery({ user: 'u1', company: 'acme', text: 'a' })).toBe('v2:a');
    expect(await service.processQuery({ user: 'u2', company: 'globex', text: 'b' })).toBe('legacy:b');
    expect(await service.processQuery({ user: 'opted-out', company: 'acme', text: 'c' })).toBe('legacy:c');
    // The fallback stays an ordinary method.
    expect(await service.processQueryLegacy({ user: 'u1', company: 'acme', text: 'd' })).toBe('legacy:d');
  });

  it('take a fallback by name or function, and answer undefined without one', () => {
    const slipway = client();
    class Service {
      @slipway.requireFlag('new_query_engine', { context: (company: string) => ({ company }), fallback: 'old' })
      run(company: string): string {
        return `new for ${company}`;
      }
      old(company: string): string {
        return `old for ${company}`;
      }
      @slipway.requireFlag('new_query_engine', { context: (company: string) => ({ company }), fallback: (company: string) => `fn for ${company}` })
      viaFunction(company: string): string {
        return `new for ${company}`;
      }
      @slipway.requireFlag('new_query_engine', { context: (company: string) => ({ company }) })
      unguarded(company: string): string | undefined {
        return `new for ${company}`;
      }
    }
    const s = new Service();
    expect([s.run('acme'), s.run('hooli')]).toEqual(['new for acme', 'old for hooli']);
    expect([s.viaFunction('acme'), s.viaFunction('hooli')]).toEqual(['new for acme', 'fn for hooli']);
    expect([s.unguarded('acme'), s.unguarded('hooli')]).toEqual(['new for acme', undefined]);
  });

  it('never throw or block: a missing flag, a wrong type, a failing context, no rule set', () => {
    const slipway = client();
    const logger = memoryLogger();
    const unready = new SlipwayClient({ url: 'http://127.0.0.1:9', sdkKey: 'sdk-srv-x', logger, readyTimeoutMs: 1 });
    try {
      const pick = (c: SlipwayClient, flag: string) =>
        c.when(flag, (_company: string) => 'new', (_company: string) => 'legacy', {
          context: (company: string) => {
            if (company === 'boom') throw new Error('no such user');
            return { company };
          },
        });
      expect(pick(slipway, 'new_query_engine')('acme')).toBe('new');
      expect(pick(slipway, 'new_query_engine')('boom')).toBe('legacy');
      expect(pick(slipway, 'ghost')('acme')).toBe('legacy');
      expect(pick(slipway, 'flavor')('acme')).toBe('legacy'); // a string flag is not a boolean
      expect(pick(unready, 'new_query_engine')('acme')).toBe('legacy');
      expect(slipway.when('new_query_engine', () => 1, () => 2, { defaultValue: true })()).toBe(2); // no context: the rule does not match
      expect(slipway.isEnabled('new_query_engine', { company: 'acme' })).toBe(true);
    } finally {
      unready.close();
    }
  });

  it('treat a targeting key that is not a string as the server does: INVALID_CONTEXT', () => {
    const slipway = client();
    for (const targetingKey of [42, true, null, { id: 1 }, ['u']]) {
      const d = slipway.getDetails('new_query_engine', false, { targetingKey, company: 'acme' } as never);
      expect(d).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'INVALID_CONTEXT' });
      expect(slipway.getBooleanValue('new_query_engine', false, { targetingKey, company: 'acme' } as never)).toBe(false);
    }
    // Whatever the flag: the context is refused first, as OFREP does.
    expect(slipway.getDetails('ghost', 'x', { targetingKey: 7 } as never).errorCode).toBe('INVALID_CONTEXT');
    // A null context is no context, as in an OFREP body.
    expect(slipway.getDetails('new_query_engine', true, null as never)).toMatchObject({ value: false, variant: 'off' });
  });
});
