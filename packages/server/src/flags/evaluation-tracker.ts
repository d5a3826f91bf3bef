import type { Uow } from '../db/stores.js';
import type { Clock } from '../shared/clock.js';

/** What the tracker needs of an environment's in-memory rule set (sdk/EnvironmentState). */
export interface TrackedEnvironment {
  readonly project: string;
  readonly environment: string;
  ruleSet(): { flags: ReadonlyArray<{ key: string }> };
}

interface Pending {
  env: TrackedEnvironment;
  /** Single-flag evaluations by flag key. */
  flags: Map<string, number>;
  /** Bulk evaluations: each one evaluated every flag of the rule set. */
  bulk: number;
}

/**
 * Counts the evaluations the server itself answers (OFREP) so the flags page can tell which
 * flags nobody asks for. The hot path only bumps a counter in memory, keyed by the environment's
 * state object (no string building, no clock, no I/O); a periodic flush writes the counts and
 * the flush time as the last evaluation to `flag_evaluations`. The time is therefore exact to
 * one flush interval, which is plenty for a 30-day staleness mark.
 */
export class FlagEvaluationTracker {
  private pending = new Map<TrackedEnvironment, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly uow: Uow,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** One flag evaluated in an environment. */
  seen(env: TrackedEnvironment, flagKey: string): void {
    let p = this.pending.get(env);
    if (p === undefined) this.pending.set(env, (p = { env, flags: new Map(), bulk: 0 }));
    p.flags.set(flagKey, (p.flags.get(flagKey) ?? 0) + 1);
  }

  /** Every flag of the environment evaluated at once (OFREP bulk). */
  seenAll(env: TrackedEnvironment): void {
    let p = this.pending.get(env);
    if (p === undefined) this.pending.set(env, (p = { env, flags: new Map(), bulk: 0 }));
    p.bulk++;
  }

  start(intervalMs: number): void {
    this.timer ??= setInterval(() => void this.flush().catch(this.onError), intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is pending (a clean shutdown loses no count). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Writes the pending counts; flushes never overlap. */
  flush(): Promise<void> {
    this.flushing = this.flushing.catch(() => {}).then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const counts = new Map<string, { project: string; environment: string; flag: string; n: number }>();
    for (const p of batch.values()) {
      const add = (flag: string, n: number) => {
        const key = `${p.env.project}\0${p.env.environment}\0${flag}`;
        const entry = counts.get(key);
        if (entry) entry.n += n;
        else counts.set(key, { project: p.env.project, environment: p.env.environment, flag, n });
      };
      for (const [flag, n] of p.flags) add(flag, n);
      if (p.bulk > 0) for (const f of p.env.ruleSet().flags) add(f.key, p.bulk);
    }
    const at = this.clock.now().toISOString();
    await this.uow.reads.flagEvaluations.record([...counts.values()], at);
  }
}
