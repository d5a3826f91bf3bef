/**
 * The two delivery endpoints the SDK reads: `GET /api/v1/sdk/flags` (a rule
 * set, with an ETag) and `GET /api/v1/sdk/stream` (server-sent events).
 */
import { SseParser } from './sse-parser.js';
import type { SseEvent } from './sse-parser.js';

/** The `fetch` the SDK uses; the global one by default. */
export type FetchLike = typeof globalThis.fetch;

const USER_AGENT = 'slipway-sdk-node/0.1.0';

/**
 * The server answered with an unexpected HTTP status. 401 and 403 are fatal:
 * the key is wrong, revoked or a client key.
 *
 * @example
 * if (error instanceof SdkHttpError && error.fatal) console.error(`key refused (${error.status})`);
 */
export class SdkHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'SdkHttpError';
  }

  /** Whether retrying cannot help. */
  get fatal(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** Joins the base URL and an absolute API path, keeping any path prefix of the base. */
export function endpoint(baseUrl: string, path: string): string {
  return baseUrl.replace(/\/+$/, '') + path;
}

/** The outcome of a poll. */
export type PollResult = { kind: 'ruleSet'; body: unknown; etag: string | undefined } | { kind: 'notModified' };

/** `GET /api/v1/sdk/flags`, conditional on `etag` when given. */
export async function fetchRuleSet(
  fetchImpl: FetchLike,
  baseUrl: string,
  sdkKey: string,
  etag: string | undefined,
  signal: AbortSignal,
): Promise<PollResult> {
  const headers: Record<string, string> = { authorization: `Bearer ${sdkKey}`, accept: 'application/json', 'user-agent': USER_AGENT };
  if (etag !== undefined) headers['if-none-match'] = etag;
  const res = await fetchImpl(endpoint(baseUrl, '/api/v1/sdk/flags'), { headers, signal });
  if (res.status === 304) {
    await res.body?.cancel();
    return { kind: 'notModified' };
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new SdkHttpError(res.status, `GET /api/v1/sdk/flags answered ${res.status}`);
  }
  const body: unknown = await res.json();
  return { kind: 'ruleSet', body, etag: res.headers.get('etag') ?? undefined };
}

/** What a running stream reports. */
export interface StreamHandlers {
  /** The server accepted the stream (200, `text/event-stream`). */
  onOpen(): void;
  /** Any bytes arrived, heartbeats included. */
  onActivity(): void;
  onEvent(event: SseEvent): void;
}

/** Options of one stream connection. */
export interface StreamOptions {
  fetch: FetchLike;
  baseUrl: string;
  sdkKey: string;
  /** Sent as `Last-Event-ID` so the server can send only what changed since. */
  lastEventId: string | undefined;
  /** Aborts the connection (close, or a deliberate reconnect). */
  signal: AbortSignal;
  /** With no bytes for this long (heartbeats come every 15 s), the connection is taken as dead. */
  readTimeoutMs: number;
  handlers: StreamHandlers;
}

/**
 * Runs one stream connection until it ends. Resolves when the server closes
 * the stream, rejects on any failure — a status other than 200, a network
 * error, the read timeout, or an abort.
 */
export async function runStream(options: StreamOptions): Promise<void> {
  const { handlers } = options;
  const local = new AbortController();
  const onAbort = () => local.abort(options.signal.reason);
  if (options.signal.aborted) throw new Error('the stream was aborted');
  options.signal.addEventListener('abort', onAbort, { once: true });
  let watchdog: NodeJS.Timeout | undefined;
  let lastByteAt = Date.now();
  // One timer, moved forward lazily: a chunk only records when it came.
  const check = () => {
    const silent = Date.now() - lastByteAt;
    if (silent >= options.readTimeoutMs) return local.abort(new Error(`no data from the stream for ${options.readTimeoutMs} ms`));
    watchdog = setTimeout(check, options.readTimeoutMs - silent);
    watchdog.unref?.();
  };
  const arm = () => {
    lastByteAt = Date.now();
    if (watchdog === undefined) {
      watchdog = setTimeout(check, options.readTimeoutMs);
      watchdog.unref?.();
    }
  };
  try {
    arm();
    const headers: Record<string, string> = {
      authorization: `Bearer ${options.sdkKey}`,
      accept: 'text/event-stream',
      'cache-control': 'no-cache',
      'user-agent': USER_AGENT,
    };
    if (options.lastEventId !== undefined && options.lastEventId !== '') headers['last-event-id'] = options.lastEventId;
    const res = await options.fetch(endpoint(options.baseUrl, '/api/v1/sdk/stream'), { headers, signal: local.signal });
    const type = res.headers.get('content-type') ?? '';
    if (res.status !== 200 || !type.startsWith('text/event-stream') || res.body === null) {
      await res.body?.cancel();
      throw new SdkHttpError(res.status, `GET /api/v1/sdk/stream answered ${res.status} ${type}`.trim());
    }
    handlers.onOpen();
    arm();
    const parser = new SseParser({ onEvent: (e) => handlers.onEvent(e) }, options.lastEventId ?? '');
    const decoder = new TextDecoder('utf-8');
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        arm();
        handlers.onActivity();
        parser.push(decoder.decode(value, { stream: true }));
      }
      parser.push(decoder.decode());
      parser.end();
    } finally {
      reader.releaseLock();
    }
  } catch (e) {
    if (local.signal.aborted && !options.signal.aborted && local.signal.reason instanceof Error) throw local.signal.reason;
    throw e;
  } finally {
    if (watchdog !== undefined) clearTimeout(watchdog);
    options.signal.removeEventListener('abort', onAbort);
    if (!local.signal.aborted) local.abort();
  }
}
