import type { Uow } from '../db/stores.js';
import type { Clock } from '../shared/clock.js';
import { ValidationError } from '../shared/errors.js';
import { LATENCY_BUCKETS_MS, type MetricRow } from './metric-store.js';

/** One report: counts of requests and errors, optionally latencies, of a version and/or flag variant. */
export interface MetricPointInput {
  version?: string;
  flag?: string;
  variant?: string;
  requests: number;
  errors: number;
  /** One latency for every request of the point, or one per request. */
  latencyMs?: number | number[];
  /** Counts per latency bucket (`LATENCY_BUCKETS_MS`), what the SDK's middleware sends. */
  latencyBuckets?: number[];
  /** When (ISO 8601); default now. Only the minute counts. */
  at?: string;
}

export const MAX_POINTS = 1000;
const FUTURE_SLACK_MS = 5 * 60_000;

function bucketOf(ms: number): number {
  const i = LATENCY_BUCKETS_MS.findIndex((b) => ms <= b);
  return i === -1 ? LATENCY_BUCKETS_MS.length - 1 : i;
}

/**
 * `POST /api/v1/metrics`: services report requests, errors and latencies with a server SDK key; the
 * project and environment come from the key. Points are merged per minute and series in memory, then
 * added to the stored minute in one upsert each, so concurrent reports from many instances add up.
 */
export class MetricsIngestion {
  constructor(
    private readonly uow: Uow,
    private readonly clock: Clock,
    private readonly retentionMs: number,
  ) {}

  async ingest(key: { projectKey: string; environmentKey: string }, points: MetricPointInput[]): Promise<{ accepted: number; minutes: number }> {
    if (points.length > MAX_POINTS) throw new ValidationError(`points: at most ${MAX_POINTS} per request, got ${points.length}; send them in several requests.`, { field: 'body.points' });
    const now = this.clock.now().getTime();
    const merged = new Map<string, MetricRow>();
    points.forEach((p, i) => {
      const field = (name: string) => `body.points[${i}].${name}`;
      if (p.errors > p.requests) throw new ValidationError(`${field('errors')}: ${p.errors} errors out of ${p.requests} requests; errors are counted among the requests.`, { field: field('errors') });
      if (p.variant !== undefined && p.flag === undefined) throw new ValidationError(`${field('flag')}: a variant needs the flag it belongs to.`, { field: field('flag') });
      let at = now;
      if (p.at !== undefined) {
        at = Date.parse(p.at);
        if (Number.isNaN(at)) throw new ValidationError(`${field('at')}: not a date-time: ${p.at}`, { field: field('at') });
        if (at > now + FUTURE_SLACK_MS || at < now - this.retentionMs) {
          throw new ValidationError(`${field('at')}: ${p.at} is outside what is kept (the last ${Math.round(this.retentionMs / 86_400_000)} days, up to 5 minutes ahead).`, { field: field('at') });
        }
      }
      const buckets = new Array<number>(LATENCY_BUCKETS_MS.length).fill(0);
      let latencyCount = 0;
      let latencySum = 0;
      if (p.latencyBuckets !== undefined) {
        if (p.latencyBuckets.length !== LATENCY_BUCKETS_MS.length) throw new ValidationError(`${field('latencyBuckets')}: must have ${LATENCY_BUCKETS_MS.length} counts (bounds ${LATENCY_BUCKETS_MS.slice(0, -1).join(', ')} ms and above).`, { field: field('latencyBuckets') });
        p.latencyBuckets.forEach((c, j) => {
          buckets[j] = c;
          latencyCount += c;
          latencySum += c * (j === 0 ? LATENCY_BUCKETS_MS[0] / 2 : j === LATENCY_BUCKETS_MS.length - 1 ? LATENCY_BUCKETS_MS[j - 1]! : (LATENCY_BUCKETS_MS[j - 1]! + LATENCY_BUCKETS_MS[j]!) / 2);
        });
      }
      if (typeof p.latencyMs === 'number') {
        buckets[bucketOf(p.latencyMs)]! += p.requests;
        latencyCount += p.requests;
        latencySum += p.latencyMs * p.requests;
      } else if (Array.isArray(p.latencyMs)) {
        for (const ms of p.latencyMs) {
          buckets[bucketOf(ms)]!++;
          latencyCount++;
          latencySum += ms;
        }
      }
      const row: MetricRow = {
        projectKey: key.projectKey,
        environment: key.environmentKey,
        minute: new Date(Math.floor(at / 60_000) * 60_000).toISOString(),
        version: p.version ?? '',
        flag: p.flag ?? '',
        variant: p.variant ?? '',
        requests: p.requests,
        errors: p.errors,
        latencyCount,
        latencySum,
        buckets,
      };
      const id = JSON.stringify([row.minute, row.version, row.flag, row.variant]);
      const existing = merged.get(id);
      if (!existing) merged.set(id, row);
      else {
        existing.requests += row.requests;
        existing.errors += row.errors;
        existing.latencyCount += row.latencyCount;
        existing.latencySum += row.latencySum;
        existing.buckets = existing.buckets.map((c, j) => c + row.buckets[j]!);
      }
    });
    await this.uow.reads.metricPoints.add([...merged.values()]);
    return { accepted: points.length, minutes: merged.size };
  }
}
