/**
 * The Slipway server-side SDK: evaluates flags locally with the flag engine
 * against a rule set kept current over the server's SSE stream.
 */
import fs from 'node:fs';
import { FlagEvaluations, messageOf } from './evaluations.js';
import { TypedEmitter } from './events.js';
import type { Listeners } from './events.js';
import { CONSOLE_LOGGER, safeLogger } from './logging.js';
import type { ClientEvents, SlipwayClientOptions } from './options.js';
import { RuleSetState } from './rule-set-state.js';
import type { AppliedChange } from './rule-set-state.js';
import { Synchronizer } from './synchronizer.js';
import { MetricsReporter, type TrackEvent } from './metrics.js';

/**
 * A Slipway client for server-side Node applications. Create one per process
 * (per SDK key) and share it: it holds one stream connection and evaluates
 * every flag locally, in well under a microsecond, without I/O.
 *
 * Evaluations never throw: an unknown flag, a type mismatch, a bad context or
 * no rule set yet all answer the caller's default (see {@link getDetails} for
 * the error code).
 *
 * @example
 * import { SlipwayClient } from '@slipway/sdk-node';
 *
 * const slipway = new SlipwayClient({ url: 'https://slipway.example.com', sdkKey: process.env.SLIPWAY_SDK_KEY });
 * await slipway.ready();
 * if (slipway.getBooleanValue('new-checkout', false, { targetingKey: user.id, company: user.company })) {
 *   // …
 * }
 */
export class SlipwayClient extends FlagEvaluations {
  private readonly state = new RuleSetState();
  private readonly emitter: TypedEmitter<ClientEvents>;
  private readonly now: () => number;
  private readonly staleAfterMs: number;
  private readonly readyTimeoutMs: number;
  private readonly sync: Synchronizer | undefined;
  private readonly readyWaiters = new Set<(ok: boolean) => void>();
  private initialized = false;
  private fatalError = false;
  private closed = false;
  private fromBootstrap = false;
  /** Reported during the current outage; both are cleared when the server is heard from again. */
  private errorReported = false;
  private staleReported = false;
  private lastHeardAt: number;
  private staleTimer: NodeJS.Timeout | undefined;
  /** Request metrics for rollout analysis (metrics.ts); absent offline. */
  private readonly metrics: MetricsReporter | undefined;

  /**
   * Starts the client: loads the bootstrap (when given) and, unless `offline`,
   * connects to the server at once.
   *
   * @example
   * const offline = new SlipwayClient({ offline: true, bootstrap: './flags.json' });
   */
  constructor(options: SlipwayClientOptions) {
    super(safeLogger((options ?? {}).logger ?? CONSOLE_LOGGER));
    options = options ?? {};
    this.emitter = new TypedEmitter<ClientEvents>(this.logger);
    this.now = options.now ?? Date.now;
    this.staleAfterMs = options.staleAfterMs ?? 60_000;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
    this.lastHeardAt = this.now();

    if (options.bootstrap !== undefined) this.loadBootstrap(options.bootstrap);

    if (options.offline === true) {
      if (!this.state.loaded) this.state.replace({ flags: [], segments: [] });
      this.ev = this.state.evaluator;
      this.initialized = true;
      return;
    }
    if (typeof options.url !== 'string' || options.url === '' || typeof options.sdkKey !== 'string' || options.sdkKey === '') {
      // Configuration mistakes are reported, not thrown: the application keeps running on defaults.
      this.logger.error('slipway: "url" and "sdkKey" are required unless "offline" is set; answering from the bootstrap or the defaults');
      this.fatalError = true;
      this.initialized = this.state.loaded;
      return;
    }
    this.metrics = new MetricsReporter({ url: options.url, sdkKey: options.sdkKey, fetch: options.fetch ?? globalThis.fetch, logger: this.logger, now: this.now, ...(options.metricsFlushIntervalMs !== undefined && { flushIntervalMs: options.metricsFlushIntervalMs }) });
    this.sync = new Synchronizer(
      {
        url: options.url,
        sdkKey: options.sdkKey,
        fetch: options.fetch ?? globalThis.fetch,
        customFetch: options.fetch !== undefined,
        pollIntervalMs: options.pollIntervalMs ?? 30_000,
        streamInitialRetryMs: options.streamInitialRetryMs ?? 1_000,
        streamMaxRetryMs: options.streamMaxRetryMs ?? 30_000,
        streamReadTimeoutMs: options.streamReadTimeoutMs ?? 45_000,
        requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
        random: options.random ?? Math.random,
        logger: this.logger,
      },
      this.state,
      {
        applied: (change) => this.onApplied(change),
        heard: () => this.onHeard(),
        failed: (error, fatal) => this.onFailed(error, fatal),
        firstAttemptFailed: () => {
          if (this.fromBootstrap) this.markInitialized();
        },
      },
    );
    this.sync.start();
    this.armStaleTimer();
  }

  /**
   * Waits until a rule set is in force — the server's, or the bootstrap when the
   * server cannot be reached — and resolves `true`; resolves `false` after
   * `timeoutMs` (default: the `readyTimeoutMs` option), or at once when the
   * SDK key is refused and there is no bootstrap (see {@link refused}). Never
   * rejects; the client keeps trying in the background and answers with the
   * defaults meanwhile.
   *
   * @example
   * if (!(await slipway.ready(5_000))) log.warn('flags unavailable, using defaults');
   */
  ready(timeoutMs: number = this.readyTimeoutMs): Promise<boolean> {
    if (this.initialized) return Promise.resolve(true);
    if (this.fatalError || this.closed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.readyWaiters.delete(done);
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), Math.max(0, timeoutMs));
      timer.unref?.();
      this.readyWaiters.add(done);
    });
  }

  /**
   * Whether a rule set is in force (evaluations answer from it).
   *
   * @example
   * if (!slipway.isReady) log.warn('answering flag defaults');
   */
  get isReady(): boolean {
    return this.initialized;
  }

  /**
   * Whether the client has given up contacting the server: the SDK key was
   * refused (401/403), or `url`/`sdkKey` were missing. It keeps answering from
   * what it has.
   *
   * @example
   * if (slipway.refused) log.error('check SLIPWAY_SDK_KEY: it must be a server key');
   */
  get refused(): boolean {
    return this.fatalError;
  }

  /**
   * The version of the rule set in force (`undefined` before any, or for a bootstrap without one).
   *
   * @example
   * log.info(`flags at version ${slipway.version}`);
   */
  get version(): string | undefined {
    return this.state.version;
  }

  /**
   * Listens to an event:
   * - `ready` — a rule set is in force; again after recovering from `stale` or `error`;
   * - `change` — `{ version, flagKeys }` after each update that changed flags;
   * - `error` — the server could not be reached (once per outage), refused the key, or sent something unusable;
   * - `stale` — nothing heard from the server for `staleAfterMs`.
   *
   * @example
   * slipway.on('change', ({ flagKeys }) => log.info(`flags changed: ${flagKeys.join(', ')}`));
   */
  on<K extends keyof ClientEvents>(event: K, listener: Listeners<ClientEvents>[K]): this {
    this.emitter.on(event, listener);
    return this;
  }

  /**
   * Removes a listener added with {@link on}.
   *
   * @example
   * slipway.off('change', onChange);
   */
  off<K extends keyof ClientEvents>(event: K, listener: Listeners<ClientEvents>[K]): this {
    this.emitter.off(event, listener);
    return this;
  }

  /**
   * Counts a request (and whether it failed, how long it took) for a version and/or a flag variant,
   * for Slipway's rollout analysis; sent to `POST /api/v1/metrics` in the background, per minute.
   * With `flag` and `context` but no `variant`, the variant served to that context is counted.
   * Never throws; does nothing offline.
   *
   * @example
   * slipway.track({ flag: 'new-checkout', context: { targetingKey: user.id }, error: res.statusCode >= 500, latencyMs: 42 });
   */
  track(event: TrackEvent): void {
    if (this.metrics === undefined) return;
    let variant = event.variant;
    if (variant === undefined && event.flag !== undefined && event.context !== undefined) variant = this.evaluate(event.flag, undefined, event.context, undefined).variant;
    const { context: _context, ...rest } = event;
    this.metrics.add(variant === undefined ? rest : { ...rest, variant });
  }

  /**
   * Sends the metrics counted so far (see {@link track}) now.
   *
   * @example
   * await slipway.flushMetrics();
   */
  flushMetrics(): Promise<void> {
    return this.metrics?.flush() ?? Promise.resolve();
  }

  /**
   * Closes the stream and stops every timer. Evaluations keep answering from
   * the last rule set.
   *
   * @example
   * process.on('SIGTERM', () => slipway.close());
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.metrics?.close();
    this.sync?.stop();
    if (this.staleTimer !== undefined) clearTimeout(this.staleTimer);
    for (const waiter of [...this.readyWaiters]) waiter(this.initialized);
    this.emitter.clear();
  }

  private loadBootstrap(bootstrap: unknown): void {
    try {
      const value: unknown = typeof bootstrap === 'string' ? JSON.parse(fs.readFileSync(bootstrap, 'utf8')) : bootstrap;
      this.state.replace(value);
      this.ev = this.state.evaluator;
      this.fromBootstrap = true;
    } catch (e) {
      this.logger.error(`slipway: the bootstrap rule set could not be loaded: ${messageOf(e)}`);
    }
  }

  private markInitialized(): void {
    if (this.initialized) return;
    this.initialized = true;
    for (const waiter of [...this.readyWaiters]) waiter(true);
    this.emitter.emit('ready', { version: this.state.version });
  }

  private onApplied(change: AppliedChange): void {
    this.ev = this.state.evaluator;
    this.fromBootstrap = false;
    if (!this.initialized) {
      this.markInitialized();
      return;
    }
    if (change.changedKeys.length > 0) this.emitter.emit('change', { version: change.version, flagKeys: change.changedKeys });
  }

  private onHeard(): void {
    this.lastHeardAt = this.now();
    const recovered = this.errorReported || this.staleReported;
    this.errorReported = false;
    this.staleReported = false;
    if (recovered && this.initialized) this.emitter.emit('ready', { version: this.state.version });
  }

  private onFailed(error: Error, fatal: boolean): void {
    if (fatal) {
      this.fatalError = true;
      if (this.staleTimer !== undefined) clearTimeout(this.staleTimer);
      if (this.fromBootstrap) this.markInitialized();
      for (const waiter of [...this.readyWaiters]) waiter(this.initialized);
    } else if (this.errorReported) {
      return; // once per outage
    }
    this.logger.warn(`slipway: ${error.message}`);
    this.errorReported = true;
    this.emitter.emit('error', error);
  }

  private armStaleTimer(): void {
    const check = () => {
      if (this.closed || this.fatalError) return;
      const silent = this.now() - this.lastHeardAt;
      if (silent >= this.staleAfterMs && !this.staleReported) {
        this.staleReported = true;
        this.emitter.emit('stale', { lastHeardAt: this.lastHeardAt });
      }
      const wait = silent >= this.staleAfterMs ? this.staleAfterMs : this.staleAfterMs - silent;
      this.staleTimer = setTimeout(check, Math.max(10, wait));
      this.staleTimer.unref?.();
    };
    this.staleTimer = setTimeout(check, this.staleAfterMs);
    this.staleTimer.unref?.();
  }
}
