import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which keys the current async call chain holds, for re-entrant locks: work that runs inside a
 * lock may call code that takes the same lock without waiting for itself.
 *
 * Backed by AsyncLocalStorage, switched off whenever no chain holds anything. On Node 20 an
 * AsyncLocalStorage that has run once keeps async hooks on for the whole process: every promise,
 * timer and request then pays for them (an `await` costs about 2.5× as much). The locks that need
 * this are taken by git and release work only — including the background fetch every minute — and
 * must not tax OFREP and the API for the rest of the process's life.
 */
export class HeldKeys {
  private readonly storage = new AsyncLocalStorage<ReadonlySet<string>>();
  private active = 0;

  /** The keys the calling chain holds (read it before waiting for a lock). */
  current(): ReadonlySet<string> | undefined {
    return this.active > 0 ? this.storage.getStore() : undefined;
  }

  /** Runs `fn` as a chain that holds `key` besides `held` (what the caller held when it asked). */
  async run<T>(held: ReadonlySet<string> | undefined, key: string, fn: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await this.storage.run(new Set([...(held ?? []), key]), fn);
    } finally {
      if (--this.active === 0) this.storage.disable();
    }
  }
}
