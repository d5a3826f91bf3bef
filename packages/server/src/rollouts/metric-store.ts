import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** Upper bounds (ms) of the latency buckets: b0 counts ≤ 5 ms, …, b11 everything above 10 s. */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, Infinity] as const;
const BUCKETS = LATENCY_BUCKETS_MS.length;

/** One minute of one series (version / flag / variant) of one project and environment. */
export interface MetricRow {
  projectKey: string;
  environment: string;
  minute: string;
  version: string;
  flag: string;
  variant: string;
  requests: number;
  errors: number;
  latencyCount: number;
  latencySum: number;
  buckets: number[];
}

/** Sums over a window. */
export interface MetricTotals {
  requests: number;
  errors: number;
  latencyCount: number;
  latencySum: number;
  buckets: number[];
}

export interface SeriesFilter {
  version?: string;
  flag?: string;
  variant?: string;
  /** Every variant of `flag` but this one (the baseline of a flag rollout). */
  notVariant?: string;
}

const bucketColumns = Array.from({ length: BUCKETS }, (_, i) => `b${i}`) as Array<'b0'>;

/** The sum of several totals. */
export function addTotals(parts: Iterable<MetricTotals>): MetricTotals {
  const out: MetricTotals = { requests: 0, errors: 0, latencyCount: 0, latencySum: 0, buckets: new Array<number>(BUCKETS).fill(0) };
  for (const t of parts) {
    out.requests += t.requests;
    out.errors += t.errors;
    out.latencyCount += t.latencyCount;
    out.latencySum += t.latencySum;
    t.buckets.forEach((c, i) => (out.buckets[i]! += c));
  }
  return out;
}

/** The 95th percentile from bucket counts, interpolated linearly inside its bucket; null without data. */
export function percentile(buckets: readonly number[], q: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const count = buckets[i]!;
    if (seen + count >= rank && count > 0) {
      const lower = i === 0 ? 0 : LATENCY_BUCKETS_MS[i - 1]!;
      const upper = LATENCY_BUCKETS_MS[i]!;
      if (upper === Infinity) return lower;
      return lower + ((upper - lower) * (rank - seen)) / count;
    }
    seen += count;
  }
  return LATENCY_BUCKETS_MS[BUCKETS - 2]!;
}

/** Ingested request metrics, aggregated per minute with additive upserts (concurrent reports add up). */
export class MetricStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Adds rows (already merged per key by the caller: one statement may not touch a row twice). */
  async add(rows: MetricRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 200) {
      const chunk = rows.slice(i, i + 200).map((r) => {
        const values: Record<string, unknown> = {
          project_key: r.projectKey,
          environment_key: r.environment,
          minute: r.minute,
          version: r.version,
          flag: r.flag,
          variant: r.variant,
          requests: r.requests,
          errors: r.errors,
          latency_count: r.latencyCount,
          latency_sum: r.latencySum,
        };
        bucketColumns.forEach((c, j) => (values[c] = r.buckets[j] ?? 0));
        return values as unknown as Database['metric_points'];
      });
      await this.db
        .insertInto('metric_points')
        .values(chunk)
        .onConflict((oc) =>
          oc.columns(['project_key', 'environment_key', 'minute', 'version', 'flag', 'variant']).doUpdateSet(() => {
            const set: Record<string, unknown> = {};
            for (const c of ['requests', 'errors', 'latency_count', 'latency_sum', ...bucketColumns]) set[c] = sql`metric_points.${sql.ref(c)} + excluded.${sql.ref(c)}`;
            return set as never;
          }),
        )
        .execute();
    }
  }

  /** Totals of a series over minutes [fromMinute, toMinute]. */
  async totals(projectKey: string, environment: string, fromMinute: string, toMinute: string, filter: SeriesFilter): Promise<MetricTotals> {
    let q = this.db
      .selectFrom('metric_points')
      .where('project_key', '=', projectKey)
      .where('environment_key', '=', environment)
      .where('minute', '>=', fromMinute)
      .where('minute', '<=', toMinute);
    if (filter.version !== undefined) q = q.where('version', '=', filter.version);
    if (filter.flag !== undefined) q = q.where('flag', '=', filter.flag);
    if (filter.variant !== undefined) q = q.where('variant', '=', filter.variant);
    if (filter.notVariant !== undefined) q = q.where('variant', '!=', filter.notVariant).where('variant', '!=', '');
    const row = (await q
      .select((eb) => [
        eb.fn.sum('requests').as('requests'),
        eb.fn.sum('errors').as('errors'),
        eb.fn.sum('latency_count').as('latency_count'),
        eb.fn.sum('latency_sum').as('latency_sum'),
        ...bucketColumns.map((c) => eb.fn.sum(c).as(c)),
      ])
      .executeTakeFirst()) as Record<string, unknown> | undefined;
    const n = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
    return {
      requests: n(row?.requests),
      errors: n(row?.errors),
      latencyCount: n(row?.latency_count),
      latencySum: n(row?.latency_sum),
      buckets: bucketColumns.map((c) => n(row?.[c])),
    };
  }

  /**
   * Totals of every variant of a flag (or, without `flag`, of every version's own series) over minutes
   * [fromMinute, toMinute], in one grouped query: a canary and its baseline come from one read.
   */
  async grouped(projectKey: string, environment: string, fromMinute: string, toMinute: string, by: { flag: string } | { versions: true }): Promise<Map<string, MetricTotals>> {
    const key = 'flag' in by ? 'variant' : 'version';
    let q = this.db.selectFrom('metric_points').where('project_key', '=', projectKey).where('environment_key', '=', environment);
    q = 'flag' in by ? q.where('flag', '=', by.flag) : q.where('flag', '=', '');
    const rows = (await q
      .where('minute', '>=', fromMinute)
      .where('minute', '<=', toMinute)
      .select((eb) => [
        eb.ref(key).as('series'),
        eb.fn.sum('requests').as('requests'),
        eb.fn.sum('errors').as('errors'),
        eb.fn.sum('latency_count').as('latency_count'),
        eb.fn.sum('latency_sum').as('latency_sum'),
        ...bucketColumns.map((c) => eb.fn.sum(c).as(c)),
      ])
      .groupBy(key)
      .execute()) as Array<Record<string, unknown>>;
    const n = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
    return new Map(rows.map((row) => [String(row.series), { requests: n(row.requests), errors: n(row.errors), latencyCount: n(row.latency_count), latencySum: n(row.latency_sum), buckets: bucketColumns.map((c) => n(row[c])) }]));
  }

  /** Bounded retention: drops minutes before `minute`; returns how many rows went. */
  async deleteBefore(minute: string): Promise<number> {
    const result = await this.db.deleteFrom('metric_points').where('minute', '<', minute).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
