/**
 * Keeps one context's bulk evaluation current, listening rather than polling (ADR 0008):
 * fetch; connect to the advertised event stream; on each `refetchEvaluation` fetch again (with
 * the notice's etag, coalescing bursts into one request at a time); after the stream drops,
 * reconnect with backoff and Last-Event-ID and fetch at once; while it is down or blocked, poll
 * (backing off on errors). A tab hidden longer than the advertised inactivity delay closes its
 * stream; back in view, it reconnects and fetches unconditionally.
 */
import { readStream } from './event-stream.js';
import type { Notice } from './event-stream.js';
import { fetchBulk, OfrepError, streamUrl } from './ofrep.js';
import type { BulkAnswer, EventStream, FetchLike } from './ofrep.js';

export interface SyncOptions {
  baseUrl: string;
  clientKey: string;
  fetch: FetchLike;
  /** Polling interval while no event stream is connected. */
  pollIntervalMs: number;
  /** First reconnection delay; doubles up to maxRetryMs, with jitter. */
  retryMs: number;
  maxRetryMs: number;
  streamReadTimeoutMs: number;
  /** Overrides the inactivity delay the server advertises. */
  inactivityDelaySec?: number | undefined;
}

export interface SyncEvents {
  /** A bulk answer that is new (200 or a request-wide 400). */
  answer(answer: Exclude<BulkAnswer, { status: 304 }>): void;
  /** The server was reached (any answer). */
  heard(): void;
  /** A failure; `fatal` ones (a refused key) stop all contact. */
  failed(error: OfrepError): void;
}

interface Doc {
  visibilityState?: string;
  addEventListener?(type: string, listener: () => void): void;
  removeEventListener?(type: string, listener: () => void): void;
}

export class Sync {
  private context: Record<string, unknown> = {};
  private etag: string | undefined;
  private streams: EventStream[] = [];
  private url: string | undefined;
  private readonly lastEvent = { lastEventId: undefined as string | undefined };
  private streamAbort: AbortController | undefined;
  private streamOpen = false;
  private attempts = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private pollFailures = 0;
  private inactiveTimer: ReturnType<typeof setTimeout> | undefined;
  private asleep = false;
  private stopped = false;
  private fetching: Promise<void> | undefined;
  private again: { notice: Notice | undefined } | undefined;
  private readonly doc: Doc | undefined = (globalThis as { document?: Doc }).document;
  private readonly onVisibility = () => this.visibilityChanged();

  constructor(
    private readonly o: SyncOptions,
    private readonly on: SyncEvents,
  ) {
    this.doc?.addEventListener?.('visibilitychange', this.onVisibility);
  }

  /** Whether an event stream is connected right now. */
  get streaming(): boolean {
    return this.streamOpen;
  }

  /** Fetches for a (new) context and (re)connects the advertised stream. Rejects when that fetch fails. */
  async start(context: Record<string, unknown>): Promise<void> {
    this.context = context;
    this.etag = undefined;
    // A fetch for the previous context may be under way: this one must come after it.
    if (this.fetching !== undefined) await this.fetching.catch(() => {});
    await this.fetch(undefined, true);
  }

  stop(): void {
    this.stopped = true;
    this.disconnect();
    clearTimeout(this.pollTimer);
    clearTimeout(this.inactiveTimer);
    this.doc?.removeEventListener?.('visibilitychange', this.onVisibility);
  }

  /**
   * One bulk fetch at a time: a notice arriving meanwhile makes one more fetch afterwards. With
   * `unconditional`, no If-None-Match (a new context, or back from inactivity).
   */
  private fetch(notice: Notice | undefined, unconditional = false, rethrow = true): Promise<void> {
    if (this.fetching !== undefined) {
      this.again = { notice: notice ?? this.again?.notice };
      return this.fetching;
    }
    const run = (async () => {
      try {
        const answer = await fetchBulk({
          baseUrl: this.o.baseUrl,
          clientKey: this.o.clientKey,
          fetch: this.o.fetch,
          context: this.context,
          etag: unconditional ? undefined : this.etag,
          notice,
        });
        if (this.stopped) return;
        this.on.heard();
        this.pollFailures = 0;
        if (answer.status === 304) return;
        if (answer.status === 200) {
          this.etag = answer.etag;
          this.useStreams(answer.streams);
        } else {
          this.etag = undefined;
        }
        this.on.answer(answer);
      } catch (e) {
        const error = e instanceof OfrepError ? e : new OfrepError(e instanceof Error ? e.message : String(e), false);
        if (!this.stopped) this.failed(error);
        if (rethrow) throw error;
      }
    })().finally(() => {
      this.fetching = undefined;
      const again = this.again;
      this.again = undefined;
      if (again !== undefined && !this.stopped) void this.fetch(again.notice, false, false);
    });
    this.fetching = run;
    return run;
  }

  private failed(error: OfrepError): void {
    this.pollFailures++;
    this.on.failed(error);
    if (error.fatal) this.stop();
    else if (!this.streamOpen) this.schedulePoll(error.retryAfterMs);
  }

  /** Follows the streams of the latest answer: the same URL stays connected; a new one replaces it. */
  private useStreams(streams: EventStream[]): void {
    this.streams = streams;
    const url = streams.map((s) => streamUrl(s, this.o.baseUrl)).find((u) => u !== undefined);
    if (url === this.url && (this.streamAbort !== undefined || this.retryTimer !== undefined || this.asleep)) return;
    this.disconnect();
    this.url = url;
    this.lastEvent.lastEventId = undefined;
    if (url === undefined) this.schedulePoll();
    else if (!this.asleep) this.connect(false);
  }

  private connect(resumed: boolean): void {
    const url = this.url;
    if (url === undefined || this.stopped || this.asleep) return;
    const abort = new AbortController();
    this.streamAbort = abort;
    void readStream(this.o.fetch, url, this.lastEvent, abort.signal, this.o.streamReadTimeoutMs, {
      open: () => {
        this.streamOpen = true;
        this.attempts = 0;
        clearTimeout(this.pollTimer);
        this.pollTimer = undefined;
        this.on.heard();
        // Whatever the server replays, what changed while we were away is fetched now (ADR 0008).
        if (resumed) void this.fetch(undefined, false, false);
      },
      notice: (notice) => {
        this.on.heard();
        void this.fetch(notice, false, false);
      },
      closed: (error) => {
        if (this.streamAbort === abort) this.streamAbort = undefined;
        this.streamOpen = false;
        if (error === undefined || this.stopped || this.asleep) return;
        // Dropped or blocked: poll meanwhile, and try the stream again later.
        this.schedulePoll();
        const delay = Math.min(this.o.maxRetryMs, this.o.retryMs * 2 ** this.attempts++) * (0.5 + Math.random() / 2);
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.connect(true);
        }, delay);
      },
    });
  }

  private disconnect(): void {
    this.streamAbort?.abort();
    this.streamAbort = undefined;
    this.streamOpen = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private schedulePoll(afterMs?: number): void {
    if (this.stopped || this.asleep || this.streamOpen || this.pollTimer !== undefined) return;
    const backoff = Math.min(this.o.maxRetryMs * 10, this.o.pollIntervalMs * 2 ** this.pollFailures);
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      if (this.streamOpen || this.stopped) return;
      void this.fetch(undefined, false, false).then(() => {
        if (this.stopped) return;
        // A failed poll was counted by failed(); a successful one keeps the pace.
        this.schedulePoll();
      });
    }, afterMs ?? backoff);
  }

  private visibilityChanged(): void {
    const hidden = this.doc?.visibilityState === 'hidden';
    clearTimeout(this.inactiveTimer);
    if (hidden) {
      const delaySec = this.o.inactivityDelaySec ?? this.streams.find((s) => s.type === 'sse')?.inactivityDelaySec ?? 120;
      this.inactiveTimer = setTimeout(() => {
        this.asleep = true;
        this.disconnect();
        clearTimeout(this.pollTimer);
        this.pollTimer = undefined;
      }, Math.max(1, delaySec) * 1000);
    } else if (this.asleep) {
      this.asleep = false;
      this.connect(false);
      void this.fetch(undefined, true, false);
    }
  }
}
