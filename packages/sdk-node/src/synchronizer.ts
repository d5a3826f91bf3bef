/**
 * Keeps a {@link RuleSetState} current: the SSE stream first; while it is
 * down, reconnects with exponential backoff and jitter and polls
 * `GET /api/v1/sdk/flags` (with its ETag) so that updates still arrive when
 * only the stream is blocked (a proxy buffering event streams, say).
 * Tracks when the server was last heard from, to report staleness.
 */
import { Backoff } from './backoff.js';
import { fetchRuleSet, runStream, SdkHttpError } from './http.js';
import { runNodeStream } from './node-stream.js';
import type { FetchLike } from './http.js';
import type { Logger } from './options.js';
import type { AppliedChange, RuleSetState } from './rule-set-state.js';
import type { SseEvent } from './sse-parser.js';

/** What the synchronizer tells its owner. */
export interface SyncListener {
  /** A rule set (full or patched) from the server is now in force. */
  applied(change: AppliedChange): void;
  /** The server was heard from (any byte on the stream, any poll answer). */
  heard(): void;
  /** Something failed; `fatal` errors stop all further contact. */
  failed(error: Error, fatal: boolean): void;
  /** The first stream attempt and the first poll both failed: a bootstrap may now be declared ready. */
  firstAttemptFailed(): void;
}

/** Settings, already defaulted. */
export interface SyncSettings {
  url: string;
  sdkKey: string;
  fetch: FetchLike;
  /** The application passed its own `fetch`: the stream goes through it too. */
  customFetch: boolean;
  pollIntervalMs: number;
  streamInitialRetryMs: number;
  streamMaxRetryMs: number;
  streamReadTimeoutMs: number;
  requestTimeoutMs: number;
  random: () => number;
  logger: Logger;
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** The message, with the cause's code when there is one: fetch's "fetch failed" alone says little. */
function describeError(e: Error): string {
  const cause = (e as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${e.message} (${typeof code === 'string' ? code : cause.message})`;
  }
  return e.message;
}

export class Synchronizer {
  private readonly backoff: Backoff;
  private streamController: AbortController | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private pollController: AbortController | undefined;
  private polling = false;
  private streamOpen = false;
  private etag: string | undefined;
  /** After a patch could not be applied, the next connection asks for a full rule set. */
  private needFullReload = false;
  private stopped = false;
  private firstRound = true;

  constructor(
    private readonly settings: SyncSettings,
    private readonly state: RuleSetState,
    private readonly listener: SyncListener,
  ) {
    this.backoff = new Backoff(settings.streamInitialRetryMs, settings.streamMaxRetryMs, settings.random);
  }

  /** Whether the stream is connected right now. */
  get streaming(): boolean {
    return this.streamOpen;
  }

  start(): void {
    this.connect();
  }

  /** Stops every connection and timer; nothing is contacted afterwards. */
  stop(): void {
    this.stopped = true;
    this.pollController?.abort();
    this.streamController?.abort();
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.stopPolling();
  }

  private connect(): void {
    if (this.stopped) return;
    this.reconnectTimer = undefined;
    const controller = new AbortController();
    this.streamController = controller;
    const lastEventId = this.needFullReload ? undefined : this.state.version;
    (this.settings.customFetch ? runStream : runNodeStream)({
      fetch: this.settings.fetch,
      baseUrl: this.settings.url,
      sdkKey: this.settings.sdkKey,
      lastEventId,
      signal: controller.signal,
      readTimeoutMs: this.settings.streamReadTimeoutMs,
      handlers: {
        onOpen: () => {
          this.streamOpen = true;
          this.needFullReload = false;
          this.stopPolling();
          this.listener.heard();
        },
        onActivity: () => this.listener.heard(),
        onEvent: (event) => this.onEvent(event, controller),
      },
    }).then(
      () => this.streamEnded(new Error('the server closed the stream')),
      (e: unknown) => this.streamEnded(asError(e)),
    );
  }

  private onEvent(event: SseEvent, controller: AbortController): void {
    if (event.event !== 'put' && event.event !== 'patch') return;
    try {
      const body: unknown = JSON.parse(event.data);
      const change = event.event === 'put' ? this.state.replace(body) : this.state.patch(body);
      this.etag = undefined;
      // A usable event proves the connection healthy: later failures start again from the shortest delay.
      this.backoff.reset();
      this.listener.applied(change);
    } catch (e) {
      this.needFullReload = true;
      this.listener.failed(new Error(`could not apply a "${event.event}" event (version ${event.id || 'none'}): ${asError(e).message}`), false);
      controller.abort();
    }
  }

  private streamEnded(error: Error): void {
    const wasOpen = this.streamOpen;
    this.streamOpen = false;
    if (this.stopped) return;
    if (error instanceof SdkHttpError && error.fatal) {
      this.fatal(error);
      return;
    }
    const delay = this.backoff.next();
    // Not reported as an error: polling takes over, and reports if the server itself is unreachable.
    this.settings.logger.warn(`slipway: stream ${wasOpen ? 'lost' : 'failed'} (${describeError(error)}); retrying in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
    this.reconnectTimer.unref?.();
    this.startPolling();
  }

  private fatal(error: SdkHttpError): void {
    const message =
      error.status === 401
        ? 'the SDK key was refused (401): it is wrong or revoked'
        : 'the SDK key may not read rule sets (403): use a server key';
    this.settings.logger.error(`slipway: ${message}; no further contact with the server`);
    this.listener.failed(Object.assign(new Error(message), { status: error.status, fatal: true }), true);
    this.stop();
  }

  private startPolling(): void {
    if (this.polling || this.stopped) return;
    this.polling = true;
    void this.poll();
  }

  private stopPolling(): void {
    this.polling = false;
    if (this.pollTimer !== undefined) clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  private async poll(): Promise<void> {
    if (!this.polling || this.stopped) return;
    const controller = new AbortController();
    this.pollController = controller;
    const timeout = setTimeout(() => controller.abort(new Error(`no answer in ${this.settings.requestTimeoutMs} ms`)), this.settings.requestTimeoutMs);
    timeout.unref?.();
    const signal = controller.signal;
    try {
      // The server's ETag is the quoted version (the protocol says so): a rule set from the stream needs no download.
      const version = this.state.version;
      const etag = this.etag ?? (version !== undefined ? `"${version}"` : undefined);
      const result = await fetchRuleSet(this.settings.fetch, this.settings.url, this.settings.sdkKey, etag, signal);
      if (this.stopped) return;
      this.listener.heard();
      // The stream may have come back (and delivered newer data) while this request was in flight.
      if (result.kind === 'ruleSet' && !this.streamOpen) {
        const change = this.state.replace(result.body);
        this.etag = result.etag;
        this.listener.applied(change);
      }
    } catch (e) {
      if (this.stopped) return;
      if (e instanceof SdkHttpError && e.fatal) {
        this.fatal(e);
        return;
      }
      const reason = signal.aborted && signal.reason instanceof Error ? signal.reason : asError(e);
      this.listener.failed(new Error(`polling the rule set failed: ${describeError(reason)}`), false);
      if (this.firstRound) this.listener.firstAttemptFailed();
    } finally {
      clearTimeout(timeout);
      this.pollController = undefined;
    }
    this.firstRound = false;
    if (!this.polling || this.stopped) return;
    this.pollTimer = setTimeout(() => void this.poll(), this.settings.pollIntervalMs);
    this.pollTimer.unref?.();
  }
}
