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

  it('applies flag-only patches in place: changed, new and deleted flags, then a full replace agrees', () => {
    const state = new RuleSetState();
    state.replace(sampleRuleSet('1'));
    expect(state.patch({ version: '2', flags: [{ ...retries(), environment: { enabled: true, defaultServe: { variant: 'many' } } }] }).changedKeys).toEqual(['retries']);
    expect(state.patch({ version: '3', flags: [{ ...retries(), environment: { enabled: true, defaultServe: { variant: 'many' } } }] }).changedKeys).toEqual([]);
    expect(state.patch({ version: '4', flags: [{ ...retries(), key: 'new-one' }, { ...flavor(), key: 'new-two' }] }).changedKeys).toEqual(['new-one', 'new-two']);
    expect(state.patch({ version: '5', flags: [{ ...retries(), key: 'new-one', environment: { enabled: false, defaultServe: { variant: 'few' } } }] }).changedKeys).toEqual(['new-one']);
    expect(state.patch({ version: '6', deletedFlags: ['new-two', 'limits'] }).changedKeys).toEqual(['new-two', 'limits']);
    expect(state.current!.flags.map((f) => f.key)).toEqual(['new-checkout', 'flavor', 'retries', 'new-one']);
    const ev = state.evaluator!;
    expect(ev.evaluate('retries', {}).value).toBe(5);
    expect(ev.evaluate('new-one', {}, 'd')).toMatchObject({ value: 'd', reason: 'DISABLED' });
    expect(ev.evaluate('flavor', { company: 'umbrella' }).value).toBe('eu-sovereign');
    // The same rule set loaded whole answers the same and reports nothing changed.
    const whole = new RuleSetState();
    whole.replace(JSON.parse(JSON.stringify(state.current)));
    for (const key of ev.keys()) for (const company of ['acme', 'umbrella', 'x']) expect(whole.evaluator!.evaluate(key, { targetingKey: 'u', company })).toEqual(ev.evaluate(key, { targetingKey: 'u', company }));
    expect(state.replace(JSON.parse(JSON.stringify(state.current))).changedKeys).toEqual([]);
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
