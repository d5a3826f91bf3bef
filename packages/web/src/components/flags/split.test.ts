import { describe, expect, it } from 'vitest';
import { addSplitVariant, evenSplit, removeSplitVariant, setSplitWeight, splitTotal, type SplitEntry } from './split';

const s = (...weights: number[]): SplitEntry[] => weights.map((weight, i) => ({ variant: `v${i}`, weight }));

describe('percentage split sliders', () => {
  it('moves the other slices in proportion so the total stays 100', () => {
    expect(setSplitWeight(s(50, 30, 20), 0, 80).map((e) => e.weight)).toEqual([80, 12, 8]);
    expect(setSplitWeight(s(25, 25, 50), 2, 0).map((e) => e.weight)).toEqual([50, 50, 0]);
  });

  it('shares equally when the other slices are all at zero', () => {
    expect(setSplitWeight(s(100, 0, 0), 0, 40).map((e) => e.weight)).toEqual([40, 30, 30]);
  });

  it('clamps to 0–100 and rounds to the hundredth', () => {
    expect(setSplitWeight(s(50, 50), 0, 150).map((e) => e.weight)).toEqual([100, 0]);
    expect(setSplitWeight(s(50, 50), 0, -3).map((e) => e.weight)).toEqual([0, 100]);
    expect(setSplitWeight(s(50, 50), 0, 33.337).map((e) => e.weight)).toEqual([33.34, 66.66]);
    expect(setSplitWeight(s(50, 50), 1, Number.NaN).map((e) => e.weight)).toEqual([100, 0]);
  });

  it('always sums to exactly 100 over many random moves, even with thirds', () => {
    let split = evenSplit(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(splitTotal(split)).toBe(100);
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let n = 0; n < 2_000; n++) {
      split = setSplitWeight(split, Math.floor(random() * split.length), Math.round(random() * 10_000) / 100);
      expect(splitTotal(split)).toBe(100);
      for (const e of split) {
        expect(e.weight).toBeGreaterThanOrEqual(0);
        expect(Math.abs(e.weight * 100 - Math.round(e.weight * 100))).toBeLessThan(1e-6);
      }
    }
  });

  it('gives even splits whose hundredths add up (3 × 33.33… )', () => {
    expect(evenSplit(['a', 'b', 'c']).map((e) => e.weight)).toEqual([33.33, 33.33, 33.34]);
    expect(splitTotal(evenSplit(['a', 'b', 'c']))).toBe(100);
  });

  it('adds a variant at 0 and removes one by giving its weight to the rest', () => {
    const added = addSplitVariant(s(60, 40), 'new');
    expect(added.map((e) => e.weight)).toEqual([60, 40, 0]);
    expect(addSplitVariant([], 'only')).toEqual([{ variant: 'only', weight: 100 }]);
    const removed = removeSplitVariant(s(50, 30, 20), 0);
    expect(removed).toEqual([
      { variant: 'v1', weight: 60 },
      { variant: 'v2', weight: 40 },
    ]);
    expect(splitTotal(removed)).toBe(100);
  });
});
