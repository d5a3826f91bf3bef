import { describe, expect, it } from 'vitest';
import { changeOperator, describeRule, moveRule, newRule, parseValues, type Rule } from './rules';

describe('rule builder logic', () => {
  it('parses typed values by operator', () => {
    expect(parseValues('lt', ['10', ' 2.5 '])).toEqual([10]);
    expect(parseValues('in', ['acme', ' globex ', '', '42', 'true'])).toEqual(['acme', 'globex', '42', true]);
    expect(parseValues('exists', ['x'])).toBeUndefined();
    expect(parseValues('semver_gt', ['1.2.0', '2.0.0'])).toEqual(['1.2.0']);
    expect(parseValues('in_segment', ['beta-testers', 'staff'])).toEqual(['beta-testers', 'staff']);
  });

  it('moves rules: the first match wins, so order is the meaning', () => {
    const rules: Rule[] = ['a', 'b', 'c'].map((variant) => ({ conditions: [], serve: { variant } }));
    expect(moveRule(rules, 2, 0).map((r) => r.serve.variant)).toEqual(['c', 'a', 'b']);
    expect(moveRule(rules, 0, 1).map((r) => r.serve.variant)).toEqual(['b', 'a', 'c']);
    expect(moveRule(rules, 0, -1).map((r) => r.serve.variant)).toEqual(['a', 'b', 'c']);
    expect(moveRule(rules, 2, 3).map((r) => r.serve.variant)).toEqual(['a', 'b', 'c']);
  });

  it('keeps values that still fit when the operator changes, and drops them for exists and segments', () => {
    expect(changeOperator({ attribute: 'company', operator: 'in', values: ['acme', 'globex'] }, 'eq')).toEqual({ attribute: 'company', operator: 'eq', values: ['acme'] });
    expect(changeOperator({ attribute: 'seats', operator: 'in', values: ['10'] }, 'gt')).toEqual({ attribute: 'seats', operator: 'gt', values: [10] });
    expect(changeOperator({ attribute: 'company', operator: 'in', values: ['acme'] }, 'exists')).toEqual({ attribute: 'company', operator: 'exists' });
    expect(changeOperator({ attribute: '', operator: 'in_segment', values: ['beta'] }, 'in')).toEqual({ attribute: '', operator: 'in', values: [] });
  });

  it('reads a rule as a sentence', () => {
    const rule: Rule = { conditions: [{ attribute: 'company', operator: 'in', values: ['acme', 'globex'] }, { attribute: '', operator: 'in_segment', values: ['beta'] }], serve: { split: [{ variant: 'on', weight: 25 }, { variant: 'off', weight: 75 }] } };
    expect(describeRule(rule)).toBe('company is one of acme, globex AND in segment beta → on 25% / off 75%');
    expect(describeRule(newRule('on'))).toBe(' is one of  → on');
  });
});
