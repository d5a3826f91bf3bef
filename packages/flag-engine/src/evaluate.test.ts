import { describe, expect, it } from 'vitest';
import { compileRuleSet, MAX_PREREQUISITE_DEPTH } from './evaluator.js';
import { bucketFor } from './murmur3.js';
import type { EnvConfig, RuleSetFlag, Variant } from './types.js';

const BOOL: Variant[] = [
  { key: 'on', value: true },
  { key: 'off', value: false },
];

function flag(key: string, environment: EnvConfig, variants: Variant[] = BOOL): RuleSetFlag {
  return { key, type: 'release', variants, environment };
}

function single(environment: EnvConfig, variants: Variant[] = BOOL) {
  return compileRuleSet({ flags: [flag('f', environment, variants)], segments: [] });
}

const ACME_RULE = { id: 'acme', conditions: [{ attribute: 'company', operator: 'in' as const, values: ['acme', 'globex'] }], serve: { variant: 'on' } };

/** A targeting key that lands in the first `percent` of buckets of flag `key`, or beyond it. */
function keyInside(key: string, percent: number, inside: boolean): string {
  for (let i = 0; ; i++) {
    const candidate = `user-${i}`;
    if (bucketFor(key, candidate) < percent * 100 === inside) return candidate;
  }
}

describe('precedence', () => {
  const env: EnvConfig = {
    enabled: true,
    offVariant: 'off',
    targets: [{ variant: 'off', values: ['vip-1'] }],
    rules: [ACME_RULE, { id: 'eu', conditions: [{ attribute: 'region', operator: 'eq', values: ['eu'] }], serve: { variant: 'off' } }],
    defaultServe: { variant: 'off' },
  };

  it('serves the off variant with DISABLED when the flag is disabled, whatever else matches', () => {
    const r = single({ ...env, enabled: false }).evaluate('f', { targetingKey: 'vip-1', company: 'acme' });
    expect(r).toEqual({ value: false, variant: 'off', reason: 'DISABLED' });
  });

  it("serves the caller's default with DISABLED when disabled without an off variant", () => {
    const { offVariant: _, ...withoutOff } = env;
    const r = single({ ...withoutOff, enabled: false }).evaluate('f', { company: 'acme' }, true);
    expect(r).toEqual({ value: true, reason: 'DISABLED' });
  });

  it('lets individual targets win over rules', () => {
    const r = single(env).evaluate('f', { targetingKey: 'vip-1', company: 'acme' });
    expect(r).toEqual({ value: false, variant: 'off', reason: 'TARGETING_MATCH' });
  });

  it('matches targets on the targeting key as a string', () => {
    const e = single({ ...env, targets: [{ variant: 'on', values: ['42'] }] });
    expect(e.evaluate('f', { targetingKey: 42 }).variant).toBe('on');
    expect(e.evaluate('f', { targetingKey: '42' }).variant).toBe('on');
  });

  it('lets the first listing of a targeting key win', () => {
    const e = single({ ...env, targets: [{ variant: 'on', values: ['u'] }, { variant: 'off', values: ['u'] }] });
    expect(e.evaluate('f', { targetingKey: 'u' }).variant).toBe('on');
  });

  it('applies rules in order, the first match winning, with the rule id as metadata', () => {
    const e = single(env);
    expect(e.evaluate('f', { targetingKey: 'u', company: 'acme', region: 'eu' })).toEqual({
      value: true,
      variant: 'on',
      reason: 'TARGETING_MATCH',
      flagMetadata: { ruleId: 'acme' },
    });
    expect(e.evaluate('f', { company: 'initech', region: 'eu' }).flagMetadata).toEqual({ ruleId: 'eu' });
  });

  it('requires every condition of a rule', () => {
    const e = single({
      enabled: true,
      rules: [
        {
          conditions: [
            { attribute: 'company', operator: 'eq', values: ['acme'] },
            { attribute: 'plan', operator: 'eq', values: ['pro'] },
          ],
          serve: { variant: 'on' },
        },
      ],
      defaultServe: { variant: 'off' },
    });
    expect(e.evaluate('f', { company: 'acme', plan: 'pro' }).variant).toBe('on');
    expect(e.evaluate('f', { company: 'acme', plan: 'free' }).variant).toBe('off');
  });

  it('falls back to the default serve with DEFAULT', () => {
    expect(single(env).evaluate('f', { company: 'initech' })).toEqual({ value: false, variant: 'off', reason: 'DEFAULT' });
  });

  it('answers STATIC for a flag without targets, rules or prerequisites', () => {
    const e = single({ enabled: true, targets: [{ variant: 'on', values: [] }], rules: [], defaultServe: { variant: 'on' } });
    expect(e.evaluate('f', { anything: 1 })).toEqual({ value: true, variant: 'on', reason: 'STATIC' });
    expect(e.evaluate('f')).toEqual({ value: true, variant: 'on', reason: 'STATIC' });
  });

  it('treats a rule without conditions as matching everyone', () => {
    const e = single({ enabled: true, rules: [{ conditions: [], serve: { variant: 'on' } }], defaultServe: { variant: 'off' } });
    expect(e.evaluate('f', {}).reason).toBe('TARGETING_MATCH');
  });
});

describe('percentage splits', () => {
  const rollout: EnvConfig = {
    enabled: true,
    offVariant: 'off',
    rules: [ACME_RULE],
    defaultServe: {
      split: [
        { variant: 'on', weight: 25 },
        { variant: 'off', weight: 75 },
      ],
      stickiness: 'targetingKey',
    },
  };

  it('serves "on for acme and globex, else 25 % by targeting key"', () => {
    const e = single(rollout);
    expect(e.evaluate('f', { targetingKey: keyInside('f', 25, false), company: 'acme' }).reason).toBe('TARGETING_MATCH');
    expect(e.evaluate('f', { targetingKey: keyInside('f', 25, true) })).toEqual({ value: true, variant: 'on', reason: 'SPLIT' });
    expect(e.evaluate('f', { targetingKey: keyInside('f', 25, false) })).toEqual({ value: false, variant: 'off', reason: 'SPLIT' });
  });

  it('buckets exactly as bucketFor says, in listed order', () => {
    const e = single(rollout);
    for (let i = 0; i < 2000; i++) {
      const key = `k${i}`;
      expect(e.evaluate('f', { targetingKey: key }).variant).toBe(bucketFor('f', key) < 2500 ? 'on' : 'off');
    }
  });

  it('keeps everyone who had the feature at 5 % when raised to 25 %', () => {
    const at = (weight: number) =>
      single({ ...rollout, defaultServe: { split: [{ variant: 'on', weight }, { variant: 'off', weight: 100 - weight }] } });
    const five = at(5);
    const twentyFive = at(25);
    let on = 0;
    for (let i = 0; i < 10_000; i++) {
      const ctx = { targetingKey: `user-${i}` };
      if (five.evaluate('f', ctx).value === true) {
        on++;
        expect(twentyFive.evaluate('f', ctx).value).toBe(true);
      }
    }
    expect(on).toBeGreaterThan(400);
  });

  it('honours two-decimal weights and zero weights', () => {
    const e = single({
      enabled: true,
      defaultServe: { split: [{ variant: 'on', weight: 0.01 }, { variant: 'off', weight: 99.99 }] },
    });
    for (let i = 0; i < 3000; i++) {
      const key = `u${i}`;
      expect(e.evaluate('f', { targetingKey: key }).variant).toBe(bucketFor('f', key) < 1 ? 'on' : 'off');
    }
    const zero = single({ enabled: true, defaultServe: { split: [{ variant: 'on', weight: 0 }, { variant: 'off', weight: 100 }] } });
    for (let i = 0; i < 1000; i++) expect(zero.evaluate('f', { targetingKey: `u${i}` }).variant).toBe('off');
  });

  it('splits on another attribute when stickiness says so, and inside a rule', () => {
    const e = single({
      enabled: true,
      rules: [{ id: 'r', conditions: [], serve: { split: [{ variant: 'on', weight: 50 }, { variant: 'off', weight: 50 }], stickiness: 'company' } }],
      defaultServe: { variant: 'off' },
    });
    const r = e.evaluate('f', { company: 'acme' });
    expect(r.reason).toBe('SPLIT');
    expect(r.variant).toBe(bucketFor('f', 'acme') < 5000 ? 'on' : 'off');
    expect(r.flagMetadata).toEqual({ ruleId: 'r' });
    expect(e.evaluate('f', { company: 42 }).variant).toBe(bucketFor('f', 42) < 5000 ? 'on' : 'off');
  });

  it("answers TARGETING_KEY_MISSING with the caller's default when the stickiness attribute is absent", () => {
    const e = single(rollout);
    for (const ctx of [{}, { targetingKey: '' }, { targetingKey: null }, { targetingKey: { id: 1 } }]) {
      const r = e.evaluate('f', ctx, true);
      expect(r).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'TARGETING_KEY_MISSING' });
      expect(r.variant).toBeUndefined();
    }
    // A rule with a fixed variant does not need the key.
    expect(e.evaluate('f', { company: 'acme' }).variant).toBe('on');
  });
});

describe('prerequisites', () => {
  const parent = (enabled: boolean, serve = 'on') => flag('parent', { enabled, offVariant: 'off', defaultServe: { variant: serve } });
  const child = (offVariant: string | null = 'off') =>
    flag('child', {
      enabled: true,
      ...(offVariant === null ? {} : { offVariant }),
      prerequisites: [{ flag: 'parent', variant: 'on' }],
      defaultServe: { variant: 'on' },
    });

  it('goes on to targeting when every prerequisite serves the required variant', () => {
    const e = compileRuleSet({ flags: [child(), parent(true)], segments: [] });
    expect(e.evaluate('child', {})).toEqual({ value: true, variant: 'on', reason: 'DEFAULT' });
  });

  it('serves the off variant with DEFAULT and names the failed prerequisite', () => {
    const e = compileRuleSet({ flags: [parent(true, 'off'), child()], segments: [] });
    expect(e.evaluate('child', {})).toEqual({
      value: false,
      variant: 'off',
      reason: 'DEFAULT',
      flagMetadata: { prerequisiteFailed: 'parent' },
    });
  });

  it('fails when the prerequisite is disabled and serves another variant, or is missing', () => {
    expect(compileRuleSet({ flags: [parent(false), child()] }).evaluate('child', {}).flagMetadata).toEqual({ prerequisiteFailed: 'parent' });
    expect(compileRuleSet({ flags: [child()] }).evaluate('child', {}).flagMetadata).toEqual({ prerequisiteFailed: 'parent' });
  });

  it("serves the caller's default when there is no off variant", () => {
    const e = compileRuleSet({ flags: [parent(true, 'off'), child(null)] });
    expect(e.evaluate('child', {}, 'fallback')).toEqual({ value: 'fallback', reason: 'DEFAULT', flagMetadata: { prerequisiteFailed: 'parent' } });
  });

  it('evaluates prerequisites with the same context', () => {
    const targeted = flag('parent', { enabled: true, rules: [ACME_RULE], defaultServe: { variant: 'off' } });
    const e = compileRuleSet({ flags: [targeted, child()] });
    expect(e.evaluate('child', { company: 'acme' }).variant).toBe('on');
    expect(e.evaluate('child', { company: 'initech' }).variant).toBe('off');
  });

  it('fails when a prerequisite errors (its split lacks the targeting key)', () => {
    const split = flag('parent', { enabled: true, defaultServe: { split: [{ variant: 'on', weight: 100 }, { variant: 'off', weight: 0 }] } });
    const e = compileRuleSet({ flags: [split, child()] });
    expect(e.evaluate('child', {}).flagMetadata).toEqual({ prerequisiteFailed: 'parent' });
    expect(e.evaluate('child', { targetingKey: 'u' }).variant).toBe('on');
  });

  it('turns a cycle into ERROR/GENERAL for the flags on it, and a failed prerequisite for those depending on it', () => {
    const on = (key: string, ...prereqs: string[]) =>
      flag(key, { enabled: true, offVariant: 'off', prerequisites: prereqs.map((p) => ({ flag: p, variant: 'on' })), defaultServe: { variant: 'on' } });
    const e = compileRuleSet({ flags: [on('a', 'b'), on('b', 'c'), on('c', 'a'), on('d', 'a'), on('e')] });
    for (const key of ['a', 'b', 'c']) {
      expect(e.evaluate(key, {}, false)).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'GENERAL' });
    }
    expect(e.evaluate('d', {})).toMatchObject({ variant: 'off', flagMetadata: { prerequisiteFailed: 'a' } });
    expect(e.evaluate('e', {}).variant).toBe('on');
  });

  it('finds every flag of a cycle, whatever the visiting order', () => {
    const on = (key: string, ...prereqs: string[]) =>
      flag(key, { enabled: true, offVariant: 'off', prerequisites: prereqs.map((p) => ({ flag: p, variant: 'on' })), defaultServe: { variant: 'on' } });
    // a→b→a, and c lies on a→c→b→a, reached after b has been finished.
    const e = compileRuleSet({ flags: [on('a', 'b', 'c'), on('b', 'a'), on('c', 'b')] });
    for (const key of ['a', 'b', 'c']) expect(e.evaluate(key, {}).errorCode).toBe('GENERAL');
  });

  it('ignores prerequisites of a disabled flag, so a cycle through it is harmless', () => {
    const e = compileRuleSet({
      flags: [
        flag('a', { enabled: false, offVariant: 'off', prerequisites: [{ flag: 'b', variant: 'on' }], defaultServe: { variant: 'on' } }),
        flag('b', { enabled: true, offVariant: 'off', prerequisites: [{ flag: 'a', variant: 'off' }], defaultServe: { variant: 'on' } }),
      ],
    });
    expect(e.evaluate('a', {}).reason).toBe('DISABLED');
    expect(e.evaluate('b', {}).variant).toBe('on');
  });

  it('limits chains to MAX_PREREQUISITE_DEPTH and never overflows the stack', () => {
    const n = 10_000;
    const flags = Array.from({ length: n }, (_, i) =>
      flag(`f${i}`, {
        enabled: true,
        offVariant: 'off',
        prerequisites: i + 1 < n ? [{ flag: `f${i + 1}`, variant: 'on' }] : [],
        defaultServe: { variant: 'on' },
      }),
    );
    const e = compileRuleSet({ flags });
    const deepest = n - MAX_PREREQUISITE_DEPTH;
    expect(e.evaluate(`f${deepest}`, {}).variant).toBe('on'); // exactly the maximum depth
    expect(e.evaluate(`f${deepest - 1}`, {})).toMatchObject({ reason: 'ERROR', errorCode: 'GENERAL' });
    expect(e.evaluate(`f${deepest - 2}`, {}).flagMetadata).toEqual({ prerequisiteFailed: `f${deepest - 1}` });
    expect(e.evaluate('f0', {}).reason).not.toBe(undefined);
  });
});

describe('error codes', () => {
  const e = compileRuleSet({
    version: 'v42',
    flags: [
      flag('bool', { enabled: true, rules: [ACME_RULE], defaultServe: { variant: 'off' } }),
      flag('text', { enabled: true, defaultServe: { variant: 'a' } }, [{ key: 'a', value: 'alpha' }]),
      flag('json', { enabled: true, defaultServe: { variant: 'a' } }, [{ key: 'a', value: { limit: 5, tags: ['x'] } }]),
      flag('broken', { enabled: true, defaultServe: { variant: 'missing' } }),
    ],
    segments: [],
  });

  it('FLAG_NOT_FOUND', () => {
    expect(e.evaluate('nope', {}, 'd')).toEqual({ value: 'd', reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND', errorMessage: 'flag "nope" not found' });
    expect(e.evaluate('nope', {}).value).toBeUndefined();
  });

  it('TYPE_MISMATCH returns the default; a matching type returns the value', () => {
    expect(e.evaluate('bool', {}, 'x', 'string')).toMatchObject({ value: 'x', reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
    expect(e.evaluate('text', {}, 0, 'number')).toMatchObject({ value: 0, errorCode: 'TYPE_MISMATCH' });
    expect(e.evaluate('bool', {}, true, 'boolean')).toEqual({ value: false, variant: 'off', reason: 'DEFAULT' });
    expect(e.evaluate('text', {}, '', 'string').value).toBe('alpha');
    expect(e.evaluate('json', {}, {}, 'object').value).toEqual({ limit: 5, tags: ['x'] });
  });

  it('INVALID_CONTEXT for anything but an object (undefined counts as empty)', () => {
    for (const ctx of [null, [], ['a'], 42, 'user-1', true, () => ({})]) {
      expect(e.evaluate('bool', ctx, true)).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'INVALID_CONTEXT' });
    }
    expect(e.evaluate('bool', undefined).reason).toBe('DEFAULT');
  });

  it('PARSE_ERROR for a flag that fails validation, without affecting the others', () => {
    const r = e.evaluate('broken', {}, true);
    expect(r).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'PARSE_ERROR' });
    expect(r.errorMessage).toContain('environment.defaultServe.variant');
    expect(e.evaluate('text', {}).value).toBe('alpha');
  });

  it('PARSE_ERROR for a flag using an invalid segment', () => {
    const bad = compileRuleSet({
      flags: [flag('f', { enabled: true, rules: [{ conditions: [{ attribute: '', operator: 'in_segment', values: ['s'] }], serve: { variant: 'on' } }], defaultServe: { variant: 'off' } })],
      segments: [{ key: 's', conditions: [{ attribute: 'a', operator: 'bogus' as never, values: ['x'] }] }],
    });
    const r = bad.evaluate('f', {});
    expect(r.errorCode).toBe('PARSE_ERROR');
    expect(r.errorMessage).toContain('segment "s"');
  });

  it('GENERAL when reading the context throws', () => {
    const hostile = {
      get company(): string {
        throw new Error('boom');
      },
    };
    expect(e.evaluate('bool', hostile, false)).toMatchObject({ value: false, errorCode: 'GENERAL' });
  });
});

describe('the evaluator', () => {
  const e = compileRuleSet({
    version: 'v7',
    flags: [flag('b', { enabled: true, defaultServe: { variant: 'on' } }), flag('a', { enabled: false, offVariant: 'off', defaultServe: { variant: 'on' } })],
  });

  it('exposes version, keys (in rule-set order) and has', () => {
    expect(e.version).toBe('v7');
    expect(e.keys()).toEqual(['b', 'a']);
    expect(e.has('a')).toBe(true);
    expect(e.has('c')).toBe(false);
  });

  it('evaluates every flag at once', () => {
    const all = e.evaluateAll({ targetingKey: 'u' });
    expect([...all.keys()]).toEqual(['b', 'a']);
    expect(all.get('b')?.reason).toBe('STATIC');
    expect(all.get('a')?.reason).toBe('DISABLED');
    expect(e.evaluateAll(null).get('b')?.errorCode).toBe('INVALID_CONTEXT');
  });

  it('shares frozen results between calls, so warm evaluation allocates nothing', () => {
    const first = e.evaluate('b', { targetingKey: 'x' });
    expect(e.evaluate('b', { targetingKey: 'y' })).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('keeps its own deep-frozen copy of JSON variant values', () => {
    const value = { limit: 5, nested: { on: true } };
    const json = compileRuleSet({ flags: [flag('j', { enabled: true, defaultServe: { variant: 'v' } }, [{ key: 'v', value }])] });
    value.limit = 6;
    const served = json.evaluate('j', {}).value as { limit: number; nested: { on: boolean } };
    expect(served.limit).toBe(5);
    expect(Object.isFrozen(served.nested)).toBe(true);
  });

  it('lets the first of two flags with the same key win', () => {
    const dup = compileRuleSet({
      flags: [flag('x', { enabled: true, defaultServe: { variant: 'on' } }), flag('x', { enabled: true, defaultServe: { variant: 'off' } })],
    });
    expect(dup.evaluate('x', {}).variant).toBe('on');
  });
});
