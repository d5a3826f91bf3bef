import type { SecretBox } from '../shared/secret-box.js';
import { openHeaders } from './template-secrets.js';
import { parseDuration, type MetricProvider, type ProviderOutcome, type ResolvedMetric, type ValidationProblem } from '@slipway/rollout-engine';
import { outboundRequest, type OutboundResponse } from '../shared/outbound-http.js';
import { DEFAULT_OUTBOUND_POLICY, isOutboundRefusal, REFUSED_MESSAGE, type OutboundPolicy } from '../shared/outbound-policy.js';
import type { MetricStore, MetricTotals, SeriesFilter } from './metric-store.js';
import { addTotals, percentile } from './metric-store.js';

/** What a provider measures: the canary and baseline series, and the values `{{…}}` in queries and URLs stand for. */
export interface MeasureTarget {
  projectKey: string;
  environment: string;
  canary: SeriesFilter;
  baseline: SeriesFilter;
  args: Record<string, string>;
}

const DEFAULT_TIMEOUT_MS = 10_000;

// Loaded on first use (a web template saved or measured): most servers never need it, and every
// module loaded at start delays /readyz (docs/decisions/0004).
type JsonPathLib = { query(input: never, path: string): unknown[]; parse(path: string): unknown };
let jsonPathLib: Promise<JsonPathLib> | null = null;
function jsonPath(): Promise<JsonPathLib> {
  jsonPathLib ??= Promise.all([import('jsonpath-rfc9535'), import('jsonpath-rfc9535/parser')]).then(([q, p]) => ({ query: q.query as JsonPathLib['query'], parse: p.default }));
  return jsonPathLib;
}
const MAX_BODY = 1024 * 1024;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function httpUrlProblem(value: unknown, path: string): ValidationProblem | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2000) return { path, message: 'must be an http(s) URL' };
  let url: URL;
  try {
    // Placeholders may stand anywhere in the URL; check it with them filled in.
    url = new URL(value.replace(/\{\{\s*[a-zA-Z]+\s*\}\}/g, 'x'));
  } catch {
    return { path, message: `is not a valid URL: ${JSON.stringify(value)}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { path, message: `must use http or https, got ${url.protocol}` };
  return null;
}

function refusedProblem(outbound: OutboundPolicy, url: string, path: string): ValidationProblem | null {
  const problem = outbound.urlProblem(url.replace(/\{\{\s*[a-zA-Z]+\s*\}\}/g, 'x'));
  return problem ? { path, message: `${REFUSED_MESSAGE}: ${problem}` } : null;
}

/** Checks a provider's own fields (the engine checks the rest of a metric). */
export async function providerProblems(provider: unknown, path: string, outbound: OutboundPolicy = DEFAULT_OUTBOUND_POLICY): Promise<ValidationProblem[]> {
  const problems: ValidationProblem[] = [];
  if (!isObject(provider)) return problems;
  const [kind] = Object.keys(provider);
  const p = provider[kind!];
  if (!isObject(p)) return [{ path: `${path}.${kind}`, message: 'must be an object' }];
  const timeout = (field: string) => {
    if (p[field] !== undefined && (parseDuration(p[field]) ?? 0) === 0) problems.push({ path: `${path}.${kind}.${field}`, message: 'must be a duration like "10s"' });
  };
  if (kind === 'slipway') {
    if (!['error-rate', 'latency-p95', 'requests'].includes(p.metric as string)) problems.push({ path: `${path}.slipway.metric`, message: 'must be "error-rate", "latency-p95" or "requests"' });
    if (p.window !== undefined) timeout('window');
  } else if (kind === 'prometheus') {
    const bad = httpUrlProblem(p.address, `${path}.prometheus.address`) ?? refusedProblem(outbound, p.address as string, `${path}.prometheus.address`);
    if (bad) problems.push(bad);
    for (const field of ['query', 'baselineQuery']) {
      if (field === 'query' || p[field] !== undefined) {
        if (typeof p[field] !== 'string' || (p[field] as string).trim() === '' || (p[field] as string).length > 10_000) problems.push({ path: `${path}.prometheus.${field}`, message: 'must be a PromQL query' });
      }
    }
    timeout('timeout');
  } else if (kind === 'web') {
    const bad = httpUrlProblem(p.url, `${path}.web.url`) ?? refusedProblem(outbound, p.url as string, `${path}.web.url`);
    if (bad) problems.push(bad);
    for (const field of ['jsonPath', 'baselineJsonPath']) {
      if (field === 'jsonPath' || p[field] !== undefined) {
        if (typeof p[field] !== 'string') problems.push({ path: `${path}.web.${field}`, message: 'must be a JSONPath like "$.data.value"' });
        else {
          try {
            (await jsonPath()).parse(p[field] as string);
          } catch (error) {
            problems.push({ path: `${path}.web.${field}`, message: `is not a JSONPath: ${(error as Error).message.split('\n')[0]}` });
          }
        }
      }
    }
    if (p.headers !== undefined && (!isObject(p.headers) || Object.values(p.headers).some((v) => typeof v !== 'string'))) problems.push({ path: `${path}.web.headers`, message: 'must map header names to strings' });
    timeout('timeout');
  }
  return problems;
}

/** Replaces `{{canary}}`, `{{stable}}`, `{{variant}}`, `{{flag}}`, `{{project}}`, `{{environment}}`, `{{weight}}`. */
export function fillIn(text: string, args: Record<string, string>, escape: (value: string) => string): string {
  return text.replace(/\{\{\s*([a-zA-Z]+)\s*\}\}/g, (all, name: string) => (name in args ? escape(args[name]!) : all));
}

const promString = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

async function fetchJson(policy: OutboundPolicy, url: string, headers: Record<string, string>, timeoutMs: number): Promise<unknown> {
  let res: OutboundResponse;
  try {
    res = await outboundRequest(policy, url, { headers: { accept: 'application/json', ...headers }, timeoutMs, maxBytes: MAX_BODY });
  } catch (error) {
    if (isOutboundRefusal(error)) throw new Error(REFUSED_MESSAGE);
    throw error;
  }
  const text = res.text;
  if (res.truncated) throw new Error(`the answer is larger than ${MAX_BODY} bytes`);
  if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`the answer is not JSON: ${text.slice(0, 100)}`);
  }
}

/** The first sample of a Prometheus instant-query answer (vector or scalar); null when empty or NaN. */
export function promValue(body: unknown): number | null {
  if (!isObject(body) || body.status !== 'success' || !isObject(body.data)) throw new Error(`Prometheus answered ${JSON.stringify(body).slice(0, 200)}`);
  const { resultType, result } = body.data as { resultType?: string; result?: unknown };
  let raw: unknown;
  if (resultType === 'vector' && Array.isArray(result)) raw = (result[0] as { value?: unknown[] } | undefined)?.value?.[1];
  else if (resultType === 'scalar' && Array.isArray(result)) raw = result[1];
  else throw new Error(`Prometheus returned a ${String(resultType)}; the query must give an instant vector or a scalar`);
  if (raw === undefined) return null;
  const value = Number(raw);
  return Number.isFinite(value) ? value : null;
}

async function jsonPathNumber(body: unknown, path: string): Promise<number | null> {
  const found = (await jsonPath()).query(body as never, path);
  if (found.length === 0 || found[0] === null) return null;
  const value = typeof found[0] === 'string' ? Number(found[0]) : found[0];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${path} is ${JSON.stringify(found[0]).slice(0, 100)}, not a number`);
  return value;
}

const minuteOf = (ms: number) => new Date(Math.floor(ms / 60_000) * 60_000).toISOString();

/** Runs metrics against Prometheus, a web API, or Slipway's own ingested data. Never throws: failures are `{ error }`. */
export class MetricProviders {
  constructor(
    private readonly metrics: MetricStore,
    private readonly outbound: OutboundPolicy = DEFAULT_OUTBOUND_POLICY,
    /** Opens the sealed header values of web providers (template-secrets.ts). */
    private readonly secrets?: SecretBox,
  ) {}

  /**
   * `reads` may be shared by the measurements of one rollout taken together: metrics over the same
   * window (error rate and latency of the same minute) then cost one database read.
   */
  async measure(metric: ResolvedMetric, target: MeasureTarget, now: number, reads = new Map<string, Promise<{ canary: MetricTotals; baseline: MetricTotals }>>()): Promise<ProviderOutcome> {
    try {
      return await this.run(metric.provider, metric, target, now, reads);
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      return { error: `${metric.name}: ${e.name === 'TimeoutError' ? 'timed out' : e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`.slice(0, 1000) };
    }
  }

  private async run(provider: MetricProvider, metric: ResolvedMetric, target: MeasureTarget, now: number, reads: Map<string, Promise<{ canary: MetricTotals; baseline: MetricTotals }>>): Promise<ProviderOutcome> {
    if ('prometheus' in provider) {
      const p = provider.prometheus;
      const timeout = parseDuration(p.timeout ?? '') ?? DEFAULT_TIMEOUT_MS;
      const query = async (q: string) => {
        const url = new URL(`${p.address.replace(/\/+$/, '')}/api/v1/query`);
        url.searchParams.set('query', fillIn(q, target.args, promString));
        return promValue(await fetchJson(this.outbound, url.toString(), {}, timeout));
      };
      const value = await query(p.query);
      const baseline = p.baselineQuery !== undefined ? await query(p.baselineQuery) : undefined;
      return { value, ...(baseline !== undefined && { baseline }), data: { query: fillIn(p.query, target.args, promString) } };
    }
    if ('web' in provider) {
      const p = provider.web;
      const timeout = parseDuration(p.timeout ?? '') ?? DEFAULT_TIMEOUT_MS;
      const body = await fetchJson(this.outbound, fillIn(p.url, target.args, encodeURIComponent), openHeaders(provider, this.secrets), timeout);
      const value = await jsonPathNumber(body, p.jsonPath);
      const baseline = p.baselineJsonPath !== undefined ? await jsonPathNumber(body, p.baselineJsonPath) : undefined;
      return { value, ...(baseline !== undefined && { baseline }) };
    }
    const p = provider.slipway;
    const windowMs = parseDuration(p.window ?? metric.interval ?? '1m') ?? 60_000;
    const from = minuteOf(now - windowMs);
    const to = minuteOf(now);
    const key = `${from}/${to}`;
    let read = reads.get(key);
    if (!read) {
      read = this.series(target, from, to);
      reads.set(key, read);
    }
    const { canary, baseline } = await read;
    const pick = (t: typeof canary): number | null => {
      if (p.metric === 'requests') return t.requests;
      if (p.metric === 'error-rate') return t.requests === 0 ? null : t.errors / t.requests;
      const p95 = percentile(t.buckets, 0.95);
      return p95 === null ? null : Math.round(p95 * 100) / 100;
    };
    return {
      value: pick(canary),
      baseline: pick(baseline),
      data: { window: { from, to }, canary: { requests: canary.requests, errors: canary.errors }, baseline: { requests: baseline.requests, errors: baseline.errors } },
    };
  }

  /** The canary's and the baseline's totals: one grouped read for a flag's variants, two reads otherwise. */
  private async series(target: MeasureTarget, from: string, to: string): Promise<{ canary: MetricTotals; baseline: MetricTotals }> {
    const c = target.canary;
    const b = target.baseline;
    if (c.flag !== undefined && c.variant !== undefined && c.version === undefined && b.flag === c.flag && b.notVariant === c.variant && b.version === undefined && b.variant === undefined) {
      const byVariant = await this.metrics.grouped(target.projectKey, target.environment, from, to, { flag: c.flag });
      const empty = addTotals([]);
      return { canary: byVariant.get(c.variant) ?? empty, baseline: addTotals([...byVariant].filter(([v]) => v !== c.variant && v !== '').map(([, t]) => t)) };
    }
    const [canary, baseline] = await Promise.all([this.metrics.totals(target.projectKey, target.environment, from, to, c), this.metrics.totals(target.projectKey, target.environment, from, to, b)]);
    return { canary, baseline };
  }
}
