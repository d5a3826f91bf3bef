import { localTime, zonedInstant } from '../deployments/deploy-windows.js';

export const INTERVALS = ['week', 'month'] as const;
export type Interval = (typeof INTERVALS)[number];

/** One bucket of a trend: [start, end) in instants, labelled with its local start date. */
export interface Period {
  /** The local date the period starts on, `YYYY-MM-DD` (a Monday for weeks, the 1st for months). */
  label: string;
  start: Date;
  end: Date;
}

const ymd = (y: number, m: number, d: number) => {
  const date = new Date(Date.UTC(y, m - 1, d));
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}-${String(date.getUTCDate()).padStart(2, '0')}`;
};

const WEEKDAY_INDEX: Record<string, number> = { mon: 0, tue: 1, wed: 2, thu: 3, fri: 4, sat: 5, sun: 6 };

/**
 * The period containing `instant`: weeks start on Monday 00:00 and months on the 1st 00:00 of the
 * wall clock in `zone`, so a week boundary follows the team's time zone and its DST changes.
 */
export function periodOf(instant: Date, interval: Interval, zone: string): Period {
  const local = localTime(instant, zone);
  if (interval === 'week') {
    const back = WEEKDAY_INDEX[local.weekday]!;
    return week(local.year, local.month, local.day - back, zone);
  }
  return month(local.year, local.month, zone);
}

function week(y: number, m: number, d: number, zone: string): Period {
  const first = new Date(Date.UTC(y, m - 1, d));
  const start = zonedInstant(first.getUTCFullYear(), first.getUTCMonth() + 1, first.getUTCDate(), 0, zone);
  const end = zonedInstant(first.getUTCFullYear(), first.getUTCMonth() + 1, first.getUTCDate() + 7, 0, zone);
  return { label: ymd(y, m, d), start, end };
}

function month(y: number, m: number, zone: string): Period {
  return { label: ymd(y, m, 1), start: zonedInstant(y, m, 1, 0, zone), end: zonedInstant(y, m + 1, 1, 0, zone) };
}

/** Every period overlapping [from, to), in order. */
export function periodsBetween(from: Date, to: Date, interval: Interval, zone: string): Period[] {
  const out: Period[] = [];
  let p = periodOf(from, interval, zone);
  while (p.start < to && out.length < 1000) {
    out.push(p);
    // The next period starts where this one ends; a tiny step past it lands inside the next one.
    p = periodOf(new Date(p.end.getTime() + 1000), interval, zone);
  }
  return out;
}

/** Index of the period containing `at` (periods sorted and contiguous), or -1. */
export function periodIndex(periods: Period[], at: number): number {
  let lo = 0;
  let hi = periods.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = periods[mid]!;
    if (at < p.start.getTime()) hi = mid - 1;
    else if (at >= p.end.getTime()) lo = mid + 1;
    else return mid;
  }
  return -1;
}
