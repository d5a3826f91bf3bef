/**
 * Percentile by linear interpolation between the closest ranks (PostgreSQL's percentile_cont,
 * Excel's PERCENTILE.INC): for n sorted values, position (n − 1)·p. The median of an even count
 * is the mean of the two middle values. Null for no values.
 */
export function percentile(sortedAscending: readonly number[], p: number): number | null {
  const n = sortedAscending.length;
  if (n === 0) return null;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sortedAscending[lo]! + (h - lo) * (sortedAscending[hi]! - sortedAscending[lo]!);
}

/** Rounds to `digits` decimals (answers are for people and charts, not for further arithmetic). */
export function round(value: number | null, digits = 4): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** a ÷ b, or null when nothing was counted. */
export function ratio(a: number, b: number): number | null {
  return b === 0 ? null : a / b;
}

/** Merges ascending arrays into one ascending array. */
export function mergeSorted(arrays: readonly (readonly number[])[]): number[] {
  const all: number[] = [];
  for (const a of arrays) for (const v of a) all.push(v);
  return all.sort((x, y) => x - y);
}
