/**
 * Request metrics for Slipway's rollout analysis: counts of requests and errors and a latency
 * histogram per version and per flag variant, aggregated per minute in memory and sent to
 * `POST /api/v1/metrics` in the background. Reporting never throws and never blocks a request.
 */
import type { EvaluationContext } from '@slipway/flag-engine';
import type { FetchLike } from './http.js';
import { endpoint } from './http.js';
import type { Logger } from './options.js';

/** Upper bounds (ms) of the latency buckets, as the server counts them (the last is everything above 10 s). */
export const LATENCY_BUCKETS_MS: readonly number[] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, Infinity];

/**
 * One thing to count: a request (default 1) of a version and/or a flag variant, whether it failed,
 * and how long it took. With `flag` and `context` but no `variant`, the variant the client serves
 * that context is used.
 */
export interface TrackEvent {
  flag?: string;
  variant?: string;
  context?: EvaluationContext;
  version?: string;
  /** How many requests this counts (default 1). */
  requests?: number;
  /** How many of them failed; `error: true` is one. */
  errors?: number;
  error?: boolean;
  latencyMs?: number;
}

/** Options of the reporter (part of the client's options). */
export interface MetricsOptions {
  url: string;
  sdkKey: string;
  fetch: FetchLike;
  logger: Logger;
  /** How often to send what was counted. Default 10,000 ms. */
  flushIntervalMs?: number;
  now?: () => number;
}

interface Series {
  minute: number;
  version?: string;
  flag?: string;
  variant?: string;
  requests: number;
  errors: number;
  buckets: number[];
}

const MAX_SERIES = 5000;
const MAX_POINTS_PER_REQUEST = 1000;

function bucketOf(ms: number): number {
  for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) if (ms <= LATENCY_BUCKETS_MS[i]!) return i;
  return LATENCY_BUCKETS_MS.length - 1;
}

/** Aggregates tracked events per minute and series; sends them every `flushIntervalMs`. */
export class MetricsReporter {
  private series = new Map<string, Series>();
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private failing = false;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: MetricsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Counts an event (the variant already resolved). Never throws. */
  add(event: Omit<TrackEvent, 'context'>): void {
    try {
      if (this.closed) return;
      const requests = event.requests ?? 1;
      const errors = event.errors ?? (event.error ? 1 : 0);
      if (!(requests >= 0) || !(errors >= 0)) return;
      const minute = Math.floor(this.now() / 60_000) * 60_000;
      const key = `${minute}\u0000${event.version ?? ''}\u0000${event.flag ?? ''}\u0000${event.variant ?? ''}`;
      let s = this.series.get(key);
      if (s === undefined) {
        if (this.series.size >= MAX_SERIES) return; // bounded memory if the server is unreachable for long
        s = { minute, requests: 0, errors: 0, buckets: new Array<number>(LATENCY_BUCKETS_MS.length).fill(0) };
        if (event.version !== undefined) s.version = event.version;
        if (event.flag !== undefined) s.flag = event.flag;
        if (event.variant !== undefined) s.variant = event.variant;
        this.series.set(key, s);
      }
      s.requests += Math.floor(requests);
      s.errors += Math.min(Math.floor(errors), Math.floor(requests));
      if (typeof event.latencyMs === 'number' && event.latencyMs >= 0) s.buckets[bucketOf(event.latencyMs)]! += Math.floor(requests);
      this.schedule();
    } catch {
      // reporting must never break the caller
    }
  }

  /** Sends everything counted so far; resolves when the server answered (or failed). */
  flush(): Promise<void> {
    const batch = [...this.series.values()];
    this.series = new Map();
    if (batch.length === 0) return this.sending;
    this.sending = this.sending.then(() => this.send(batch));
    return this.sending;
  }

  /** Sends what is left and stops. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    this.closed = true;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.flushIntervalMs ?? 10_000);
    this.timer.unref?.();
  }

  private async send(batch: Series[]): Promise<void> {
    for (let i = 0; i < batch.length; i += MAX_POINTS_PER_REQUEST) {
      const points = batch.slice(i, i + MAX_POINTS_PER_REQUEST).map((s) => ({
        ...(s.version !== undefined && { version: s.version }),
        ...(s.flag !== undefined && { flag: s.flag }),
        ...(s.variant !== undefined && { variant: s.variant }),
        requests: s.requests,
        errors: s.errors,
        ...(s.buckets.some((c) => c > 0) && { latencyBuckets: s.buckets }),
        at: new Date(s.minute).toISOString(),
      }));
      try {
        const res = await this.options.fetch(endpoint(this.options.url, '/api/v1/metrics'), {
          method: 'POST',
          headers: { authorization: `Bearer ${this.options.sdkKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ points }),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        if (res.status !== 202) throw new Error(`POST /api/v1/metrics answered ${res.status}: ${text.slice(0, 200)}`);
        this.failing = false;
      } catch (e) {
        if (!this.failing) this.options.logger.warn(`slipway: metrics not sent: ${e instanceof Error ? e.message : String(e)}`);
        this.failing = true;
      }
    }
  }
}
