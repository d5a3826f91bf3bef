// Compiling a patched rule set against the previous evaluator reuses the flags whose definition
// and segments are the very same objects, and answers exactly as a compilation from scratch.
import { describe, expect, it } from 'vitest';
import { compileRuleSet } from './evaluator.js';
import type { Evaluator } from './evaluator.js';
import type { RuleSet, RuleSetFlag, Segment } from './types.js';

const flag = (key: string, company: string, extra: Partial<RuleSetFlag['environment']> = {}): RuleSetFlag => ({
  key,
  variants: [
    { key: 'on', value: true },
    { key: 'off', value: false },
  ],
  environment: {
    enabled: true,
    offVariant: 'off',
    rules: [
      { conditions: [{ attribute: 'company', operator: 'eq', values: [company] }], serve: { variant: 'on' } },
      { conditions: [{ attribute: 'x', operator: 'in_segment', values: ['beta'] }], serve: { variant: 'on' } },
    ],
    defaultServe: { split: [{ variant: 'on', weight: 30 }, { variant: 'off', weight: 70 }] },
    ...extra,
  },
});
const segment = (companies: string[]): Segment => ({ key: 'beta', conditions: [{ attribute: 'company', operator: 'in', values: companies }] });
const body = (e: Evaluator, key: string) => (e as unknown as { sources: Map<string, { compiled: { body: unknown } }> }).sources.get(key)?.compiled.body;

function answers(e: Evaluator): unknown[] {
  const out: unknown[] = [];
  for (const company of ['acme', 'globex', 'initech', 'hooli']) {
    for (let i = 0; i < 50; i++) for (const key of e.keys()) out.push(e.evaluate(key, { targetingKey: `u${i}`, company }));
  }
  return out;
}

describe('compiling against the previous rule set', () => {
  it('reuses unchanged flags, recompiles changed ones and those whose segment changed, and answers as from scratch', () => {
    const a = flag('a', 'acme');
    const b = flag('b', 'globex');
    const c = flag('c', 'hooli', { prerequisites: [{ flag: 'a', variant: 'on' }] });
    const beta = segment(['initech']);
    const first: RuleSet = { flags: [a, b, c], segments: [beta] };
    const e1 = compileRuleSet(first);

    // b changes; a and c are the same objects.
    const b2 = flag('b', 'initech');
    const second: RuleSet = { flags: [a, b2, c], segments: [beta] };
    const e2 = compileRuleSet(second, e1);
    expect(body(e2, 'a')).toBe(body(e1, 'a'));
    expect(body(e2, 'c')).toBe(body(e1, 'c'));
    expect(body(e2, 'b')).not.toBe(body(e1, 'b'));
    expect(answers(e2)).toEqual(answers(compileRuleSet(second)));

    // The segment changes: every flag using it is compiled again.
    const third: RuleSet = { flags: [a, b2, c], segments: [segment(['hooli'])] };
    const e3 = compileRuleSet(third, e2);
    expect(body(e3, 'a')).not.toBe(body(e2, 'a'));
    expect(answers(e3)).toEqual(answers(compileRuleSet(third)));

    // A prerequisite disappears, then a cycle appears: the graph is analysed again each time.
    const fourth: RuleSet = { flags: [b2, c], segments: third.segments! };
    const e4 = compileRuleSet(fourth, e3);
    expect(e4.evaluate('c', { targetingKey: 'u', company: 'hooli' })).toMatchObject({ reason: 'DEFAULT', flagMetadata: { prerequisiteFailed: 'a' } });
    const a2 = flag('a', 'acme', { prerequisites: [{ flag: 'c', variant: 'on' }] });
    const fifth: RuleSet = { flags: [a2, b2, c], segments: third.segments! };
    const e5 = compileRuleSet(fifth, e4);
    expect(e5.evaluate('c', { targetingKey: 'u' }).errorCode).toBe('GENERAL');
    expect(answers(e5)).toEqual(answers(compileRuleSet(fifth)));
    // …and when the cycle is gone again, the reused flag answers normally.
    const e6 = compileRuleSet({ flags: [a, b2, c], segments: third.segments! }, e5);
    expect(e6.evaluate('c', { targetingKey: 'u', company: 'hooli' }).errorCode).toBeUndefined();
    expect(answers(e6)).toEqual(answers(compileRuleSet({ flags: [a, b2, c], segments: third.segments! })));
  });
});
