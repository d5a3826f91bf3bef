/**
 * OFREP bulk evaluation (POST /ofrep/v1/evaluate/flags) as a browser sees it: ETag and 304, the
 * event streams the answer advertises (ADR 0008), and the errors that stop all contact (a refused
 * key) versus those worth retrying.
 */

/** One flag of a bulk answer: a success (`value`, `reason`, `variant`, `metadata`) or an error. */
export interface OfrepFlag {
  key: string;
  value?: unknown;
  reason?: string;
  variant?: string;
  metadata?: Record<string, string | number | boolean>;
  errorCode?: string;
  errorDetails?: string;
}

/** Flags as a server renders them for a page, to answer before the first request (SSR). */
export interface Bootstrap {
  flags: OfrepFlag[];
  /** A request-wide error (e.g. INVALID_CONTEXT): every flag answers its default with it. */
  error?: { errorCode: string; errorDetails: string };
}

/** An event stream a bulk answer advertises; only `sse` is known. */
export interface EventStream {
  type: string;
  url?: string;
  endpoint?: { origin?: string; requestUri: string };
  inactivityDelaySec?: number;
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** What a bulk request gave: new flags, "not modified", or a request-wide error for every flag. */
export type BulkAnswer =
  | { status: 200; flags: OfrepFlag[]; etag: string | undefined; streams: EventStream[] }
  | { status: 304 }
  | { status: 400; errorCode: string; errorDetails: string };

/** A failure: `fatal` (the key is refused: stop) or worth retrying after `retryAfterMs` when known. */
export class OfrepError extends Error {
  constructor(
    message: string,
    readonly fatal: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'OfrepError';
  }
}

export interface BulkRequest {
  baseUrl: string;
  clientKey: string;
  fetch: FetchLike;
  context: Record<string, unknown>;
  /** The last ETag, sent as If-None-Match (left out for an unconditional fetch). */
  etag?: string | undefined;
  /** From the `refetchEvaluation` notice that asked for this fetch (ADR 0008 query metadata). */
  notice?: { etag?: string; lastModified?: string | number } | undefined;
  signal?: AbortSignal;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One bulk evaluation. Never resolves with garbage: a body it cannot read is an OfrepError. */
export async function fetchBulk(r: BulkRequest): Promise<BulkAnswer> {
  let url = `${r.baseUrl}/ofrep/v1/evaluate/flags`;
  const query: string[] = [];
  if (r.notice?.etag !== undefined) query.push(`flagConfigEtag=${encodeURIComponent(r.notice.etag)}`);
  if (r.notice?.lastModified !== undefined) query.push(`flagConfigLastModified=${encodeURIComponent(String(r.notice.lastModified))}`);
  if (query.length > 0) url += `?${query.join('&')}`;
  const headers: Record<string, string> = { authorization: `Bearer ${r.clientKey}`, 'content-type': 'application/json' };
  if (r.etag !== undefined) headers['if-none-match'] = r.etag;
  const init: Record<string, unknown> = { method: 'POST', headers, body: JSON.stringify({ context: r.context }), cache: 'no-store' };
  if (r.signal) init.signal = r.signal;
  const res = await r.fetch(url, init as RequestInit);
  if (res.status === 304) return { status: 304 };
  if (res.status === 401 || res.status === 403) throw new OfrepError(`the client key was refused (${res.status})`, true);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new OfrepError(`the server answered ${res.status} without JSON`, false);
  }
  if (res.status === 400 && isObject(body) && typeof body.errorCode === 'string') {
    return { status: 400, errorCode: body.errorCode, errorDetails: typeof body.errorDetails === 'string' ? body.errorDetails : body.errorCode };
  }
  if (res.status === 429) {
    const after = Number(res.headers.get('retry-after'));
    throw new OfrepError('rate limited (429)', false, Number.isFinite(after) ? after * 1000 : undefined);
  }
  if (res.status !== 200 || !isObject(body) || !Array.isArray(body.flags)) throw new OfrepError(`unexpected answer ${res.status}`, false);
  const flags = body.flags.filter((f): f is OfrepFlag => isObject(f) && typeof f.key === 'string');
  const streams = Array.isArray(body.eventStreams) ? body.eventStreams.filter((s): s is EventStream => isObject(s) && typeof s.type === 'string') : [];
  return { status: 200, flags, etag: res.headers.get('etag') ?? undefined, streams };
}

/** The URL of an SSE event stream (`url`, or `endpoint` against the OFREP base URL), or undefined. */
export function streamUrl(stream: EventStream, baseUrl: string): string | undefined {
  if (stream.type !== 'sse') return undefined;
  if (typeof stream.url === 'string') return stream.url;
  const e = stream.endpoint;
  if (!isObject(e) || typeof e.requestUri !== 'string') return undefined;
  return `${typeof e.origin === 'string' ? e.origin : baseUrl}${e.requestUri}`;
}
