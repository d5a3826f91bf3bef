/**
 * Options and public types of {@link SlipwayClient}.
 */
import type { ErrorCode, FlagMetadata, FlagValue, Reason, RuleSet } from '@slipway/flag-engine';
import type { FetchLike } from './http.js';

/** Where the SDK writes what went wrong; `console` by default (warnings and errors only). */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info?(message: string): void;
  debug?(message: string): void;
}

/** Options of {@link SlipwayClient}. */
export interface SlipwayClientOptions {
  /** The Slipway server, e.g. `https://slipway.example.com` (required unless `offline`). */
  url?: string;
  /** A **server** SDK key of one project and environment (required unless `offline`). */
  sdkKey?: string;
  /**
   * A rule set to answer from until the server's arrives, and whenever the server is
   * unreachable at start: the object itself, or the path of a JSON file holding it
   * (e.g. a saved `GET /api/v1/sdk/flags` response).
   */
  bootstrap?: RuleSet | string;
  /** Never contact the server: answer from `bootstrap` (or with the defaults when there is none). */
  offline?: boolean;
  /** How often to poll `GET /api/v1/sdk/flags` while the stream is down. Default 30,000 ms. */
  pollIntervalMs?: number;
  /** The first stream reconnect delay; it doubles per failure (with jitter) up to `streamMaxRetryMs`. Default 1,000 ms. */
  streamInitialRetryMs?: number;
  /** The longest stream reconnect delay. Default 30,000 ms. */
  streamMaxRetryMs?: number;
  /** With no bytes on the stream for this long the connection is dropped and retried. Default 45,000 ms (three heartbeats). */
  streamReadTimeoutMs?: number;
  /** Not having heard from the server for this long emits `stale`. Default 60,000 ms. */
  staleAfterMs?: number;
  /** How long {@link SlipwayClient.ready} waits by default. Default 10,000 ms. */
  readyTimeoutMs?: number;
  /** Timeout of one poll request. Default 10,000 ms. */
  requestTimeoutMs?: number;
  /** Where to log; `console` (warnings and errors) by default. */
  logger?: Logger;
  /** The `fetch` to use; the global one by default. */
  fetch?: FetchLike;
  /** A source of numbers in [0, 1) for backoff jitter; `Math.random` by default. */
  random?: () => number;
  /** The current time in ms; `Date.now` by default. */
  now?: () => number;
  /** How often {@link SlipwayClient.track}ed metrics are sent. Default 10,000 ms. */
  metricsFlushIntervalMs?: number;
}

/** Error codes of a result: the engine's, plus `PROVIDER_NOT_READY` before any rule set is loaded. */
export type SdkErrorCode = ErrorCode | 'PROVIDER_NOT_READY';

/** The full outcome of one evaluation, as returned by {@link SlipwayClient.getDetails}. */
export interface EvaluationDetails<T extends FlagValue | undefined = FlagValue | undefined> {
  readonly flagKey: string;
  /** The served value, or the caller's default when `errorCode` is set. */
  readonly value: T;
  readonly variant?: string;
  readonly reason: Reason;
  readonly errorCode?: SdkErrorCode;
  readonly errorMessage?: string;
  readonly flagMetadata?: FlagMetadata;
}

/** The payload of the `change` event. */
export interface ChangeEvent {
  /** The version of the rule set now in force. */
  readonly version: string | undefined;
  /** Flags whose answers may have changed (added, removed, reconfigured, or using a changed segment). */
  readonly flagKeys: string[];
}

/** The payload of the `stale` event. */
export interface StaleEvent {
  /** When the SDK last heard from the server (ms since the epoch; from `now`). */
  readonly lastHeardAt: number;
}

/** Events of {@link SlipwayClient}. */
export interface ClientEvents {
  /** A rule set is in force; emitted again when the server is heard from after `stale` or `error`. */
  ready: { readonly version: string | undefined };
  change: ChangeEvent;
  /** Talking to the server failed (once per outage) or it sent something unusable; answers continue from the last rule set. */
  error: Error;
  stale: StaleEvent;
}
