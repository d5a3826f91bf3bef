import { describe, expect, it } from 'vitest';
import type { EnvConfig, FlagDefinition, Segment, ValidationProblem } from './types.js';
import { validateFlagConfig, validateSegment, variantType } from './validate.js';

const FLAG: FlagDefinition = {
  key: 'new-checkout',
  type: 'release',
  variants: [
    { key: 'on', value: true },
    { key: 'off', value: false },
  ],
};

const SEGMENTS: Segment[] = [{ key: 'beta-companies', conditions: [{ attribute: 'company', operator: 'in', values: ['acme'] }] }];

const ENV: EnvConfig = {
  enabled: true,
  offVariant: 'off',
  targets: [{ variant: 'on', values: ['user-1'] }],
  rules: [
    { id: 'r1', conditions: [{ attribute: 'company', operator: 'in', values: ['acme', 'globex'] }], serve: { variant: 'on' } },
    { conditions: [{ attribute: '', operator: 'in_segment', values: ['beta-companies'] }], serve: { variant: 'on' } },
  ],
  defaultServe: { split: [{ variant: 'on', weight: 25 }, { variant: 'off', weight: 75 }], stickiness: 'targetingKey' },
  prerequisites: [{ flag: 'other-flag', variant: 'on' }],
};

/** Problems for ENV with one change, given as a function of a deep copy. */
function problemsWith(change: (env: Record<string, any>) => void, flag: FlagDefinition = FLAG): ValidationProblem[] {
  const env = structuredClone(ENV) as Record<string, any>;
  change(env);
  return validateFlagConfig(flag, env as EnvConfig, SEGMENTS);
}

function paths(problems: ValidationProblem[]): string[] {
  return problems.map((p) => p.path);
}

function condition(operator: string, values: unknown): Record<string, unknown> {
  return { attribute: 'a', operator, values };
}

describe('variantType', () => {
  it.each<[unknown, string | undefined]>([
    [true, 'boolean'],
    ['x', 'string'],
    [1.5, 'number'],
    [{ a: 1 }, 'object'],
    [[1, 2], 'object'],
    [null, undefined],
    [undefined, undefined],
    [Number.NaN, undefined],
    [Number.POSITIVE_INFINITY, undefined],
    [() => 1, undefined],
    [10n, undefined],
    [{ big: 10n }, undefined],
  ])('%s → %s', (value, expected) => {
    expect(variantType(value)).toBe(expected);
  });
});

describe('validateFlagConfig', () => {
  it('accepts the example configuration', () => {
    expect(validateFlagConfig(FLAG, ENV, SEGMENTS)).toEqual([]);
    expect(validateFlagConfig(FLAG)).toEqual([]);
  });

  it('requires variants of one type', () => {
    const flag = { ...FLAG, variants: [{ key: 'on', value: true }, { key: 'off', value: 'no' }] };
    const problems = validateFlagConfig(flag);
    expect(problems).toEqual([{ path: 'flag.variants[1].value', message: expect.stringContaining('share one type') }]);
  });

  it('accepts JSON variants mixing objects and arrays (both "object")', () => {
    expect(validateFlagConfig({ key: 'j', variants: [{ key: 'a', value: { x: 1 } }, { key: 'b', value: [1] }] })).toEqual([]);
  });

  it('requires unique variant keys and at least one variant', () => {
    const dup = { ...FLAG, variants: [{ key: 'on', value: true }, { key: 'on', value: false }] };
    expect(paths(validateFlagConfig(dup))).toEqual(['flag.variants[1].key']);
    expect(paths(validateFlagConfig({ ...FLAG, variants: [] }))).toEqual(['flag.variants']);
  });

  it('checks the flag key, kind and variant values', () => {
    const flag = { key: '', type: 'toggle', variants: [{ key: 'a', value: null }] } as unknown as FlagDefinition;
    expect(paths(validateFlagConfig(flag))).toEqual(['flag.key', 'flag.type', 'flag.variants[0].value']);
  });

  it('requires every referenced variant to exist', () => {
    const problems = problemsWith((env) => {
      env.offVariant = 'of';
      env.targets[0].variant = 'yes';
      env.rules[0].serve.variant = 'maybe';
      env.defaultServe.split[1].variant = 'nope';
    });
    expect(paths(problems)).toEqual([
      'environment.offVariant',
      'environment.targets[0].variant',
      'environment.rules[0].serve.variant',
      'environment.defaultServe.split[1].variant',
    ]);
    expect(problems[0]?.message).toBe('variant "of" does not exist; the flag has on, off');
  });

  it('requires split weights to be numbers ≥ 0 with at most two decimals adding up to exactly 100', () => {
    const split = (...weights: unknown[]) =>
      problemsWith((env) => {
        env.defaultServe.split = weights.map((weight, i) => ({ variant: i % 2 ? 'off' : 'on', weight }));
      });
    expect(split(33.33, 33.33, 33.34)).toEqual([]);
    expect(split(0, 100)).toEqual([]);
    expect(split(0.1, 99.9)).toEqual([]);
    expect(split(25, 74.99)).toEqual([{ path: 'environment.defaultServe.split', message: 'weights add up to 99.99, not 100' }]);
    expect(split(50, 51)).toEqual([{ path: 'environment.defaultServe.split', message: 'weights add up to 101, not 100' }]);
    expect(paths(split(-5, 105))).toEqual(['environment.defaultServe.split[0].weight']);
    expect(paths(split('25', 75))).toEqual(['environment.defaultServe.split[0].weight']);
    expect(split(25.001, 74.999)).toEqual([
      { path: 'environment.defaultServe.split[0].weight', message: '25.001 has more than two decimals' },
      { path: 'environment.defaultServe.split[1].weight', message: '74.999 has more than two decimals' },
    ]);
    expect(paths(split())).toEqual(['environment.defaultServe.split']);
  });

  it('requires a serve to be a variant or a split, not both or neither', () => {
    expect(paths(problemsWith((env) => (env.defaultServe = { variant: 'on', split: [] })))).toEqual(['environment.defaultServe']);
    expect(paths(problemsWith((env) => (env.defaultServe = {})))).toEqual(['environment.defaultServe']);
    expect(paths(problemsWith((env) => delete env.defaultServe))).toEqual(['environment.defaultServe']);
    expect(paths(problemsWith((env) => (env.defaultServe.stickiness = '')))).toEqual(['environment.defaultServe.stickiness']);
  });

  it('rejects unknown operators', () => {
    const problems = problemsWith((env) => (env.rules[0].conditions[0].operator = 'between'));
    expect(paths(problems)).toEqual(['environment.rules[0].conditions[0].operator']);
    expect(problems[0]?.message).toContain('unknown operator "between"');
  });

  it('requires values arrays (except for exists), and single values where one is meant', () => {
    const check = (c: Record<string, unknown>) => paths(problemsWith((env) => (env.rules[0].conditions = [c])));
    expect(check({ attribute: 'a', operator: 'in' })).toEqual(['environment.rules[0].conditions[0].values']);
    expect(check(condition('in', []))).toEqual(['environment.rules[0].conditions[0].values']);
    expect(check(condition('in', 'acme'))).toEqual(['environment.rules[0].conditions[0].values']);
    expect(check(condition('in', [{}]))).toEqual(['environment.rules[0].conditions[0].values[0]']);
    expect(check(condition('eq', ['a', 'b']))).toEqual(['environment.rules[0].conditions[0].values']);
    expect(check({ attribute: 'a', operator: 'exists' })).toEqual([]);
    expect(check({ attribute: 'a', operator: 'exists', values: 'x' })).toEqual(['environment.rules[0].conditions[0].values']);
    expect(check({ operator: 'eq', values: ['x'] })).toEqual(['environment.rules[0].conditions[0].attribute']);
  });

  it('requires regular expressions that compile and are at most 256 characters', () => {
    const check = (pattern: string) => problemsWith((env) => (env.rules[0].conditions = [condition('matches', [pattern])]));
    expect(check('^user-\\d+$')).toEqual([]);
    expect(check('a'.repeat(256))).toEqual([]);
    const long = check('a'.repeat(257));
    expect(long[0]?.message).toContain('257 characters');
    const broken = check('([a-z]');
    expect(paths(broken)).toEqual(['environment.rules[0].conditions[0].values[0]']);
    expect(broken[0]?.message).toContain('does not compile');
    // RE2 syntax: no backreferences, no lookaround (they are what needs backtracking).
    expect(check('(a)\\1')[0]?.message).toContain('does not compile');
    expect(check('foo(?=bar)')[0]?.message).toContain('does not compile');
    // Linear time is proportional to the program too: huge counted repetitions are refused.
    expect(check('[a-z]{0,1000}[a-z]{0,1000}[0-9]')[0]?.message).toContain('too complex');
    expect(check('[a-z]{0,200}[0-9]')).toEqual([]);
  });

  it('requires numbers or ISO dates for comparisons', () => {
    const check = (value: unknown) => paths(problemsWith((env) => (env.rules[0].conditions = [condition('lt', [value])])));
    expect(check(18)).toEqual([]);
    expect(check('18')).toEqual([]);
    expect(check('2025-01-31')).toEqual([]);
    expect(check('2025-01-31T12:00:00+01:00')).toEqual([]);
    expect(check('soon')).toEqual(['environment.rules[0].conditions[0].values[0]']);
    expect(check('2025-02-30')).toEqual(['environment.rules[0].conditions[0].values[0]']);
  });

  it('requires valid semantic versions and ranges', () => {
    const check = (operator: string, value: unknown) =>
      paths(problemsWith((env) => (env.rules[0].conditions = [condition(operator, [value])])));
    expect(check('semver_eq', '1.2.3')).toEqual([]);
    expect(check('semver_lt', 'v2.0.0-rc.1')).toEqual([]);
    expect(check('semver_gt', '1.2')).toEqual(['environment.rules[0].conditions[0].values[0]']);
    expect(check('semver_eq', 123)).toEqual(['environment.rules[0].conditions[0].values[0]']);
    for (const range of ['>=1.2.0 <2.0.0', '^1.2.0', '~1.2.0', '1.x', '^1.0.0 || ^2.0.0']) expect(check('semver_range', range)).toEqual([]);
    expect(check('semver_range', 'newest')).toEqual(['environment.rules[0].conditions[0].values[0]']);
  });

  it('requires referenced segments to exist (when segments are given)', () => {
    const env = structuredClone(ENV);
    (env.rules?.[1]?.conditions[0]?.values as string[]).push('gamma-users');
    expect(validateFlagConfig(FLAG, env, SEGMENTS)).toEqual([
      { path: 'environment.rules[1].conditions[0].values[1]', message: 'segment "gamma-users" does not exist' },
    ]);
    expect(validateFlagConfig(FLAG, env)).toEqual([]);
  });

  it('requires prerequisites to name another flag and a variant', () => {
    const problems = problemsWith((env) => {
      env.prerequisites = [{ flag: 'new-checkout', variant: 'on' }, { flag: '', variant: 'on' }, { flag: 'x' }];
    });
    expect(problems).toEqual([
      { path: 'environment.prerequisites[0].flag', message: 'a flag cannot be its own prerequisite' },
      { path: 'environment.prerequisites[1].flag', message: 'must be the key of another flag' },
      { path: 'environment.prerequisites[2].variant', message: 'must be the key of a variant of that flag' },
    ]);
  });

  it('checks enabled, targets and rules shapes', () => {
    const problems = problemsWith((env) => {
      env.enabled = 'yes';
      env.targets = [{ variant: 'on', values: ['u', 7] }];
      env.rules = [{ id: 3, conditions: {}, serve: { variant: 'on' } }];
    });
    expect(paths(problems)).toEqual([
      'environment.enabled',
      'environment.targets[0].values[1]',
      'environment.rules[0].id',
      'environment.rules[0].conditions',
    ]);
  });

  it('reports several problems at once', () => {
    const problems = problemsWith((env) => {
      env.offVariant = 'x';
      env.rules[0].conditions[0].operator = 'like';
      env.defaultServe.split[0].weight = 20;
    });
    expect(paths(problems)).toEqual(['environment.offVariant', 'environment.rules[0].conditions[0].operator', 'environment.defaultServe.split']);
  });

  it('never throws on junk', () => {
    const junk: unknown[] = [null, undefined, 0, 'x', [], {}, [null], { variants: 'x' }, { rules: [null, 1, 'a'] }, { defaultServe: { split: [null] } }];
    for (const a of junk) {
      for (const b of junk) {
        expect(() => validateFlagConfig(a as FlagDefinition, b as EnvConfig, b as Segment[])).not.toThrow();
      }
    }
    expect(paths(validateFlagConfig(null as unknown as FlagDefinition, null))).toEqual(['flag', 'environment']);
  });
});

describe('validateSegment', () => {
  it('accepts a valid segment', () => {
    expect(validateSegment(SEGMENTS[0] as Segment)).toEqual([]);
    expect(validateSegment({ key: 'all', conditions: [] })).toEqual([]);
  });

  it('rejects a missing key, bad conditions, and segments inside segments', () => {
    const segment = {
      key: '',
      conditions: [condition('in_segment', ['other']), condition('nope', ['x']), condition('matches', ['('])],
    } as unknown as Segment;
    expect(paths(validateSegment(segment))).toEqual([
      'segment.key',
      'segment.conditions[0].operator',
      'segment.conditions[1].operator',
      'segment.conditions[2].values[0]',
    ]);
  });

  it('never throws on junk', () => {
    for (const junk of [null, 1, 'x', [], { conditions: [null] }]) {
      expect(() => validateSegment(junk as unknown as Segment)).not.toThrow();
      expect(validateSegment(junk as unknown as Segment).length).toBeGreaterThan(0);
    }
  });
});
