import { describe, expect, it } from 'vitest';
import { thresholdAt, thresholdsOf } from './thresholds';

describe('thresholds read from analysis conditions', () => {
  it('reads the shipped templates', () => {
    expect(thresholdsOf('result > 0.01')).toEqual([{ kind: 'constant', op: '>', value: 0.01, source: 'result > 0.01' }]);
    expect(thresholdsOf('result >= 0.5')).toEqual([{ kind: 'constant', op: '>=', value: 0.5, source: 'result >= 0.5' }]);
    expect(thresholdsOf('result > baseline * 1.5')).toEqual([{ kind: 'baseline', op: '>', factor: 1.5, offset: 0, source: 'result > baseline * 1.5' }]);
    expect(thresholdsOf('result - baseline >= 0.001')).toEqual([{ kind: 'baseline', op: '>=', factor: 1, offset: 0.001, source: 'result - baseline >= 0.001' }]);
  });

  it('flips a comparison written the other way round', () => {
    expect(thresholdsOf('0.99 <= result')).toEqual([{ kind: 'constant', op: '>=', value: 0.99, source: '0.99 <= result' }]);
    expect(thresholdsOf('1.2 * baseline > result')[0]).toMatchObject({ kind: 'baseline', op: '<', factor: 1.2, offset: 0 });
  });

  it('reads each side of && and ||, offsets and scientific numbers', () => {
    expect(thresholdsOf('result > 1e-3 && result < baseline - 5').map((t) => [t.kind, t.op, t.kind === 'constant' ? t.value : [t.factor, t.offset]])).toEqual([
      ['constant', '>', 0.001],
      ['baseline', '<', [1, -5]],
    ]);
    expect(thresholdsOf('(result < 100) || (result > baseline * 1.1 + 20)')).toHaveLength(2);
  });

  it('gives no line for what it cannot draw', () => {
    expect(thresholdsOf(undefined)).toEqual([]);
    expect(thresholdsOf(null)).toEqual([]);
    expect(thresholdsOf('result == 0')).toEqual([]);
    expect(thresholdsOf('result / baseline > 2 && true')).toEqual([]);
    expect(thresholdsOf('size(result) > 3')).toEqual([]);
  });

  it('places a baseline-relative line on each measurement', () => {
    const [t] = thresholdsOf('result > baseline * 1.5');
    expect(thresholdAt(t!, 40)).toBe(60);
    expect(thresholdAt(t!, null)).toBeNull();
    expect(thresholdAt(thresholdsOf('result > 0.01')[0]!, null)).toBe(0.01);
  });
});
