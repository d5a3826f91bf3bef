/**
 * In-process mutual exclusion per key: `runExclusive(key, fn)` runs `fn` once every earlier holder of the
 * same key has finished, in call order (FIFO). Different keys never wait on each other. The map holds an
 * entry only while a key is held or awaited, so idle keys cost nothing.
 *
 * @example
 * const locks = new KeyedMutex();
 * await locks.runExclusive(repoDir, () => fetchThenTag());
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async runExclusive<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
    const previous = this.tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The tail only ever resolves (never rejects), so a failing holder cannot break the chain.
    const tail = previous ? previous.then(() => mine) : mine;
    this.tails.set(key, tail);
    try {
      if (previous) await previous;
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Whether the key is held or awaited right now. */
  isLocked(key: string): boolean {
    return this.tails.has(key);
  }

  /** How many keys are held or awaited right now (0 when idle). */
  get size(): number {
    return this.tails.size;
  }
}
