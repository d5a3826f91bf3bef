/**
 * The evaluation API of {@link SlipwayClient}: typed values, details, and the flag gates
 * (`when`, `@requireFlag`, `@fallback`). Everything answers from the compiled rule set in
 * memory, never throws and never waits.
 */
import type { EvaluationContext, EvaluationResult, Evaluator, FlagValue, JsonStructure, VariantType } from '@slipway/flag-engine';
import { fallback, requireFlag, when } from './flag-gates.js';
import type { FallbackDecorator, FlagMethodDecorator, RequireFlagOptions, WhenOptions } from './flag-gates.js';
import type { EvaluationDetails, Logger } from './options.js';

const NOT_READY_MESSAGE = 'no rule set is loaded yet';
const INVALID = Symbol('invalid context');

/**
 * The context as the server's OFREP reads it, so that local and remote answers agree: `null` is
 * no context; something that is not an object, or a `targetingKey` that is not a string, is
 * INVALID_CONTEXT (whatever the flag).
 */
function checked(context: unknown): EvaluationContext | undefined | typeof INVALID {
  if (context === undefined || context === null) return undefined;
  if (typeof context !== 'object' || Array.isArray(context)) return INVALID;
  const key = (context as { targetingKey?: unknown }).targetingKey;
  return key === undefined || typeof key === 'string' ? (context as EvaluationContext) : INVALID;
}

function typeOf(value: unknown): VariantType | undefined {
  switch (typeof value) {
    case 'boolean':
    case 'string':
    case 'number':
      return typeof value as VariantType;
    case 'object':
      return value === null ? undefined : 'object';
    default:
      return undefined;
  }
}

export function messageOf(e: unknown): string {
  try {
    return e instanceof Error ? e.message : String(e);
  } catch {
    return 'unknown error';
  }
}

/** The evaluation methods shared by every Slipway client. */
export abstract class FlagEvaluations {
  /** The compiled rule set in force, held here so that the hot path is one field read away. */
  protected ev: Evaluator | undefined = undefined;

  constructor(protected readonly logger: Logger) {}

  /**
   * Evaluates a boolean flag; answers `defaultValue` when the flag is missing,
   * not boolean, or anything else goes wrong.
   *
   * @example
   * const enabled = slipway.getBooleanValue('new-checkout', false, { targetingKey: 'user-1', company: 'acme' });
   */
  getBooleanValue(flagKey: string, defaultValue: boolean, context?: EvaluationContext): boolean {
    const evaluator = this.ev;
    if (evaluator === undefined) return defaultValue;
    try {
      const ctx = checked(context);
      if (ctx === INVALID) return defaultValue;
      return evaluator.evaluate(flagKey, ctx, defaultValue, 'boolean').value as boolean;
    } catch {
      return defaultValue;
    }
  }

  /**
   * Evaluates a string flag; answers `defaultValue` on any error.
   *
   * @example
   * const flavor = slipway.getStringValue('flavor', 'standard', { targetingKey: user.id, company: user.company });
   */
  getStringValue(flagKey: string, defaultValue: string, context?: EvaluationContext): string {
    return this.value(flagKey, defaultValue, context, 'string') as string;
  }

  /**
   * Evaluates a number flag; answers `defaultValue` on any error.
   *
   * @example
   * const limit = slipway.getNumberValue('upload-limit-mb', 10, { targetingKey: 'user-1' });
   */
  getNumberValue(flagKey: string, defaultValue: number, context?: EvaluationContext): number {
    return this.value(flagKey, defaultValue, context, 'number') as number;
  }

  /**
   * Evaluates a JSON (object or array) flag; answers `defaultValue` on any error.
   * The returned value is frozen and shared: copy it before changing it.
   *
   * @example
   * const theme = slipway.getObjectValue('theme', { color: 'blue' }, { targetingKey: 'user-1' });
   */
  getObjectValue<T extends JsonStructure>(flagKey: string, defaultValue: T, context?: EvaluationContext): T {
    return this.value(flagKey, defaultValue, context, 'object') as T;
  }

  /**
   * Evaluates a flag and tells how: the value, the variant, the reason
   * (`TARGETING_MATCH`, `SPLIT`, `DEFAULT`, `STATIC`, `DISABLED`, `ERROR`) and,
   * when the default was served because of an error, the error code. The
   * expected type is the type of `defaultValue` (no check when it is
   * `undefined` or `null`).
   *
   * @example
   * const d = slipway.getDetails('new-checkout', false, { targetingKey: 'user-1' });
   * // { flagKey: 'new-checkout', value: true, variant: 'on', reason: 'SPLIT' }
   */
  getDetails<T extends FlagValue | undefined>(flagKey: string, defaultValue: T, context?: EvaluationContext): EvaluationDetails<T> {
    const r = this.evaluate(flagKey, defaultValue, context, typeOf(defaultValue));
    const out: { -readonly [K in keyof EvaluationDetails<T>]: EvaluationDetails<T>[K] } = {
      flagKey,
      value: r.value as T,
      reason: r.reason,
    };
    if (r.variant !== undefined) out.variant = r.variant;
    if (r.errorCode !== undefined) out.errorCode = r.errorCode;
    if (r.errorMessage !== undefined) out.errorMessage = r.errorMessage;
    if (r.flagMetadata !== undefined) out.flagMetadata = r.flagMetadata;
    return out;
  }

  /**
   * The engine's result for a flag, with the expected type given explicitly;
   * used by the OpenFeature provider. Never throws.
   *
   * @example
   * const r = slipway.evaluate('flavor', 'standard', { targetingKey: 'user-1' }, 'string');
   */
  evaluate(
    flagKey: string,
    defaultValue: FlagValue | undefined,
    context: EvaluationContext | undefined,
    expectedType: VariantType | undefined,
  ): EvaluationResult | (Omit<EvaluationResult, 'errorCode'> & { errorCode: 'PROVIDER_NOT_READY' }) {
    const evaluator = this.ev;
    if (evaluator === undefined) {
      return { value: defaultValue, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY', errorMessage: NOT_READY_MESSAGE };
    }
    try {
      const ctx = checked(context);
      if (ctx === INVALID) {
        return { value: defaultValue, reason: 'ERROR', errorCode: 'INVALID_CONTEXT', errorMessage: 'the context must be an object whose "targetingKey", when present, is a string' };
      }
      return evaluator.evaluate(flagKey, ctx, defaultValue, expectedType);
    } catch (e) {
      // The engine does not throw; this guards the promise made to callers all the same.
      return { value: defaultValue, reason: 'ERROR', errorCode: 'GENERAL', errorMessage: messageOf(e) };
    }
  }

  /**
   * Whether a boolean flag is on for a context (`false` when it cannot be evaluated).
   *
   * @example
   * if (slipway.isEnabled('new_query_engine', { targetingKey: user.id })) …
   */
  isEnabled(flagKey: string, context?: EvaluationContext): boolean {
    return this.getBooleanValue(flagKey, false, context);
  }

  /**
   * A function that calls `on` while a boolean flag is on and `off` otherwise, deciding per call;
   * it never throws and never waits for the network.
   *
   * @example
   * const processQuery = slipway.when('new_query_engine', processQueryV2, processQueryLegacy, {
   *   context: (query: Query) => ({ targetingKey: query.userId }),
   * });
   */
  when<Args extends unknown[], R>(flagKey: string, on: (...args: Args) => R, off: (...args: Args) => R, options?: WhenOptions<Args>): (...args: Args) => R {
    return when(this, flagKey, on, off, options, (e) => this.logger.warn(`slipway: the context for ${flagKey} could not be built: ${messageOf(e)}`));
  }

  /**
   * A TypeScript (standard, TS 5) method decorator: the method runs while a boolean flag is on;
   * otherwise its fallback runs (`options.fallback`, or the method marked
   * `@slipway.fallback(flagKey)`). See {@link fallback}.
   *
   * @example
   * class QueryService {
   *   @slipway.requireFlag('new_query_engine', { context: (q: Query) => ({ targetingKey: q.userId }) })
   *   processQuery(q: Query) { return newEngine.run(q); }
   *
   *   @slipway.fallback('new_query_engine')
   *   processQueryLegacy(q: Query) { return legacyEngine.run(q); }
   * }
   */
  requireFlag(flagKey: string, options?: RequireFlagOptions): FlagMethodDecorator {
    return requireFlag(this, flagKey, options, (e) => this.logger.warn(`slipway: the context for ${flagKey} could not be built: ${messageOf(e)}`));
  }

  /**
   * Marks the method that runs instead of the `@requireFlag(flagKey)` method while the flag is off.
   *
   * @example
   * @slipway.fallback('new_query_engine')
   * processQueryLegacy(q: Query) { … }
   */
  fallback(flagKey: string): FallbackDecorator {
    return fallback(flagKey);
  }

  protected value(flagKey: string, defaultValue: FlagValue, context: EvaluationContext | undefined, type: VariantType): FlagValue {
    const evaluator = this.ev;
    if (evaluator === undefined) return defaultValue;
    try {
      const ctx = checked(context);
      if (ctx === INVALID) return defaultValue;
      return evaluator.evaluate(flagKey, ctx, defaultValue, type).value as FlagValue;
    } catch {
      return defaultValue;
    }
  }
}
