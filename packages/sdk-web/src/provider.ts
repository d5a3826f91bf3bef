/**
 * Slipway as an OpenFeature web provider (static context): the flags of the current context
 * come from one OFREP bulk evaluation and are kept current by its event stream; every
 * evaluation is answered from memory, synchronously, and never throws.
 */
import { ErrorCode, OpenFeatureEventEmitter, ProviderEvents, ProviderFatalError } from '@openfeature/web-sdk';
import type { EvaluationContext, JsonValue, Provider, ResolutionDetails } from '@openfeature/web-sdk';
import { OfrepError } from './ofrep.js';
import type { Bootstrap, FetchLike, OfrepFlag } from './ofrep.js';
import { Sync } from './sync.js';

/** Options of {@link SlipwayWebProvider}. */
export interface SlipwayWebOptions {
  /** Slipway's base URL, e.g. `https://slipway.example.com` (the OFREP endpoints are under it). */
  url: string;
  /** A **client** SDK key of the project and environment (public; it never sees rules). */
  clientKey: string;
  /** Flags rendered by the server for this page (see `fetchBootstrap`): answers before the first request. */
  bootstrap?: Bootstrap;
  /** Polling interval while the event stream is unavailable (default 30 s). */
  pollIntervalMs?: number;
  /** First stream reconnection delay (default 1 s), doubling up to `maxRetryMs` (default 60 s). */
  retryMs?: number;
  maxRetryMs?: number;
  /** A stream silent this long is reconnected (default 45 s; the server pings every 15 s). */
  streamReadTimeoutMs?: number;
  /** Close the event stream after the page is hidden this long (default: what the server advertises, 120 s). */
  inactivityDelaySec?: number;
  /** For tests and other runtimes; the global `fetch` by default. */
  fetch?: FetchLike;
}

const SERVER_KEY =
  'This is a Slipway server SDK key (sdk-srv-…): it sees every rule and must never reach a browser. Revoke it and create a client key (sdk-cli-…) for the web.';

type Kind = 'boolean' | 'string' | 'number' | 'object';

function kindOf(value: unknown): Kind | undefined {
  const t = typeof value;
  if (t === 'boolean' || t === 'string' || t === 'number') return t;
  return t === 'object' && value !== null ? 'object' : undefined;
}

const CODES = new Set<string>(Object.values(ErrorCode));

/**
 * An OpenFeature web provider for Slipway.
 *
 * @example
 * import { OpenFeature } from '@openfeature/web-sdk';
 * import { SlipwayWebProvider } from '@slipway/sdk-web';
 *
 * await OpenFeature.setProviderAndWait(new SlipwayWebProvider({ url: 'https://slipway.example.com', clientKey: 'sdk-cli-…' }), { targetingKey: user.id });
 * const showNewUi = OpenFeature.getClient().getBooleanValue('new_query_ui', false);
 */
export class SlipwayWebProvider implements Provider {
  readonly metadata = { name: 'slipway' } as const;
  readonly runsOn = 'client' as const;
  readonly events = new OpenFeatureEventEmitter();
  /** The refusal of a server key, when one was given. */
  readonly keyError: string | undefined;
  private flags = new Map<string, OfrepFlag>();
  private requestError: { errorCode: string; errorDetails: string } | undefined;
  private loaded = false;
  private failing = false;
  private readonly listeners = new Set<() => void>();
  /** Counts changes of the flags in memory (React re-renders on it). */
  version = 0;
  private sync: Sync | undefined;
  private readonly options: SlipwayWebOptions;

  constructor(options: SlipwayWebOptions) {
    this.options = options;
    if (typeof options.clientKey === 'string' && options.clientKey.startsWith('sdk-srv-')) {
      this.keyError = SERVER_KEY;
      console.error(`Slipway: ${SERVER_KEY}`);
    }
    if (options.bootstrap !== undefined && Array.isArray(options.bootstrap.flags)) {
      this.install(options.bootstrap.flags);
      this.requestError = options.bootstrap.error;
      this.loaded = true;
    }
  }

  /** Whether flags are in memory (from the bootstrap or the server). */
  get ready(): boolean {
    return this.loaded;
  }

  /** Whether the event stream is connected (otherwise changes arrive by polling). */
  get streaming(): boolean {
    return this.sync?.streaming ?? false;
  }

  /**
   * Called by OpenFeature when the provider is set: fetches the flags of `context` and starts
   * listening. With a bootstrap it resolves at once and fetches in the background. A server key
   * is refused here (the provider becomes FATAL; evaluations answer their defaults).
   */
  async initialize(context: EvaluationContext = {}): Promise<void> {
    if (this.keyError !== undefined) throw new ProviderFatalError(this.keyError);
    const o = this.options;
    this.sync ??= new Sync(
      {
        baseUrl: String(o.url).replace(/\/+$/, ''),
        clientKey: o.clientKey,
        fetch: o.fetch ?? ((url, init) => globalThis.fetch(url, init)),
        pollIntervalMs: o.pollIntervalMs ?? 30_000,
        retryMs: o.retryMs ?? 1_000,
        maxRetryMs: o.maxRetryMs ?? 60_000,
        streamReadTimeoutMs: o.streamReadTimeoutMs ?? 45_000,
        inactivityDelaySec: o.inactivityDelaySec,
      },
      {
        answer: (answer) => {
          const before = this.flags;
          const requestError = this.requestError;
          if (answer.status === 200) {
            this.requestError = undefined;
            this.install(answer.flags);
          } else {
            this.requestError = { errorCode: answer.errorCode, errorDetails: answer.errorDetails };
          }
          const first = !this.loaded;
          this.loaded = true;
          const changed = changedKeys(before, this.flags, requestError !== this.requestError);
          if (!first && changed.length > 0) this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: changed });
          if (first || changed.length > 0) this.notify();
        },
        heard: () => {
          if (this.failing) {
            this.failing = false;
            this.events.emit(ProviderEvents.Ready);
          }
        },
        failed: (error: OfrepError) => {
          if (error.fatal) this.events.emit(ProviderEvents.Error, { message: error.message, errorCode: ErrorCode.PROVIDER_FATAL });
          else if (!this.failing && this.loaded) this.events.emit(ProviderEvents.Error, { message: error.message });
          this.failing = true;
        },
      },
    );
    const first = this.sync.start(flat(context));
    if (this.loaded) {
      first.catch(() => {}); // the bootstrap answers meanwhile; failures were reported
      return;
    }
    try {
      await first;
    } catch (e) {
      if (e instanceof OfrepError && e.fatal) throw new ProviderFatalError(`Slipway refused the client key: ${e.message}`);
      throw e;
    }
  }

  /** The static context changed (a user logged in): fetch that context's flags. */
  async onContextChange(_old: EvaluationContext, next: EvaluationContext): Promise<void> {
    await this.sync?.start(flat(next));
  }

  async onClose(): Promise<void> {
    this.sync?.stop();
    this.sync = undefined;
  }

  /**
   * Calls `listener` after every change of the flags in memory; returns the unsubscribe function
   * (what React's useSyncExternalStore wants).
   */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The evaluation of a flag from memory: OpenFeature's resolution details. Never throws. */
  resolve<T>(flagKey: string, defaultValue: T, kind?: Kind): ResolutionDetails<T> {
    const fail = (errorCode: string, errorMessage: string): ResolutionDetails<T> => ({
      value: defaultValue,
      reason: 'ERROR',
      errorCode: (CODES.has(errorCode) ? errorCode : ErrorCode.GENERAL) as ErrorCode,
      errorMessage,
    });
    if (this.keyError !== undefined) return fail(ErrorCode.PROVIDER_FATAL, this.keyError);
    if (this.requestError !== undefined) return fail(this.requestError.errorCode, this.requestError.errorDetails);
    if (!this.loaded) return fail(ErrorCode.PROVIDER_NOT_READY, 'the flags have not been fetched yet');
    const f = this.flags.get(flagKey);
    if (f === undefined) return fail(ErrorCode.FLAG_NOT_FOUND, `flag "${flagKey}" not found`);
    if (f.errorCode !== undefined) return fail(f.errorCode, f.errorDetails ?? f.errorCode);
    // A disabled flag without an off variant has no value: the caller's default, as the server says.
    const value = f.value === undefined ? defaultValue : f.value;
    const expected = kind ?? kindOf(defaultValue);
    if (expected !== undefined && kindOf(value) !== expected) return fail(ErrorCode.TYPE_MISMATCH, `flag "${flagKey}" is not a ${expected}`);
    const out: ResolutionDetails<T> = { value: value as T, reason: f.reason ?? 'UNKNOWN' };
    if (f.variant !== undefined) out.variant = f.variant;
    if (f.metadata !== undefined) out.flagMetadata = f.metadata;
    return out;
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean): ResolutionDetails<boolean> {
    return this.resolve(flagKey, defaultValue, 'boolean');
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string): ResolutionDetails<string> {
    return this.resolve(flagKey, defaultValue, 'string');
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number): ResolutionDetails<number> {
    return this.resolve(flagKey, defaultValue, 'number');
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T): ResolutionDetails<T> {
    return this.resolve(flagKey, defaultValue, 'object');
  }

  private install(flags: OfrepFlag[]): void {
    const next = new Map<string, OfrepFlag>();
    for (const f of flags) next.set(f.key, Object.freeze(f));
    this.flags = next;
  }

  private notify(): void {
    this.version++;
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (e) {
        console.error('Slipway: a flag listener failed', e);
      }
    }
  }
}

/** OFREP contexts are flat JSON; dates become ISO strings. */
function flat(context: EvaluationContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(context ?? {})) out[k] = v instanceof Date ? v.toISOString() : v;
  return out;
}

function changedKeys(before: Map<string, OfrepFlag>, after: Map<string, OfrepFlag>, all: boolean): string[] {
  const out: string[] = [];
  for (const [key, f] of after) if (all || JSON.stringify(before.get(key)) !== JSON.stringify(f)) out.push(key);
  for (const key of before.keys()) if (!after.has(key)) out.push(key);
  return out;
}
