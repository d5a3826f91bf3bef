/**
 * Seed 002's backend pattern — `@FeatureFlags.require("new_query_engine")` on the new code,
 * `@FeatureFlags.fallback("new_query_engine")` on the legacy one — as TypeScript standard
 * decorators, and the same choice as a plain function (`when`). Choosing never throws and never
 * waits: the flag is evaluated locally, and anything that goes wrong picks the fallback.
 */
import type { EvaluationContext } from '@slipway/flag-engine';

/** What the gates need from a client: a local, never-throwing boolean evaluation. */
export interface BooleanFlags {
  getBooleanValue(flagKey: string, defaultValue: boolean, context?: EvaluationContext): boolean;
}

/** The evaluation context for a call: a fixed one, or one derived from the call's arguments (and `this`). */
export type ContextFrom<This, Args extends unknown[]> = EvaluationContext | ((this: This, ...args: Args) => EvaluationContext | undefined);

export interface WhenOptions<Args extends unknown[]> {
  /** Who the flag is evaluated for; none by default (an on/off flag for everyone). */
  context?: ContextFrom<unknown, Args>;
  /** The answer when the flag cannot be evaluated; `false` (the fallback) by default. */
  defaultValue?: boolean;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- options apply to whatever method they decorate */
export interface RequireFlagOptions {
  /** Who the flag is evaluated for, from the method's arguments (and `this`). */
  context?: EvaluationContext | ((this: any, ...args: any[]) => EvaluationContext | undefined);
  /**
   * What runs when the flag is off: the name of another method of the instance, or a function
   * (called with the same `this` and arguments). Without it, the method marked
   * `@fallback(sameFlag)` on the same instance runs; with neither, the call answers `undefined`.
   */
  fallback?: string | ((this: any, ...args: any[]) => unknown);
  defaultValue?: boolean;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

type Method<This, Args extends unknown[], R> = (this: This, ...args: Args) => R;

/** A standard (TS 5) method decorator that keeps the method's type. */
export type FlagMethodDecorator = <This, Args extends unknown[], R>(
  method: Method<This, Args, R>,
  context: ClassMethodDecoratorContext<This, Method<This, Args, R>>,
) => Method<This, Args, R>;

/** A standard method decorator that only registers the method. */
export type FallbackDecorator = <This, Args extends unknown[], R>(method: Method<This, Args, R>, context: ClassMethodDecoratorContext<This, Method<This, Args, R>>) => void;

function contextFor<This, Args extends unknown[]>(from: ContextFrom<This, Args> | undefined, self: This, args: Args, onError: (e: unknown) => void): EvaluationContext | undefined | null {
  if (typeof from !== 'function') return from;
  try {
    return from.apply(self, args);
  } catch (e) {
    onError(e);
    return null; // cannot say who this is for: the fallback runs
  }
}

/** Fallback methods registered per instance by `@fallback(flag)`. */
const fallbacks = new WeakMap<object, Map<string, Method<unknown, unknown[], unknown>>>();

/**
 * `on` or `off` per call, by a flag: `flags.when('new_query_engine', newImpl, legacyImpl)`.
 *
 * @example
 * export const processQuery = slipway.when('new_query_engine', processQueryV2, processQueryLegacy, {
 *   context: (query: Query) => ({ targetingKey: query.userId, company: query.company }),
 * });
 */
export function when<Args extends unknown[], R>(
  flags: BooleanFlags,
  flagKey: string,
  on: (...args: Args) => R,
  off: (...args: Args) => R,
  options: WhenOptions<Args> = {},
  onError: (e: unknown) => void = () => {},
): (...args: Args) => R {
  const defaultValue = options.defaultValue ?? false;
  return function (this: unknown, ...args: Args): R {
    const context = contextFor(options.context, this, args, onError);
    const enabled = context !== null && flags.getBooleanValue(flagKey, defaultValue, context);
    return (enabled ? on : off).apply(this, args);
  };
}

/**
 * The decorator that runs a method only while a flag is on, and its fallback otherwise.
 *
 * @example
 * class QueryService {
 *   @slipway.requireFlag('new_query_engine', { context: (q: Query) => ({ targetingKey: q.userId }) })
 *   async processQuery(q: Query) { … }          // the new implementation
 *
 *   @slipway.fallback('new_query_engine')
 *   async processQueryLegacy(q: Query) { … }    // runs instead while the flag is off
 * }
 */
export function requireFlag(flags: BooleanFlags, flagKey: string, options: RequireFlagOptions = {}, onError: (e: unknown) => void = () => {}): FlagMethodDecorator {
  const defaultValue = options.defaultValue ?? false;
  return <This, Args extends unknown[], R>(method: Method<This, Args, R>) =>
    function (this: This, ...args: Args): R {
      const ctx = contextFor(options.context as ContextFrom<This, Args> | undefined, this, args, onError);
      if (ctx !== null && flags.getBooleanValue(flagKey, defaultValue, ctx)) return method.apply(this, args);
      const fb = options.fallback;
      let other: Method<This, Args, R> | undefined;
      if (typeof fb === 'function') other = fb as Method<This, Args, R>;
      else if (typeof fb === 'string') other = (this as Record<string, unknown>)[fb] as Method<This, Args, R> | undefined;
      else if (typeof this === 'object' && this !== null) other = fallbacks.get(this)?.get(flagKey) as Method<This, Args, R> | undefined;
      return typeof other === 'function' ? other.apply(this, args) : (undefined as R);
    };
}

/**
 * Marks the method that runs instead of the `@requireFlag(flagKey)` method of the same instance
 * while the flag is off. The method itself is unchanged (it can still be called directly).
 */
export function fallback(flagKey: string): FallbackDecorator {
  return <This, Args extends unknown[], R>(method: Method<This, Args, R>, context: ClassMethodDecoratorContext<This, Method<This, Args, R>>) => {
    context.addInitializer(function (this: This) {
      if (typeof this !== 'object' || this === null) return;
      let map = fallbacks.get(this);
      if (map === undefined) fallbacks.set(this, (map = new Map()));
      map.set(flagKey, method as Method<unknown, unknown[], unknown>);
    });
  };
}
