/**
 * Evaluation results. Every answer that does not involve the caller's default is
 * built once at compile time and shared (frozen), so a warm evaluation
 * allocates nothing; answers that carry the caller's default are {@link Fallback}s
 * completed per call.
 */
import type { ErrorCode, EvaluationResult, FlagMetadata, FlagValue, Reason } from './types.js';

/** An answer whose value is the caller's default: errors, or "disabled/prerequisite failed" without an off variant. */
export class Fallback {
  constructor(
    readonly reason: Reason,
    readonly errorCode: ErrorCode | undefined,
    readonly errorMessage: string | undefined,
    readonly flagMetadata: FlagMetadata | undefined,
  ) {}

  /** The public result, carrying `value`. */
  withDefault(value: FlagValue | undefined): EvaluationResult {
    const out: { -readonly [K in keyof EvaluationResult]: EvaluationResult[K] } = { value, reason: this.reason };
    if (this.errorCode !== undefined) out.errorCode = this.errorCode;
    if (this.errorMessage !== undefined) out.errorMessage = this.errorMessage;
    if (this.flagMetadata !== undefined) out.flagMetadata = this.flagMetadata;
    return Object.freeze(out);
  }
}

/** What resolving a flag yields: a finished result, or one still needing the caller's default. */
export type Resolution = EvaluationResult | Fallback;

/** A fallback for an error. */
export function failure(errorCode: ErrorCode, errorMessage: string, flagMetadata?: FlagMetadata): Fallback {
  return new Fallback('ERROR', errorCode, errorMessage, flagMetadata);
}

/** An error result carrying the caller's default, built per call. */
export function errorResult(value: FlagValue | undefined, errorCode: ErrorCode, errorMessage: string): EvaluationResult {
  return Object.freeze({ value, reason: 'ERROR' as const, errorCode, errorMessage });
}

/** A shared, frozen result serving a variant. */
export function served(value: FlagValue, variant: string, reason: Reason, flagMetadata?: FlagMetadata): EvaluationResult {
  return Object.freeze(
    flagMetadata === undefined ? { value, variant, reason } : { value, variant, reason, flagMetadata: Object.freeze(flagMetadata) },
  );
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * A private, deeply frozen copy of a variant value, so that results can be
 * shared between calls without one caller's change leaking into the next answer.
 */
export function ownValue(value: FlagValue): FlagValue {
  if (typeof value !== 'object' || value === null) return value;
  return deepFreeze(JSON.parse(JSON.stringify(value)) as FlagValue);
}
