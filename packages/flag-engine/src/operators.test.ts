import { describe, expect, it } from 'vitest';
import { compileRuleSet } from './evaluator.js';
import type { Condition, ConditionValue, Operator, Segment } from './types.js';

/** Whether a rule with this single condition matches `context` (asserting the flag compiled). */
function matches(condition: Condition, context: unknown, segments: Segment[] = []): boolean {
  const evaluator = compileRuleSet({
    flags: [
      {
        key: 'f',
        variants: [
          { key: 'on', value: true },
          { key: 'off', value: false },
        ],
        environment: {
          enabled: true,
          rules: [{ conditions: [condition], serve: { variant: 'on' } }],
          defaultServe: { variant: 'off' },
        },
      },
    ],
    segments,
  });
  const result = evaluator.evaluate('f', context);
  expect(result.errorCode, result.errorMessage).toBeUndefined();
  return result.variant === 'on';
}

function cond(attribute: string, operator: Operator, ...values: ConditionValue[]): Condition {
  return { attribute, operator, values };
}

type Case = [label: string, context: Record<string, unknown>, expected: boolean];

/** Junk attribute values that no operator but `exists` should accept. */
const JUNK: Case[] = [
  ['missing', {}, false],
  ['null', { a: null }, false],
  ['undefined', { a: undefined }, false],
  ['an object', { a: { x: 1 } }, false],
  ['an array', { a: ['acme'] }, false],
  ['a function', { a: () => 'acme' }, false],
];

function table(condition: Condition, cases: Case[]): void {
  it.each(cases)(`${condition.operator} ${JSON.stringify(condition.values)}: %s`, (_label, context, expected) => {
    expect(matches(condition, context)).toBe(expected);
  });
}

describe('in', () => {
  table(cond('a', 'in', 'acme', 'globex'), [
    ['listed', { a: 'acme' }, true],
    ['second listed', { a: 'globex' }, true],
    ['not listed', { a: 'initech' }, false],
    ['case differs', { a: 'ACME' }, false],
    ['empty string', { a: '' }, false],
    ...JUNK,
  ]);
  table(cond('a', 'in', '42', 'true', 1.5), [
    ['number vs string value', { a: 42 }, true],
    ['boolean vs string value', { a: true }, true],
    ['string vs number value', { a: '1.5' }, true],
    ['number vs number value', { a: 1.5 }, true],
    ['false', { a: false }, false],
  ]);
});

describe('not_in', () => {
  table(cond('a', 'not_in', 'acme', 'globex'), [
    ['not listed', { a: 'initech' }, true],
    ['listed', { a: 'acme' }, false],
    ['number not listed', { a: 7 }, true],
    ...JUNK, // a missing attribute is not "not in": it is unknown
  ]);
});

describe('eq / neq', () => {
  table(cond('a', 'eq', 'acme'), [['equal', { a: 'acme' }, true], ['different', { a: 'acm' }, false], ...JUNK]);
  table(cond('a', 'eq', 42), [['number', { a: 42 }, true], ['numeric string', { a: '42' }, true], ['other number', { a: 43 }, false]]);
  table(cond('a', 'eq', true), [['true', { a: true }, true], ['"true"', { a: 'true' }, true], ['false', { a: false }, false]]);
  table(cond('a', 'neq', 'acme'), [['different', { a: 'globex' }, true], ['equal', { a: 'acme' }, false], ...JUNK]);
});

describe('contains / starts_with / ends_with', () => {
  table(cond('email', 'contains', '@acme.', '@globex.'), [
    ['contains the first', { email: 'bob@acme.com' }, true],
    ['contains the second', { email: 'al@globex.io' }, true],
    ['contains neither', { email: 'eve@initech.com' }, false],
    ['number coerced', { email: 12345 }, false],
    ['missing', {}, false],
    ['object', { email: { toString: () => '@acme.' } }, false],
  ]);
  table(cond('n', 'contains', '234'), [['number coerced to text', { n: 12345 }, true]]);
  table(cond('path', 'starts_with', '/admin'), [
    ['prefix', { path: '/admin/users' }, true],
    ['not prefix', { path: '/user/admin' }, false],
    ['missing', {}, false],
    ['boolean', { path: true }, false],
  ]);
  table(cond('email', 'ends_with', '.acme.com'), [
    ['suffix', { email: 'bob@eu.acme.com' }, true],
    ['not suffix', { email: 'bob@acme.com.evil' }, false],
    ['missing', {}, false],
  ]);
});

describe('matches', () => {
  table(cond('a', 'matches', '^user-\\d+$'), [
    ['matching', { a: 'user-12' }, true],
    ['not matching', { a: 'user-x' }, false],
    ['number coerced', { a: 5 }, false],
    ...JUNK,
  ]);
  table(cond('a', 'matches', '^\\d+$', '^x'), [
    ['number coerced, first pattern', { a: 123 }, true],
    ['second pattern', { a: 'xyz' }, true],
  ]);
  table(cond('a', 'matches', 'b'), [
    ['only the first 1,024 characters are tested', { a: 'a'.repeat(1024) + 'b' }, false],
    ['within the first 1,024 characters', { a: 'a'.repeat(1023) + 'b' }, true],
  ]);
  it('runs every pattern in linear time: a catastrophically backtracking one answers at once', () => {
    // With a backtracking engine this evaluation would run for longer than the universe has existed.
    expect(matches(cond('a', 'matches', '^(a+)+$'), { a: 'a'.repeat(1023) + '!' })).toBe(false);
    expect(matches(cond('a', 'matches', '^(a|aa)*$'), { a: 'a'.repeat(5000) })).toBe(true);
  });
  it('tests a huge input only by its first 1,024 characters', () => {
    // (Was ^a{1024}$ on a million "a": RE2 programs are limited to 500 instructions, so the same
    // check is made with a pattern that only matches if everything after the 1,024th is cut off.)
    expect(matches(cond('a', 'matches', '^a*$'), { a: 'a'.repeat(1024) + 'b'.repeat(1_000_000) })).toBe(true);
  });
});

describe('lt / lte / gt / gte on numbers', () => {
  table(cond('age', 'lt', 18), [
    ['less', { age: 17 }, true],
    ['equal', { age: 18 }, false],
    ['greater', { age: 19 }, false],
    ['numeric string', { age: '17.5' }, true],
    ['non-numeric string', { age: 'young' }, false],
    ['hex string is not a number here', { age: '0x1' }, false],
    ['empty string', { age: '' }, false],
    ['boolean', { age: true }, false],
    ['NaN', { age: Number.NaN }, false],
    ['-Infinity', { age: Number.NEGATIVE_INFINITY }, false],
    ...JUNK.map(([l, c, e]): Case => [l, { age: c['a'] }, e]),
  ]);
  table(cond('age', 'lte', 18), [['equal', { age: 18 }, true], ['greater', { age: 18.01 }, false]]);
  table(cond('age', 'gt', '18'), [['greater', { age: 19 }, true], ['equal', { age: 18 }, false], ['missing', {}, false]]);
  table(cond('age', 'gte', -1.5), [['equal', { age: -1.5 }, true], ['less', { age: -2 }, false]]);
});

describe('lt / lte / gt / gte on ISO dates', () => {
  table(cond('signup', 'lt', '2024-06-01'), [
    ['earlier date', { signup: '2024-05-31' }, true],
    ['same date', { signup: '2024-06-01' }, false],
    ['earlier date-time', { signup: '2024-05-31T23:59:59Z' }, true],
    ['offset makes it earlier', { signup: '2024-06-01T01:00:00+02:00' }, true],
    ['offset makes it later', { signup: '2024-05-31T23:00:00-02:00' }, false],
    ['no offset is read as UTC', { signup: '2024-05-31T23:59:59.999' }, true],
    ['a Date object', { signup: new Date(Date.UTC(2024, 0, 1)) }, true],
    ['an invalid Date object', { signup: new Date(Number.NaN) }, false],
    ['a number is not a date', { signup: 1 }, false],
    ['impossible date', { signup: '2024-02-30' }, false],
    ['month 13', { signup: '2024-13-01' }, false],
    ['not a date', { signup: 'yesterday' }, false],
    ['missing', {}, false],
  ]);
  table(cond('t', 'gte', '2024-06-01T12:00:00Z'), [
    ['equal', { t: '2024-06-01T12:00:00.000Z' }, true],
    ['a millisecond earlier', { t: '2024-06-01T11:59:59.999Z' }, false],
    ['later, in another zone', { t: '2024-06-01T14:30:00+02:00' }, true],
  ]);
  table(cond('t', 'gt', '2024-06-01'), [['later', { t: '2024-06-02' }, true]]);
  table(cond('t', 'lte', '2024-06-01'), [['equal', { t: '2024-06-01T00:00:00Z' }, true]]);
});

describe('semver operators', () => {
  table(cond('v', 'semver_eq', '1.2.3'), [
    ['equal', { v: '1.2.3' }, true],
    ['with v', { v: 'v1.2.3' }, true],
    ['build ignored', { v: '1.2.3+42' }, true],
    ['prerelease differs', { v: '1.2.3-rc.1' }, false],
    ['different', { v: '1.2.4' }, false],
    ['not a version', { v: '1.2' }, false],
    ['a number', { v: 1.2 }, false],
    ['missing', {}, false],
  ]);
  table(cond('v', 'semver_lt', '2.0.0'), [
    ['lower', { v: '1.9.9' }, true],
    ['prerelease of it', { v: '2.0.0-rc.1' }, true],
    ['equal', { v: '2.0.0' }, false],
    ['higher', { v: '10.0.0' }, false],
    ['junk', { v: 'two' }, false],
  ]);
  table(cond('v', 'semver_gt', '1.0.0-beta.2'), [
    ['beta.11 is later', { v: '1.0.0-beta.11' }, true],
    ['alpha.99 is earlier', { v: '1.0.0-alpha.99' }, false],
    ['release is later', { v: '1.0.0' }, true],
  ]);
  table(cond('v', 'semver_range', '>=1.2.0 <2.0.0 || ^3.1.0'), [
    ['inside the first', { v: '1.5.0' }, true],
    ['inside the second', { v: '3.9.1' }, true],
    ['between', { v: '2.5.0' }, false],
    ['junk', { v: 'x' }, false],
    ['missing', {}, false],
  ]);
  table(cond('v', 'semver_range', '~1.2.0'), [['patch', { v: '1.2.9' }, true], ['minor', { v: '1.3.0' }, false]]);
  table(cond('v', 'semver_range', '1.x'), [['in', { v: '1.7.0' }, true], ['out', { v: '2.0.0' }, false]]);
});

describe('exists', () => {
  table({ attribute: 'a', operator: 'exists' }, [
    ['a string', { a: 'x' }, true],
    ['an empty string', { a: '' }, true],
    ['zero', { a: 0 }, true],
    ['false', { a: false }, true],
    ['an object', { a: {} }, true],
    ['null', { a: null }, false],
    ['undefined', { a: undefined }, false],
    ['missing', {}, false],
  ]);
  it('does not see inherited properties', () => {
    expect(matches({ attribute: 'toString', operator: 'exists' }, {})).toBe(false);
    expect(matches({ attribute: 'constructor', operator: 'exists' }, {})).toBe(false);
  });
});

describe('in_segment', () => {
  const segments: Segment[] = [
    { key: 'beta-companies', conditions: [cond('company', 'in', 'acme', 'globex')] },
    { key: 'eu-admins', conditions: [cond('region', 'eq', 'eu'), cond('role', 'eq', 'admin')] },
    { key: 'everyone', conditions: [] },
  ];
  it('matches when the context is in any listed segment', () => {
    const c = { attribute: '', operator: 'in_segment' as const, values: ['beta-companies', 'eu-admins'] };
    expect(matches(c, { company: 'acme' }, segments)).toBe(true);
    expect(matches(c, { region: 'eu', role: 'admin' }, segments)).toBe(true);
    expect(matches(c, { region: 'eu', role: 'user' }, segments)).toBe(false); // all conditions of a segment must match
    expect(matches(c, {}, segments)).toBe(false);
  });
  it('treats a segment without conditions as everyone', () => {
    expect(matches({ attribute: 'x', operator: 'in_segment', values: ['everyone'] }, {}, segments)).toBe(true);
  });
});

describe('attribute names', () => {
  it('reads flat keys only; a dotted name is just a key', () => {
    expect(matches(cond('user.company', 'eq', 'acme'), { user: { company: 'acme' } })).toBe(false);
    expect(matches(cond('user.company', 'eq', 'acme'), { 'user.company': 'acme' })).toBe(true);
  });
  it('treats targetingKey as a regular attribute', () => {
    expect(matches(cond('targetingKey', 'starts_with', 'user-'), { targetingKey: 'user-1' })).toBe(true);
  });
  it('ignores prototype properties for value operators', () => {
    expect(matches(cond('constructor', 'contains', 'Object'), {})).toBe(false);
    expect(matches(cond('__proto__', 'eq', '[object Object]'), {})).toBe(false);
  });
});
