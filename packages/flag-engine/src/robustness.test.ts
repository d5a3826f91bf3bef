import { describe, expect, it } from 'vitest';
import { compileRuleSet } from './evaluator.js';
import type { Evaluator } from './evaluator.js';
import { OPERATORS } from './types.js';
import type { RuleSet } from './types.js';

const KITCHEN_SINK: RuleSet = {
  version: '1',
  segments: [{ key: 'beta', conditions: [{ attribute: 'company', operator: 'in', values: ['acme'] }] }],
  flags: [
    {
      key: 'everything',
      variants: [
        { key: 'on', value: true },
        { key: 'off', value: false },
      ],
      environment: {
        enabled: true,
        offVariant: 'off',
        targets: [{ variant: 'on', values: ['vip'] }],
        rules: [
          { conditions: [{ attribute: 'company', operator: 'in_segment', values: ['beta'] }], serve: { variant: 'on' } },
          { conditions: [{ attribute: 'email', operator: 'matches', values: ['@acme\\.com$'] }], serve: { variant: 'on' } },
          { conditions: [{ attribute: 'age', operator: 'gte', values: [18] }], serve: { variant: 'on' } },
          { conditions: [{ attribute: 'signup', operator: 'lt', values: ['2024-01-01'] }], serve: { variant: 'on' } },
          { conditions: [{ attribute: 'app', operator: 'semver_range', values: ['^2.0.0'] }], serve: { variant: 'on' } },
          { conditions: [{ attribute: 'plan', operator: 'exists' }], serve: { split: [{ variant: 'on', weight: 50 }, { variant: 'off', weight: 50 }] } },
        ],
        defaultServe: { split: [{ variant: 'on', weight: 10 }, { variant: 'off', weight: 90 }] },
        prerequisites: [{ flag: 'gate', variant: 'open' }],
      },
    },
    {
      key: 'gate',
      variants: [
        { key: 'open', value: 'open' },
        { key: 'shut', value: 'shut' },
      ],
      environment: { enabled: true, rules: [{ conditions: [{ attribute: 'targetingKey', operator: 'exists' }], serve: { variant: 'open' } }], defaultServe: { variant: 'shut' } },
    },
  ],
};

const JUNK_VALUES: unknown[] = [
  null,
  undefined,
  0,
  -0,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '',
  'x'.repeat(1_000_000),
  '😀\ud800',
  true,
  [],
  ['acme'],
  {},
  { toString: () => 'acme' },
  () => 'acme',
  Symbol('s'),
  10n,
  new Date(Number.NaN),
  Object.create(null),
];

/** Asserts evaluation neither throws nor returns something outside the contract. */
function assertSane(evaluator: Evaluator, key: string, context: unknown): void {
  let result;
  expect(() => (result = evaluator.evaluate(key, context, 'default'))).not.toThrow();
  expect(result).toBeDefined();
  expect(['STATIC', 'DEFAULT', 'TARGETING_MATCH', 'SPLIT', 'DISABLED', 'ERROR']).toContain(result!['reason']);
}

describe('evaluation never throws', () => {
  const evaluator = compileRuleSet(KITCHEN_SINK);

  it('on junk contexts', () => {
    for (const context of JUNK_VALUES) assertSane(evaluator, 'everything', context);
  });

  it('on junk attribute values for every attribute an operator reads', () => {
    for (const value of JUNK_VALUES) {
      const context = { targetingKey: value, company: value, email: value, age: value, signup: value, app: value, plan: value };
      assertSane(evaluator, 'everything', context);
    }
  });

  it('on junk flag keys', () => {
    for (const key of JUNK_VALUES) {
      expect(evaluator.evaluate(key as string, {}).errorCode).toBe('FLAG_NOT_FOUND');
      expect(evaluator.has(key as string)).toBe(false);
    }
  });

  it('on contexts whose getters throw, or that are revoked proxies', () => {
    const hostile = Object.defineProperty({}, 'targetingKey', {
      get() {
        throw new Error('no');
      },
    });
    expect(evaluator.evaluate('everything', hostile, 'd')).toMatchObject({ value: 'd', errorCode: 'GENERAL' });
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(evaluator.evaluate('everything', proxy, 'd').errorCode).toMatch(/GENERAL|INVALID_CONTEXT/);
  });

  it('on a huge targeting key', () => {
    const r = evaluator.evaluate('everything', { targetingKey: 'k'.repeat(1_000_000) });
    expect(['SPLIT', 'TARGETING_MATCH']).toContain(r.reason);
  });
});

describe('compilation', () => {
  it('throws a TypeError only when the rule set itself is not one', () => {
    for (const junk of [null, undefined, 1, 'x', [], {}, { flags: 'x' }]) {
      expect(() => compileRuleSet(junk as unknown as RuleSet)).toThrow(TypeError);
    }
  });

  it('turns junk flags into PARSE_ERROR (or skips entries without a key) and never throws', () => {
    const junkFlags: unknown[] = [
      null,
      1,
      'x',
      [],
      {},
      { key: 'no-variants' },
      { key: 'no-env', variants: [{ key: 'a', value: 1 }] },
      { key: 'junk-env', variants: [{ key: 'a', value: 1 }], environment: 'on' },
      { key: 'junk-rules', variants: [{ key: 'a', value: 1 }], environment: { enabled: true, rules: [null], defaultServe: { variant: 'a' } } },
      { key: 'junk-split', variants: [{ key: 'a', value: 1 }], environment: { enabled: true, defaultServe: { split: [{ variant: 'a', weight: Number.NaN }] } } },
      { key: 'junk-prereq', variants: [{ key: 'a', value: 1 }], environment: { enabled: true, prerequisites: [null], defaultServe: { variant: 'a' } } },
      { key: 'cyclic-value', variants: [{ key: 'a', value: (() => { const o: Record<string, unknown> = {}; o['self'] = o; return o; })() }], environment: { enabled: true, defaultServe: { variant: 'a' } } },
    ];
    const evaluator = compileRuleSet({ flags: junkFlags as RuleSet['flags'], segments: [null, 1, { key: 's' }] as unknown as RuleSet['segments'] });
    expect(evaluator.keys()).toEqual(['no-variants', 'no-env', 'junk-env', 'junk-rules', 'junk-split', 'junk-prereq', 'cyclic-value']);
    for (const key of evaluator.keys()) {
      expect(evaluator.evaluate(key, {}, 0)).toMatchObject({ value: 0, reason: 'ERROR', errorCode: 'PARSE_ERROR' });
    }
  });

  it('survives random rule sets', () => {
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
    const scalar = () => pick<unknown>(['acme', 'globex', 1, 18, '2024-01-01', '1.2.3', '^1.0.0', '.*', '(', true, null, {}, 'beta', 'on', 'off']);
    for (let round = 0; round < 300; round++) {
      const condition = () => ({ attribute: pick(['company', 'age', 'targetingKey', 'app']), operator: pick([...OPERATORS, 'junk']), values: next() < 0.9 ? [scalar(), scalar()].slice(0, 1 + Math.floor(next() * 2)) : scalar() });
      const serve = () => (next() < 0.5 ? { variant: pick(['on', 'off', 'x']) } : { split: [{ variant: 'on', weight: pick([0, 25, 50, 33.33, -1]) }, { variant: 'off', weight: pick([100, 75, 50, 66.67]) }], stickiness: pick([undefined, 'company', '']) });
      const ruleSet = {
        segments: [{ key: 'beta', conditions: [condition()] }],
        flags: ['a', 'b', 'c'].map((key) => ({
          key,
          variants: [{ key: 'on', value: true }, { key: 'off', value: next() < 0.9 ? false : 'no' }],
          environment: {
            enabled: next() < 0.8,
            offVariant: pick([undefined, 'off', 'nope']),
            targets: [{ variant: 'on', values: ['u1'] }],
            rules: [{ conditions: [condition(), condition()], serve: serve() }],
            defaultServe: serve(),
            prerequisites: next() < 0.5 ? [{ flag: pick(['a', 'b', 'c']), variant: 'on' }] : [],
          },
        })),
      } as unknown as RuleSet;
      const evaluator = compileRuleSet(ruleSet);
      for (const key of ['a', 'b', 'c']) {
        for (const context of [{}, { targetingKey: 'u1', company: 'acme', age: 20, app: '1.5.0' }, { company: 7 }, null]) {
          assertSane(evaluator, key, context);
        }
      }
    }
  });
});
