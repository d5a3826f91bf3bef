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
const COMPANIES = ['acme', 'globex', 'initech', 'hooli'];
const segment = (companies: string[]): Segment => ({ key: 'beta', conditions: [{ attribute: 'company', operator: 'in', values: companies }] });
const body = (e: Evaluator, key: string) => (e as unknown as { sourceOf(key: string): { compiled: { body: unknown } } | undefined }).sourceOf(key)?.compiled.body;

function answers(e: Evaluator): unknown[] {
  const out: unknown[] = [];
  for (const company of ['acme', 'globex', 'initech', 'hooli']) {
    for (let i = 0; i < 50; i++) for (const key of e.keys()) out.push(e.evaluate(key, { targetingKey: `u${i}`, company }));
  }
  return out;
}

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

/** The rule set random patches start from: `n` flags over the four companies, one segment. */
function start(n: number): { list: RuleSetFlag[]; segments: Segment[]; evaluator: Evaluator } {
  const segments = [segment(['initech'])];
  const list = Array.from({ length: n }, (_, i) => flag(`f${i}`, COMPANIES[i % 4]!));
  return { list, segments, evaluator: compileRuleSet({ version: '0', flags: list, segments }) };
}

describe('compiling a patch (the changed flags named)', () => {
  it('answers as a compilation from scratch, over 200 random patches, prerequisites included', () => {
    const random = prng(99);
    const initial = start(12);
    const segments = initial.segments;
    let { list, evaluator } = initial;
    for (let round = 1; round <= 200; round++) {
      const changed: RuleSetFlag[] = [];
      for (let n = 0; n < 1 + Math.floor(random() * 3); n++) {
        const key = `f${Math.floor(random() * 15)}`; // sometimes a new flag
        const prerequisites = random() < 0.1 ? [{ flag: `f${Math.floor(random() * 12)}`, variant: 'on' }] : undefined;
        changed.push(flag(key, COMPANIES[Math.floor(random() * 4)]!, prerequisites ? { prerequisites } : {}));
      }
      const deleted = random() < 0.2 ? [`f${Math.floor(random() * 15)}`] : [];
      const byKey = new Map(list.map((f) => [f.key, f]));
      for (const f of changed) byKey.set(f.key, f);
      for (const k of deleted) byKey.delete(k);
      list = [...byKey.values()];
      const next: RuleSet = { version: String(round), flags: list, segments };
      evaluator = compileRuleSet(next, evaluator, { flags: changed, deletedFlags: deleted });
      expect(evaluator.keys()).toEqual(list.map((f) => f.key));
      expect(answers(evaluator)).toEqual(answers(compileRuleSet(next)));
    }
  });

  it('answers as from scratch over 300 random flag-only patches (the fast path), and leaves the evaluator patched from as it was', () => {
    const random = prng(7);
    const initial = start(10);
    const segments = initial.segments;
    let { list, evaluator } = initial;
    let added = 0;
    let deleted = 0;
    for (let round = 1; round <= 300; round++) {
      const changed: RuleSetFlag[] = [];
      // Sometimes a new key, sometimes the same key twice in one patch (the last one counts).
      for (let n = 0; n < 1 + Math.floor(random() * 3); n++) changed.push(flag(`f${Math.floor(random() * 14)}`, COMPANIES[Math.floor(random() * 4)]!));
      // Sometimes a key that is also changed in the same patch (deleted wins), or one that does not exist.
      const gone = random() < 0.25 ? [random() < 0.3 ? changed[0]!.key : `f${Math.floor(random() * 16)}`] : [];
      const byKey = new Map(list.map((f) => [f.key, f]));
      for (const f of changed) {
        if (!byKey.has(f.key)) added++;
        byKey.set(f.key, f);
      }
      for (const k of gone) if (byKey.delete(k)) deleted++;
      list = [...byKey.values()];
      const next: RuleSet = { version: String(round), flags: list, segments };
      const before = evaluator;
      const beforeKeys = before.keys();
      const beforeAnswers = answers(before);
      evaluator = compileRuleSet(next, before, { flags: changed, deletedFlags: gone });
      expect(evaluator.keys()).toEqual(list.map((f) => f.key));
      expect(answers(evaluator)).toEqual(answers(compileRuleSet(next)));
      for (const k of gone) expect(evaluator.evaluate(k).errorCode).toBe('FLAG_NOT_FOUND');
      // The evaluator patched from still answers its own rule set.
      expect(before.keys()).toEqual(beforeKeys);
      expect(answers(before)).toEqual(beforeAnswers);
    }
    expect(added).toBeGreaterThan(10);
    expect(deleted).toBeGreaterThan(10);
  });
});

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
