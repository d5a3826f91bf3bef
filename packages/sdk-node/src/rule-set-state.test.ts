import { describe, expect, it } from 'vitest';
import { RuleSetState } from './rule-set-state.js';
import { flavor, newCheckout, retries, sampleRuleSet } from './testing/fixtures.js';

describe('RuleSetState', () => {
  it('names every flag on the first rule set, then only the flags a change affects', () => {
    const state = new RuleSetState();
    expect(state.replace(sampleRuleSet('1')).changedKeys).toEqual(['new-checkout', 'flavor', 'limits', 'retries']);
    expect(state.replace(sampleRuleSet('2'))).toEqual({ version: '2', changedKeys: [] });
    const next = sampleRuleSet('3');
    next.flags = next.flags.filter((f) => f.key !== 'limits');
    next.flags[0] = newCheckout({ enabled: false });
    expect(state.replace(next).changedKeys).toEqual(['new-checkout', 'limits']);
  });

  it('applies patches: changed and new flags, deleted flags, and segments (naming the flags using them)', () => {
    const state = new RuleSetState();
    state.replace(sampleRuleSet('1'));
    const ev1 = state.evaluator;
    const change = state.patch({
      version: '2',
      flags: [{ ...retries(), environment: { enabled: true, defaultServe: { variant: 'many' } } }, { ...retries(), key: 'extra' }],
      deletedFlags: ['limits', 'never-existed'],
      segments: [{ key: 'eu-companies', conditions: [{ attribute: 'company', operator: 'in', values: ['hooli'] }] }],
    });
    expect(change).toEqual({ version: '2', changedKeys: ['flavor', 'retries', 'extra', 'limits'] });
    expect(state.evaluator).not.toBe(ev1);
    expect(state.version).toBe('2');
    const ev = state.evaluator!;
    expect(ev.evaluate('retries', {}).value).toBe(5);
    expect(ev.evaluate('extra', {}).value).toBe(2);
    expect(ev.has('limits')).toBe(false);
    expect(ev.evaluate('flavor', { company: 'hooli' }).value).toBe('eu-sovereign');
    expect(ev.evaluate('flavor', { company: 'umbrella' }).value).toBe('standard');

    expect(state.patch({ version: '3', deletedSegments: ['eu-companies'] }).changedKeys).toEqual(['flavor']);
    // The flag now uses a missing segment: it answers an error, the others are untouched.
    expect(state.evaluator!.evaluate('flavor', { company: 'hooli' }, 'x').errorCode).toBe('PARSE_ERROR');
    expect(state.evaluator!.evaluate('retries', {}).value).toBe(5);
  });

  it('refuses what it cannot use and keeps the rule set in force', () => {
    const state = new RuleSetState();
    expect(() => state.patch({ version: '1', flags: [] })).toThrow(/before any rule set/);
    state.replace({ version: '1', flags: [flavor()], segments: [] });
    const ev = state.evaluator;
    for (const junk of [null, [], { flags: {} }, { flags: [], segments: 'x' }, { flags: [], version: 2 }]) {
      expect(() => state.replace(junk)).toThrow(TypeError);
    }
    for (const junk of [null, {}, { version: 2 }, { version: '2', flags: 'x' }, { version: '2', deletedFlags: 'flavor' }]) {
      expect(() => state.patch(junk)).toThrow(TypeError);
    }
    expect(state.evaluator).toBe(ev);
    expect(state.version).toBe('1');
  });
});
