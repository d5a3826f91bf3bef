import { thresholdAt, thresholdsOf, type Threshold } from './thresholds';

export interface MetricLike {
  name: string;
  successCondition: string | null;
  failureCondition: string | null;
}
export interface MeasurementLike {
  metric: string;
  at: string;
  phase: string;
  value: number | null;
  baseline: number | null;
  seq: number;
  runId: string;
}

export const PHASE_COLORS: Record<string, string> = { Successful: '#2b8a3e', Failed: '#c92a2a', Inconclusive: '#e67700', Error: '#495057' };

export interface ThresholdLine {
  role: 'failure' | 'success';
  threshold: Threshold;
  label: string;
}

/** The thresholds of a metric: its failure condition's lines (red) and its success condition's (green). */
export function thresholdLines(metric: MetricLike): ThresholdLine[] {
  return [
    ...thresholdsOf(metric.failureCondition).map((threshold) => ({ role: 'failure' as const, threshold, label: `fails when ${threshold.source}` })),
    ...thresholdsOf(metric.successCondition).map((threshold) => ({ role: 'success' as const, threshold, label: `succeeds when ${threshold.source}` })),
  ];
}

/**
 * The ECharts option of one metric: its measurements (each point coloured by its verdict), the
 * baseline when there is one, and each threshold: a horizontal line for a constant, a dashed line
 * following the baseline for a relative one.
 */
export function metricChartOption(metric: MetricLike, measurements: MeasurementLike[]) {
  const points = measurements.filter((m) => m.metric === metric.name).sort((a, b) => a.at.localeCompare(b.at) || a.seq - b.seq);
  const hasBaseline = points.some((m) => m.baseline !== null);
  const lines = thresholdLines(metric);
  const series: Array<Record<string, unknown>> = [
    {
      name: metric.name,
      type: 'line',
      showSymbol: true,
      symbolSize: 8,
      connectNulls: false,
      lineStyle: { color: '#364fc7' },
      itemStyle: { color: '#364fc7' },
      data: points.map((m) => ({ value: [m.at, m.value], itemStyle: { color: PHASE_COLORS[m.phase] ?? '#364fc7' }, phase: m.phase })),
      markLine: {
        symbol: 'none',
        silent: true,
        label: { formatter: '{b}', position: 'insideEndTop', fontSize: 11 },
        data: lines
          .filter((l) => l.threshold.kind === 'constant')
          .map((l) => ({ name: l.label, yAxis: (l.threshold as { value: number }).value, lineStyle: { color: l.role === 'failure' ? '#c92a2a' : '#2b8a3e', type: 'dashed', width: 2 } })),
      },
    },
  ];
  if (hasBaseline) {
    series.push({ name: 'baseline', type: 'line', showSymbol: false, lineStyle: { color: '#868e96' }, itemStyle: { color: '#868e96' }, data: points.map((m) => [m.at, m.baseline]) });
  }
  for (const l of lines.filter((x) => x.threshold.kind === 'baseline')) {
    series.push({
      name: l.label,
      type: 'line',
      showSymbol: false,
      lineStyle: { color: l.role === 'failure' ? '#c92a2a' : '#2b8a3e', type: 'dashed', width: 2 },
      itemStyle: { color: l.role === 'failure' ? '#c92a2a' : '#2b8a3e' },
      data: points.map((m) => [m.at, thresholdAt(l.threshold, m.baseline)]),
    });
  }
  // Markers do not stretch the axis: keep every constant threshold in view, above the values.
  const constants = lines.flatMap((l) => (l.threshold.kind === 'constant' ? [l.threshold.value] : []));
  const top = constants.length > 0 ? Math.max(...constants) : null;
  const bottom = constants.length > 0 ? Math.min(...constants) : null;
  return {
    grid: { left: 56, right: 24, top: 36, bottom: 28 },
    legend: { top: 0, type: 'plain', textStyle: { fontSize: 11 } },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'time' },
    yAxis: {
      type: 'value',
      scale: true,
      ...(top !== null && { max: (extent: { max: number }) => niceAbove(Math.max(extent.max, top)) }),
      ...(bottom !== null && { min: (extent: { min: number }) => Math.min(extent.min, bottom, 0) }),
    },
    series,
  };
}

/** A round number a little above `n` (so the top line is not on the frame). */
export function niceAbove(n: number): number {
  if (n <= 0) return 0;
  const raw = n * 1.15;
  const step = 10 ** Math.floor(Math.log10(raw)) / 2;
  return Math.ceil(raw / step) * step;
}
