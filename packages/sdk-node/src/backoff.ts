/**
 * Exponential backoff with jitter, from an injectable random source so tests
 * can pin the delays. Jitter spreads the reconnects of many SDK instances
 * after a server restart, instead of having them all arrive at once.
 *
 * @example
 * const backoff = new Backoff(1_000, 30_000);
 * setTimeout(reconnect, backoff.next()); // 500–1,000 ms, then 1–2 s, 2–4 s, … up to 15–30 s
 * backoff.reset(); // once connected
 */
export class Backoff {
  private attempt = 0;

  /**
   * @param initialMs the base delay of the first retry
   * @param maxMs the cap of the exponential growth
   * @param random a source of numbers in [0, 1), `Math.random` by default
   */
  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next retry: half fixed, half random, of min(max, initial · 2^attempt). */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    let r = this.random();
    if (!(r >= 0 && r < 1)) r = 0.5; // a broken source must not produce NaN or negative delays
    return Math.round(ceiling / 2 + (ceiling / 2) * r);
  }

  /** Forgets past failures (after a healthy connection). */
  reset(): void {
    this.attempt = 0;
  }

  /** How many retries have been scheduled since the last reset. */
  get attempts(): number {
    return this.attempt;
  }
}
