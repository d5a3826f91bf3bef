/**
 * @slipway/sdk-node — Slipway's server-side SDK for Node: local flag evaluation
 * kept current over the server's event stream, and an OpenFeature provider.
 *
 * @example
 * import { SlipwayClient } from '@slipway/sdk-node';
 * const slipway = new SlipwayClient({ url: 'https://slipway.example.com', sdkKey: process.env.SLIPWAY_SDK_KEY });
 * await slipway.ready();
 * const flavor = slipway.getStringValue('flavor', 'standard', { targetingKey: user.id, company: user.company });
 */
export { SlipwayClient } from './client.js';
export { SlipwayProvider } from './provider.js';
export { slipwayMetrics } from './middleware.js';
export type { MiddlewareOptions, Tracker } from './middleware.js';
export { LATENCY_BUCKETS_MS } from './metrics.js';
export type { TrackEvent } from './metrics.js';
export { fallback, requireFlag, when } from './flag-gates.js';
export type { BooleanFlags, ContextFrom, FallbackDecorator, FlagMethodDecorator, RequireFlagOptions, WhenOptions } from './flag-gates.js';
export type { SlipwayProviderOptions } from './provider.js';
export { SseParser } from './sse-parser.js';
export type { SseEvent, SseHandlers } from './sse-parser.js';
export { Backoff } from './backoff.js';
export { SdkHttpError } from './http.js';
export type { FetchLike } from './http.js';
export type { RuleSetPatch } from './rule-set-state.js';
export type {
  ChangeEvent,
  ClientEvents,
  EvaluationDetails,
  Logger,
  SdkErrorCode,
  SlipwayClientOptions,
  StaleEvent,
} from './options.js';
export type { EvaluationContext, FlagValue, JsonStructure, RuleSet } from '@slipway/flag-engine';
