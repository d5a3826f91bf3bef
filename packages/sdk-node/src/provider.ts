/**
 * An OpenFeature provider for `@openfeature/server-sdk` (a peer dependency)
 * backed by a {@link SlipwayClient}: local evaluation, with the client's
 * events passed on as provider events.
 */
import { ErrorCode, OpenFeatureEventEmitter, ProviderEvents, ProviderFatalError } from '@openfeature/server-sdk';
import type { EvaluationContext, JsonValue, Provider, ProviderMetadata, ResolutionDetails } from '@openfeature/server-sdk';
import type { FlagValue, VariantType } from '@slipway/flag-engine';
import { SlipwayClient } from './client.js';
import type { SlipwayClientOptions } from './options.js';
import { trackingEvent } from './tracking.js';

/** Options of {@link SlipwayProvider} beyond those of the client. */
export interface SlipwayProviderOptions {
  /** How long `initialize` waits for a rule set before reporting an error (the client keeps trying). Default: the client's `readyTimeoutMs`. */
  readyTimeoutMs?: number;
}

const ERROR_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/**
 * Slipway as an OpenFeature provider. Evaluates locally; emits
 * `PROVIDER_CONFIGURATION_CHANGED` (with `flagsChanged`) on every rule set
 * change, `PROVIDER_STALE` when the server has not been heard from for a
 * while, `PROVIDER_ERROR` on connection or key errors, and `PROVIDER_READY`
 * when it recovers. Closing the provider closes its client.
 *
 * @example
 * import { OpenFeature } from '@openfeature/server-sdk';
 * import { SlipwayProvider } from '@slipway/sdk-node';
 *
 * await OpenFeature.setProviderAndWait(new SlipwayProvider({ url: 'https://slipway.example.com', sdkKey: process.env.SLIPWAY_SDK_KEY }));
 * const flags = OpenFeature.getClient();
 * const on = await flags.getBooleanValue('new-checkout', false, { targetingKey: user.id, company: user.company });
 */
export class SlipwayProvider implements Provider {
  readonly metadata: ProviderMetadata = { name: 'slipway' };
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  /** The client the provider evaluates with. */
  readonly client: SlipwayClient;
  private readonly readyTimeoutMs: number | undefined;
  /** Until `initialize` settles, the SDK itself announces readiness: forwarding `ready` then would announce it twice. */
  private initialized = false;

  /**
   * @param clientOrOptions an existing {@link SlipwayClient}, or the options to create one
   *
   * @example
   * const provider = new SlipwayProvider(new SlipwayClient({ offline: true, bootstrap: './flags.json' }));
   */
  constructor(clientOrOptions: SlipwayClient | SlipwayClientOptions, options: SlipwayProviderOptions = {}) {
    this.client = clientOrOptions instanceof SlipwayClient ? clientOrOptions : new SlipwayClient(clientOrOptions);
    this.readyTimeoutMs = options.readyTimeoutMs;
    this.client.on('ready', () => {
      if (this.initialized) this.events.emit(ProviderEvents.Ready, {});
    });
    this.client.on('change', ({ flagKeys }) => this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: flagKeys }));
    this.client.on('stale', () => this.events.emit(ProviderEvents.Stale, { message: 'no news from the Slipway server' }));
    this.client.on('error', (error) => {
      if (this.initialized) this.events.emit(ProviderEvents.Error, { message: error.message });
    });
  }

  /**
   * Called by OpenFeature when the provider is set: waits for the first rule
   * set. Rejects (the provider's status becomes ERROR, or FATAL for a refused
   * key) when none arrives in time; a later rule set then emits READY.
   */
  async initialize(): Promise<void> {
    const ok = await this.client.ready(this.readyTimeoutMs);
    this.initialized = true;
    if (ok) return;
    if (this.client.refused) throw new ProviderFatalError('the Slipway SDK key was refused');
    throw new Error('no Slipway rule set arrived in time; retrying in the background');
  }

  /** Called by OpenFeature when the provider is replaced or OpenFeature is closed: closes the client. */
  async onClose(): Promise<void> {
    this.client.close();
  }

  /**
   * OpenFeature tracking: counts one request for Slipway's rollout analysis (an `error` event, or
   * `details.error: true`, counts an error; `details.value` or `details.latencyMs` is the latency;
   * `details.flag`, `details.variant`, `details.version` pick the series).
   *
   * @example
   * OpenFeature.getClient().track('request', { targetingKey: user.id }, { flag: 'new-checkout', value: 42 });
   */
  track(trackingEventName: string, context: EvaluationContext, trackingEventDetails: Record<string, unknown>): void {
    this.client.track(trackingEvent(trackingEventName, context as never, trackingEventDetails));
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    return Promise.resolve(this.resolve(flagKey, defaultValue, context, 'boolean'));
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>> {
    return Promise.resolve(this.resolve(flagKey, defaultValue, context, 'string'));
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): Promise<ResolutionDetails<number>> {
    return Promise.resolve(this.resolve(flagKey, defaultValue, context, 'number'));
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext): Promise<ResolutionDetails<T>> {
    return Promise.resolve(this.resolve(flagKey, defaultValue, context, 'object'));
  }

  private resolve<T>(flagKey: string, defaultValue: T, context: EvaluationContext, type: VariantType): ResolutionDetails<T> {
    const r = this.client.evaluate(flagKey, defaultValue as FlagValue, context, type);
    const out: ResolutionDetails<T> = { value: r.value as T, reason: r.reason };
    if (r.variant !== undefined) out.variant = r.variant;
    if (r.flagMetadata !== undefined) out.flagMetadata = r.flagMetadata;
    if (r.errorCode !== undefined) {
      out.errorCode = (ERROR_CODES.has(r.errorCode) ? r.errorCode : ErrorCode.GENERAL) as ErrorCode;
      if (r.errorMessage !== undefined) out.errorMessage = r.errorMessage;
    }
    return out;
  }
}
