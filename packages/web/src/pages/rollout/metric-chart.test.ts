import { describe, expect, it } from 'vitest';
import { metricChartOption, niceAbove, thresholdLines } from './metric-chart';

const m = (seq: number, value: number | null, baseline: number | null, phase = 'Successful') => ({ metric: 'latency', at: `2026-11-24T12:00:0${seq}.000Z`, phase, value, baseline, seq, runId: 'background-1' });

describe('metric chart', () => {
  it('draws a constant failure threshold as a horizontal line and colours points by verdict', () => {
    const option = metricChartOption({ name: 'latency', failureCondition: 'result > 0.01', successCondition: null }, [m(2, 0.02, null, 'Failed'), m(1, 0.001, null), { ...m(3, 5, null), metric: 'other' }]);
    const [main] = option.series as any[];
    expect(main.data.map((d: any) => [d.value[1], d.itemStyle.color])).toEqual([
      [0.001, '#2b8a3e'],
      [0.02, '#c92a2a'],
    ]);
    expect(main.markLine.data).toEqual([expect.objectContaining({ yAxis: 0.01, name: 'fails when result > 0.01' })]);
    expect(option.series).toHaveLength(1);
    // The axis reaches the threshold even when every value is below it.
    expect((option.yAxis as any).max({ max: 0.002 })).toBeCloseTo(0.015);
    expect((option.yAxis as any).min({ min: 0.001 })).toBe(0);
  });

  it('rounds the top of the axis a little above the highest line', () => {
    expect(niceAbove(0.05)).toBeCloseTo(0.06);
    expect(niceAbove(100)).toBe(150);
    expect(niceAbove(0)).toBe(0);
  });

  it('draws a relative threshold along the baseline', () => {
    const option = metricChartOption({ name: 'latency', failureCondition: 'result > baseline * 1.5', successCondition: 'result < 100' }, [m(1, 40, 40), m(2, 70, 44)]);
    const names = (option.series as any[]).map((s) => s.name);
    expect(names).toEqual(['latency', 'baseline', 'fails when result > baseline * 1.5']);
    expect((option.series as any[])[2].data.map((d: any) => d[1])).toEqual([60, 66]);
    expect((option.series as any[])[0].markLine.data.map((d: any) => [d.name, d.yAxis])).toEqual([['succeeds when result < 100', 100]]);
    expect(thresholdLines({ name: 'x', failureCondition: 'result == 1', successCondition: null })).toEqual([]);
  });
});
