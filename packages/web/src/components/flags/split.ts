/** One slice of a percentage split (weights are percentages with at most two decimals). */
export interface SplitEntry {
  variant: string;
  weight: number;
}

const HUNDREDTHS = 10_000;
const toHundredths = (weight: number) => Math.round(weight * 100);
const fromHundredths = (h: number) => h / 100;

/** The total of a split, exact to the hundredth. */
export function splitTotal(split: readonly SplitEntry[]): number {
  return fromHundredths(split.reduce((sum, e) => sum + toHundredths(e.weight), 0));
}

/**
 * Sets slice `index` to `weight` (clamped to 0–100, rounded to the hundredth) and spreads what
 * remains over the other slices in proportion to their current weights (equally when they are all
 * zero), so the total stays exactly 100. Works in hundredths to avoid floating-point drift.
 */
export function setSplitWeight(split: readonly SplitEntry[], index: number, weight: number): SplitEntry[] {
  if (split.length === 0) return [];
  if (split.length === 1) return [{ ...split[0]!, weight: 100 }];
  const wanted = Math.min(HUNDREDTHS, Math.max(0, toHundredths(Number.isFinite(weight) ? weight : 0)));
  const others = split.map((e, i) => ({ i, h: toHundredths(e.weight) })).filter((o) => o.i !== index);
  const remaining = HUNDREDTHS - wanted;
  const othersTotal = others.reduce((s, o) => s + o.h, 0);
  const shares = new Map<number, number>();
  // Largest-remainder rounding: every slice gets its floor, the leftover hundredths go to the largest fractions.
  const exact = others.map((o) => ({ i: o.i, value: othersTotal > 0 ? (remaining * o.h) / othersTotal : remaining / others.length }));
  let given = 0;
  for (const e of exact) {
    const floor = Math.floor(e.value);
    shares.set(e.i, floor);
    given += floor;
  }
  const byFraction = [...exact].sort((a, b) => b.value - Math.floor(b.value) - (a.value - Math.floor(a.value)) || a.i - b.i);
  for (let k = 0; given < remaining; k++, given++) {
    const target = byFraction[k % byFraction.length]!;
    shares.set(target.i, shares.get(target.i)! + 1);
  }
  return split.map((e, i) => ({ ...e, weight: fromHundredths(i === index ? wanted : shares.get(i)!) }));
}

/** An even split over the variants (the last slices take the leftover hundredths). */
export function evenSplit(variants: readonly string[]): SplitEntry[] {
  if (variants.length === 0) return [];
  const base = Math.floor(HUNDREDTHS / variants.length);
  const extra = HUNDREDTHS - base * variants.length;
  return variants.map((variant, i) => ({ variant, weight: fromHundredths(base + (i >= variants.length - extra ? 1 : 0)) }));
}

/** Adds a variant with weight 0 (nothing changes for anyone until a slider moves). */
export function addSplitVariant(split: readonly SplitEntry[], variant: string): SplitEntry[] {
  if (split.some((e) => e.variant === variant)) return [...split];
  return split.length === 0 ? [{ variant, weight: 100 }] : [...split, { variant, weight: 0 }];
}

/** Removes a slice and gives its weight to the others in proportion, keeping the total at 100. */
export function removeSplitVariant(split: readonly SplitEntry[], index: number): SplitEntry[] {
  const rest = split.filter((_, i) => i !== index);
  if (rest.length === 0) return [];
  // Setting the removed slice to 0 first spreads its weight; then drop it.
  return setSplitWeight(split, index, 0).filter((_, i) => i !== index);
}
