import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import { KeyedMutex } from '../git/keyed-mutex.js';
import { DomainError } from '../shared/errors.js';
import { HeldKeys } from '../shared/held-keys.js';

/** Another server holds the project's release lock for longer than a request may wait. */
export class ReleaseInProgressError extends DomainError {
  readonly code = 'release_in_progress';

  constructor(readonly project: string) {
    super(`Another release, hotfix or import of ${project} is in progress on another Slipway server; try again in a moment.`, { project });
  }
}

// Advisory lock keys are (namespace, hashtext(project key)): the namespace keeps them apart from any other use.
const LOCK_NAMESPACE = 0x534c5057; // "SLPW"
const LOCK_NOT_AVAILABLE = '55P03';

export interface ReleaseLockOptions {
  /** How long a request waits for another server's release of the same project; default 60 s. */
  waitMs?: number;
  /**
   * How many projects of this process may hold a database lock at once (each holds a pooled connection
   * while its git work runs and needs another to record): kept below the pool size so lock holders can
   * always record. Default 4.
   */
  maxHolders?: number;
}

/**
 * The one lock of everything that changes a project's releases (create, hotfix, import, and a project
 * change that imports): in process, a FIFO mutex per project; on PostgreSQL also a transaction-scoped
 * advisory lock, so replicas on one database take turns. The lock's transaction stays open (and
 * idle) while the work runs, and ends with it — a crashed server's lock goes with its connection. SQLite
 * is one process by design, so the mutex suffices there.
 *
 * Re-entrant: work that runs inside `run(key)` may call `run(key)` again without waiting.
 */
export class ReleaseLocks {
  private readonly local = new KeyedMutex();
  private readonly held = new HeldKeys();
  private readonly waitMs: number;
  private readonly maxHolders: number;
  private holders = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    options: ReleaseLockOptions = {},
  ) {
    this.waitMs = options.waitMs ?? 60_000;
    this.maxHolders = options.maxHolders ?? 4;
  }

  run<T>(projectKey: string, fn: () => Promise<T>): Promise<T> {
    const held = this.held.current();
    if (held?.has(projectKey)) return fn();
    const inside = () => this.held.run(held, projectKey, fn);
    return this.local.runExclusive(projectKey, () => (this.dialect === 'postgres' ? this.acrossReplicas(projectKey, inside) : inside()));
  }

  private async acrossReplicas<T>(projectKey: string, fn: () => Promise<T>): Promise<T> {
    await this.acquireSlot();
    try {
      return await this.db.transaction().execute(async (trx) => {
        await sql`select set_config('lock_timeout', ${`${this.waitMs}ms`}, true)`.execute(trx);
        try {
          await sql`select pg_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(${projectKey}))`.execute(trx);
        } catch (error) {
          if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) throw new ReleaseInProgressError(projectKey);
          throw error;
        }
        return fn();
      });
    } finally {
      this.releaseSlot();
    }
  }

  private acquireSlot(): Promise<void> {
    if (this.holders < this.maxHolders) {
      this.holders += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }

  private releaseSlot(): void {
    const next = this.queue.shift();
    // The slot passes straight to the next waiter; the count only drops when nobody waits.
    if (next) next();
    else this.holders -= 1;
  }
}
