/**
 * DORA performance levels. Thresholds between the levels of the Accelerate State of DevOps Report
 * 2023 ("software delivery performance levels": elite / high / medium / low), read as upper bounds;
 * lead time and restore buckets use a 730-hour month as the Four Keys dashboard does. DORA publishes
 * no levels for deployment rework rate: Slipway applies the change-failure-rate thresholds to it and
 * says so (`source`). docs/insights.md lists every threshold.
 */
export const BANDS = ['elite', 'high', 'medium', 'low'] as const;
export type Band = (typeof BANDS)[number];

const HOUR = 1;
const DAY = 24 * HOUR;
const WEEK = 168 * HOUR;
const MONTH = 730 * HOUR;

/** Per metric: the upper bound of each band but the last (lower is better, except deployment frequency). */
export const BAND_THRESHOLDS = {
  /** Successful deployments per day: elite ≥ 1/day (on demand), high ≥ 1/week, medium ≥ 1/month. */
  deploymentFrequency: { unit: 'deployments per day', higherIsBetter: true, elite: 1, high: 1 / 7, medium: 1 / (730 / 24), source: 'DORA 2023: on demand / between once per day and once per week / between once per week and once per month / less often' },
  /** Median lead time in hours: elite < 1 day, high < 1 week, medium < 1 month. */
  leadTime: { unit: 'hours (median)', higherIsBetter: false, elite: DAY, high: WEEK, medium: MONTH, source: 'DORA 2023: less than one day / between one day and one week / between one week and one month / longer' },
  /** Fraction of deployments: elite ≤ 5 %, high ≤ 10 %, medium ≤ 15 %. */
  changeFailureRate: { unit: 'fraction of deployments', higherIsBetter: false, elite: 0.05, high: 0.1, medium: 0.15, source: 'DORA 2023 cluster values: 5 % / 10 % / 15 % / 64 %' },
  /** Median time to restore in hours: elite < 1 hour, high < 1 day, medium < 1 week. */
  timeToRestore: { unit: 'hours (median)', higherIsBetter: false, elite: HOUR, high: DAY, medium: WEEK, source: 'DORA 2023: less than one hour / less than one day / between one day and one week / longer' },
  /** No DORA levels exist for rework rate: the change-failure-rate thresholds, marked as Slipway's choice. */
  reworkRate: { unit: 'fraction of deployments', higherIsBetter: false, elite: 0.05, high: 0.1, medium: 0.15, source: 'Slipway: DORA publishes no levels for rework rate; the change-failure-rate thresholds are used' },
} as const;

export type BandedMetric = keyof typeof BAND_THRESHOLDS;

/** The band of a value, or null when there is no value (nothing to judge). */
export function bandOf(metric: BandedMetric, value: number | null): Band | null {
  if (value === null || !Number.isFinite(value)) return null;
  const t = BAND_THRESHOLDS[metric];
  if (t.higherIsBetter) {
    if (value >= t.elite) return 'elite';
    if (value >= t.high) return 'high';
    if (value >= t.medium) return 'medium';
    return 'low';
  }
  // Lead time and restore are "less than"; the rates are "at most".
  const strict = metric === 'leadTime' || metric === 'timeToRestore';
  const within = (limit: number) => (strict ? value < limit : value <= limit);
  if (within(t.elite)) return 'elite';
  if (within(t.high)) return 'high';
  if (within(t.medium)) return 'medium';
  return 'low';
}
