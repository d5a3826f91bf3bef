// The generated code and the closures it replaces give the same answer — value, variant, reason,
// error, metadata — on random rule sets over every operator and on random, often odd, contexts.
import { afterEach, describe, expect, it } from 'vitest';
import { setCodeGeneration } from './codegen.js';
import { compileRuleSet } from './evaluator.js';
import { OPERATORS } from './types.js';
import type { RuleSet } from './types.js';

afterEach(() => setCodeGeneration(true));

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

const ATTRIBUTES = ['company', 'age', 'email', 'app', 'signup', 'targetingKey', 'plan', '__proto__', 'toString', 'a"b\u2028'];
const VALUES: unknown[] = ['acme', 'globex', 'ac', 'me', '', 1, 18, 18.5, -3, 0, '42', '2024-01-01', '2024-01-01T10:00:00+02:00', '1.2.3', '^1.0.0', '>=2.0.0 <3.0.0', '^a.*e$', '@x\\.com$', true, false, 'beta', 'vip'];
const CONTEXT_VALUES: unknown[] = ['acme', 'globex', 'xacme', '', 'u@x.com', 42, '42', 18, 18.5, 17.9, '18', ' 18', Number.NaN, Infinity, -0, true, false, null, undefined, '2023-06-01', '2025-01-01T00:00:00Z', new Date('2024-06-01T00:00:00Z'), '1.5.0', '2.3.4-rc.1', 'v2.0.0', {}, [], ['acme'], 'beta', 'vip', 'é'];

function randomRuleSet(random: () => number): RuleSet {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const values = () => Array.from({ length: 1 + Math.floor(random() * (random() < 0.2 ? 12 : 3)) }, () => pick(VALUES));
  const condition = () => {
    const operator = pick(OPERATORS);
    const single = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'semver_eq', 'semver_lt', 'semver_gt', 'semver_range'].includes(operator);
    return { attribute: pick(ATTRIBUTES), operator, values: operator === 'in_segment' ? [pick(['beta', 'staff'])] : single ? [pick(VALUES)] : values() };
  };
  const serve = () =>
    random() < 0.5
      ? { variant: pick(['on', 'off']) }
      : { split: [{ variant: 'on', weight: 33.33 }, { variant: 'off', weight: 66.67 }], ...(random() < 0.3 ? { stickiness: pick(['company', 'age', 'email']) } : {}) };
  return {
    segments: [
      { key: 'beta', conditions: [condition()] },
      { key: 'staff', conditions: [condition(), condition()] },
    ],
    flags: ['f0', 'f1', 'f2', 'f3'].map((key, i) => ({
      key,
      variants: [
        { key: 'on', value: i === 3 ? { on: true } : true },
        { key: 'off', value: i === 3 ? { on: false } : false },
      ],
      environment: {
        enabled: random() < 0.9,
        ...(random() < 0.7 ? { offVariant: 'off' } : {}),
        ...(random() < 0.3 ? { targets: [{ variant: pick(['on', 'off']), values: ['vip', '42', 'true'] }] } : {}),
        rules: Array.from({ length: Math.floor(random() * 5) }, (_, r) => ({
          ...(random() < 0.5 ? { id: `r${r}` } : {}),
          conditions: Array.from({ length: Math.floor(random() * 3) }, condition),
          serve: serve(),
        })),
        defaultServe: serve(),
        ...(i > 0 && random() < 0.3 ? { prerequisites: [{ flag: `f${i - 1}`, variant: 'on' }] } : {}),
      },
    })),
  } as RuleSet;
}

function randomContext(random: () => number): unknown {
  if (random() < 0.03) return pick(random, [null, [], 'ctx', 7]);
  const ctx: Record<string, unknown> = {};
  for (const attribute of ATTRIBUTES) if (random() < 0.6 && attribute !== '__proto__') ctx[attribute] = pick(random, CONTEXT_VALUES);
  return ctx;
}

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

describe('generated flag code', () => {
  it('agrees with the closures on 400 random rule sets × 50 contexts', () => {
    const random = prng(4242);
    let compared = 0;
    for (let round = 0; round < 400; round++) {
      const ruleSet = randomRuleSet(random);
      setCodeGeneration(true);
      const generated = compileRuleSet(ruleSet);
      setCodeGeneration(false);
      const closures = compileRuleSet(ruleSet);
      setCodeGeneration(true);
      for (let c = 0; c < 50; c++) {
        const context = randomContext(random);
        for (const key of ['f0', 'f1', 'f2', 'f3']) {
          for (const type of [undefined, 'boolean', 'object'] as const) {
            expect(generated.evaluate(key, context, 'dflt', type), `${key} ${JSON.stringify(context)}`).toEqual(closures.evaluate(key, context, 'dflt', type));
            compared++;
          }
        }
      }
    }
    expect(compared).toBe(400 * 50 * 4 * 3);
  });

  it('falls back to the closures where the runtime forbids generating code (a CSP)', () => {
    const original = globalThis.Function;
    let attempts = 0;
    globalThis.Function = function forbidden() {
      attempts++;
      throw new EvalError('Code generation from strings disallowed for this context');
    } as unknown as FunctionConstructor;
    try {
      setCodeGeneration(true); // check the runtime again
      const evaluator = compileRuleSet({
        flags: [
          {
            key: 'f',
            variants: [{ key: 'on', value: true }, { key: 'off', value: false }],
            environment: { enabled: true, rules: [{ conditions: [{ attribute: 'age', operator: 'gte', values: [18] }], serve: { variant: 'on' } }], defaultServe: { variant: 'off' } },
          },
        ],
      });
      expect(attempts).toBe(1);
      expect(evaluator.evaluate('f', { age: 18 }).value).toBe(true);
      expect(evaluator.evaluate('f', { age: 17 }).value).toBe(false);
    } finally {
      globalThis.Function = original;
    }
  });
});
