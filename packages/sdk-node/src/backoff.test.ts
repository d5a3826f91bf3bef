import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles up to the cap, with half of each delay jittered by the random source', () => {
    const low = new Backoff(100, 1000, () => 0);
    expect([1, 2, 3, 4, 5, 6].map(() => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    const high = new Backoff(100, 1000, () => 0.999999);
    expect([1, 2, 3, 4, 5].map(() => high.next())).toEqual([100, 200, 400, 800, 1000]);
  });

  it('starts again from the initial delay after a reset', () => {
    const b = new Backoff(100, 1000, () => 0.5);
    b.next();
    b.next();
    expect(b.attempts).toBe(2);
    b.reset();
    expect(b.next()).toBe(75);
  });

  it('survives a broken random source', () => {
    const b = new Backoff(100, 1000, () => Number.NaN);
    expect(b.next()).toBe(75);
    const negative = new Backoff(100, 1000, () => -3);
    expect(negative.next()).toBe(75);
  });
});
