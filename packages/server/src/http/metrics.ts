import type { FastifyInstance } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Series {
  readonly labels: { method: string; route: string; status: string };
  /** Observations per bucket (not cumulative), the last one for +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * The request-duration histogram, kept by hand and handed to prom-client's registry at scrape
 * time (a registry calls `get()` of each metric). Why not prom-client's Histogram: its observe
 * hashes the label set and validates every label on every call — a few percent of the CPU of an
 * OFREP request, which the server answers thousands of times a second. Here an observation is a
 * Map lookup and an increment.
 */
export class RequestDurations {
  readonly name = 'slipway_http_request_duration_seconds';
  readonly help = 'HTTP request duration by route and status (the _count series counts requests).';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  observe(method: string, route: string, statusCode: number, seconds: number): void {
    const key = `${method} ${statusCode} ${route}`;
    let s = this.series.get(key);
    if (s === undefined) {
      if (this.series.size >= 10_000) return; // unbounded routes cannot exhaust memory
      s = { labels: { method, route, status: String(statusCode) }, counts: new Float64Array(BUCKETS.length + 1), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    let i = 0;
    while (i < BUCKETS.length && seconds > (BUCKETS[i] as number)) i++;
    s.counts[i]!++;
    s.sum += seconds;
    s.count++;
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> }> {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      BUCKETS.forEach((le, i) => {
        cumulative += s.counts[i] as number;
        values.push({ metricName: `${this.name}_bucket`, labels: { le, ...s.labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...s.labels }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...s.labels }, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...s.labels }, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** Prometheus metrics: process metrics plus request counts and durations by route and status. */
export function registerMetrics(app: FastifyInstance, durations = new RequestDurations()): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registry.registerMetric(durations as unknown as Parameters<Registry['registerMetric']>[0]);
  // A callback hook (not async): it runs on every request.
  app.addHook('onResponse', (request, reply, done) => {
    durations.observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return registry;
}
