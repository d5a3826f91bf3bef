/** How deliveries are retried: exponential backoff from `baseMs`, capped at `maxMs`, given up `giveUpMs` after the first try. */
export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
  giveUpMs: number;
}

/** 1 s, 2 s, 4 s, … 1 h, then hourly, for 24 h. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ baseMs: 1000, maxMs: 3_600_000, giveUpMs: 86_400_000 });

/** The wait after the `failures`-th failed attempt (1-based). */
export function backoffMs(policy: RetryPolicy, failures: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 40);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
}
