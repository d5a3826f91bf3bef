import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { acknowledge, advance, dueMeasurements, judge, recordMeasurement, type Measurement, type Transition } from '@slipway/rollout-engine';
import { systemContext } from '../auth/actor.js';
import type { Uow } from '../db/stores.js';
import type { Clock } from '../shared/clock.js';
import type { IdGenerator } from '../shared/ids.js';
import type { RolloutDriver } from './drivers.js';
import type { MetricProviders } from './providers.js';
import { recordDecisions } from './rollout-events.js';
import { RolloutConflictError, nextCheckFor, save } from './rollout-service.js';
import type { Rollout } from './rollout-store.js';

export interface TickerOptions {
  uow: Uow;
  drivers: ReadonlyMap<string, RolloutDriver>;
  providers: MetricProviders;
  clock: Clock;
  ids: IdGenerator;
  /** How long a claim lasts without renewal; another server takes the rollout over after it. */
  leaseMs?: number;
  /** How often to look for due rollouts when nothing wakes the ticker. */
  pollMs?: number;
  /** Ingested metrics older than this are deleted (bounded retention). */
  metricsRetentionMs?: number;
  /** Rollouts worked on at once by one server. */
  concurrency?: number;
  owner?: string;
  onError?: (error: unknown) => void;
}

const SLIPWAY = systemContext();
const DRIVER_RETRY_MS = 10_000;
const BATCH = 200;

/**
 * Advances rollouts in the background. Each tick claims due rollouts with a lease (compare-and-set,
 * SKIP LOCKED on PostgreSQL), then per rollout: applies what the engine wants of its target through
 * the driver, takes the measurements that are due, and lets time move the plan on. Every write is
 * one transaction that checks the rollout's revision: the state, its decisions, their events and the
 * measurement that caused them commit together or not at all. A measurement is recorded once per
 * (run, metric, seq); after a crash the lease expires and any server resumes from the stored state,
 * at the same step, with the same elapsed time.
 */
export class RolloutTicker {
  readonly owner: string;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private started = false;
  private lastCleanup = 0;

  constructor(private readonly o: TickerOptions) {
    this.owner = o.owner ?? `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.leaseMs = o.leaseMs ?? 30_000;
    this.pollMs = o.pollMs ?? 1000;
    this.concurrency = o.concurrency ?? 8;
  }

  start(): void {
    this.started = true;
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Something changed (a rollout started, a command): look now. */
  kick(): void {
    // Until start() (tests drive runOnce() themselves), nothing runs in the background.
    if (this.stopped || !this.started) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          while ((await this.runOnce()) === BATCH && !this.stopped);
        } catch (error) {
          this.o.onError?.(error);
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = null));
  }

  /** One tick: claims due rollouts and works each as far as it can go now. Tests call it directly. */
  async runOnce(): Promise<number> {
    const now = this.o.clock.now().getTime();
    await this.cleanup(now);
    const claimed = await this.o.uow.reads.rollouts.claimDue(new Date(now).toISOString(), this.owner, new Date(now + this.leaseMs).toISOString(), BATCH);
    let next = 0;
    const worker = async () => {
      while (next < claimed.length && !this.stopped) {
        const r = claimed[next++]!;
        try {
          await this.process(r);
        } catch (error) {
          this.o.onError?.(error);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.concurrency, claimed.length) }, worker));
    } finally {
      await this.o.uow.reads.rollouts.release(claimed.map((r) => r.id), this.owner).catch((error: unknown) => this.o.onError?.(error));
    }
    return claimed.length;
  }

  private driver(r: Rollout): RolloutDriver {
    const d = this.o.drivers.get(r.target.kind);
    if (!d) throw new Error(`no rollout driver for ${r.target.kind}`);
    return d;
  }

  private async process(claimed: Rollout): Promise<void> {
    const store = this.o.uow.reads.rollouts;
    const id = claimed.id;
    let r: Rollout | null = claimed;
    let leaseUntil = this.o.clock.now().getTime() + this.leaseMs;
    let wrote = false;
    for (let round = 0; r !== null && round < 50 && !this.stopped; round++) {
      const now = this.o.clock.now().getTime();
      if (leaseUntil - now < this.leaseMs / 2) {
        // Renewed only when half of it is gone: most ticks never pay for it.
        if (!(await store.renew(id, this.owner, new Date(now + this.leaseMs).toISOString()))) return; // another server took over
        leaseUntil = now + this.leaseMs;
      }
      let t: Transition;
      let measured: Measurement[] = [];
      if (r.state.pending !== null) {
        // A driver may take a while (a canary step's command or webhook): the lease is renewed meanwhile.
        const renewal = setInterval(() => void store.renew(id, this.owner, new Date(this.o.clock.now().getTime() + this.leaseMs).toISOString()).catch(() => {}), Math.max(100, Math.floor(this.leaseMs / 3)));
        let result;
        try {
          result = await this.driver(r).apply(r, r.state.pending);
        } finally {
          clearInterval(renewal);
        }
        if (result.status === 'waiting') return store.setNextCheck(id, r.revision, new Date(result.checkAgainAt).toISOString(), null);
        if (result.status === 'failed') return store.setNextCheck(id, r.revision, new Date(now + DRIVER_RETRY_MS).toISOString(), `${r.state.pending.type} ${r.state.pending.weight} %: ${result.message}`.slice(0, 1000));
        t = acknowledge(r.spec, r.state, this.o.clock.now().getTime());
      } else {
        const due = dueMeasurements(r.spec, r.state, now);
        if (due.length > 0) {
          // Every due metric is measured at once, and all are recorded in one transaction.
          const target = this.driver(r).measureTarget(r);
          const reads = new Map();
          const outcomes = await Promise.all(due.map((d) => this.o.providers.measure(d.metric, target, now, reads)));
          const at = this.o.clock.now().getTime();
          t = { state: r.state, decisions: [] };
          measured = due.map((d, i) => {
            const outcome = outcomes[i]!;
            const { phase, message } = judge(d.metric, outcome);
            return {
              runId: d.runId,
              metric: d.metric.name,
              seq: d.seq,
              at,
              phase,
              value: 'error' in outcome ? null : outcome.value,
              baseline: 'error' in outcome ? null : (outcome.baseline ?? null),
              message,
              ...('data' in outcome && outcome.data !== undefined && { data: outcome.data }),
            };
          });
          for (const m of measured) {
            const next = recordMeasurement(r.spec, t.state, m);
            t = { state: next.state, decisions: [...t.decisions, ...next.decisions] };
          }
        } else {
          t = advance(r.spec, r.state, now);
          if (t.decisions.length === 0 && JSON.stringify(t.state) === JSON.stringify(r.state)) {
            // Nothing to do now; a write already set when to look next.
            if (!wrote) await store.setNextCheck(id, r.revision, nextCheckFor(r, now), r.lastError);
            return;
          }
        }
      }
      const written = await this.write(r, t, measured);
      wrote ||= written !== null;
      r = written ?? (await store.get(id));
    }
  }

  /** Commits a transition (with the measurements that caused it); null when the rollout changed meanwhile. */
  private async write(r: Rollout, t: Transition, measured: Measurement[]): Promise<Rollout | null> {
    const now = this.o.clock.now().getTime();
    try {
      await this.o.uow.transaction(async (tx) => {
        if (!(await tx.stores.rollouts.insertMeasurements(r.id, measured.map((m) => ({ ...m, id: this.o.ids.next() }))))) {
          throw new RolloutConflictError('rollout_changed', 'measurement already recorded');
        }
        await save(tx.stores, r, t, now);
        await recordDecisions(tx, this.o.ids, SLIPWAY, { ...r, state: t.state }, t.decisions, this.driver(r));
      });
      return { ...r, state: t.state, revision: r.revision + 1 };
    } catch (error) {
      if (error instanceof RolloutConflictError) return null;
      throw error;
    }
  }

  private async cleanup(now: number): Promise<void> {
    if (now - this.lastCleanup < 3_600_000) return;
    this.lastCleanup = now;
    const retention = this.o.metricsRetentionMs ?? 7 * 86_400_000;
    await this.o.uow.reads.metricPoints.deleteBefore(new Date(Math.floor((now - retention) / 60_000) * 60_000).toISOString());
  }
}
