import type { RuleSetFlag, Segment } from '@slipway/flag-engine';
import type { Uow } from '../db/stores.js';
import type { FanoutMessage, FlagFanout } from '../fanout/flag-fanout.js';
import type { RuleSetChange } from '../flags/flag-change-store.js';
import { ruleSetFlag, ruleSetSegment } from '../flags/flag-model.js';
import { EnvironmentState, patchJson } from './environment-state.js';

/** What a stream subscriber receives: a whole rule set or one change, as `data` JSON. */
export interface DeliveryEvent {
  kind: 'put' | 'patch';
  version: string;
  data: string;
  /** The SSE frame, encoded once for every subscriber (set by the stream route on first use). */
  frame?: Buffer;
  /** The OFREP event-stream frame (a `refetchEvaluation` notice), encoded once likewise. */
  refetchFrame?: Buffer;
}
export type DeliveryListener = (event: DeliveryEvent) => void;

interface Entry {
  state: EnvironmentState | undefined;
  loading: Promise<EnvironmentState> | undefined;
  /** Serialises refreshes and stream subscriptions so no change is sent twice or skipped. */
  queue: Promise<unknown>;
  /** A catch-up refresh asked for by a request (one at a time, whoever asks). */
  catchingUp: Promise<void> | undefined;
  /** Queued work not yet done: while > 0 the state may be behind a change this process committed. */
  pending: number;
  listeners: Set<DeliveryListener>;
}

const keyOf = (project: string, environment: string) => `${project}\u0000${environment}`;

/**
 * Keeps the rule sets of the environments SDKs ask for in memory, current with every committed
 * change (from this process or, through the fan-out, from any replica), and streams the changes.
 */
export class FlagDelivery {
  private readonly entries = new Map<string, Entry>();
  private reconcileTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly uow: Uow,
    fanout: FlagFanout,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    fanout.subscribe((message) => this.onMessage(message));
  }

  /** The state when loaded and current (the synchronous fast path of OFREP). */
  peek(project: string, environment: string): EnvironmentState | undefined {
    const entry = this.entries.get(keyOf(project, environment));
    return entry?.pending === 0 ? entry.state : undefined;
  }

  /** The current state; after a change committed in this process, it includes that change. */
  async state(project: string, environment: string): Promise<EnvironmentState> {
    const entry = this.entry(project, environment);
    if (entry.state !== undefined && entry.pending > 0) await entry.queue;
    if (entry.state !== undefined) return entry.state;
    entry.loading ??= this.load(project, environment).then(
      (state) => {
        entry.state = state;
        entry.loading = undefined;
        return state;
      },
      (error: unknown) => {
        entry.loading = undefined;
        throw error;
      },
    );
    return entry.loading;
  }

  /**
   * Subscribes to an environment's changes. `start` runs first, in order with the changes, with the
   * current state: it sends whatever the subscriber must get before the first live change.
   */
  async subscribe(project: string, environment: string, start: (state: EnvironmentState) => Promise<void>, listener: DeliveryListener): Promise<() => void> {
    const state = await this.state(project, environment);
    const entry = this.entry(project, environment);
    await this.serialised(entry, async () => {
      await start(entry.state ?? state);
      entry.listeners.add(listener);
    });
    return () => entry.listeners.delete(listener);
  }

  /**
   * The state at `version` or later when the database has it: a client told of a change by an
   * event stream on another replica asks here before this replica's fan-out has delivered it.
   * Concurrent callers share one read of the change log.
   */
  async stateAtLeast(project: string, environment: string, version: number): Promise<EnvironmentState> {
    const state = await this.state(project, environment);
    if (state.version >= version) return state;
    const entry = this.entry(project, environment);
    entry.catchingUp ??= (async () => {
      this.refresh(entry);
      await entry.queue;
    })().finally(() => (entry.catchingUp = undefined));
    await entry.catchingUp;
    return entry.state ?? state;
  }

  /** The logged changes after `version`, or null when the log no longer reaches back that far. */
  async changesSince(project: string, environment: string, version: number, upTo: number): Promise<RuleSetChange[] | null> {
    if (version > upTo) return null;
    if (version === upTo) return [];
    const changes = (await this.uow.reads.flagChanges.since(project, environment, version)).filter((c) => c.version <= upTo);
    if (changes.length === 0 || changes[0]!.version !== version + 1 || changes[changes.length - 1]!.version !== upTo) return null;
    return changes;
  }

  /** Checks every loaded environment against the database now and then, in case a notification was lost. */
  startReconciling(intervalMs: number): void {
    this.stopReconciling();
    this.reconcileTimer = setInterval(() => void this.reconcile().catch(this.onError), intervalMs);
    this.reconcileTimer.unref();
  }

  stopReconciling(): void {
    if (this.reconcileTimer !== undefined) clearInterval(this.reconcileTimer);
    this.reconcileTimer = undefined;
  }

  async reconcile(): Promise<void> {
    if (this.entries.size === 0) return;
    const versions = await this.uow.reads.flagChanges.allVersions();
    for (const v of versions) {
      const entry = this.entries.get(keyOf(v.projectKey, v.environmentKey));
      if (entry?.state !== undefined && entry.state.version < v.version) this.refresh(entry);
    }
  }

  /** How many streams are subscribed, over every environment. */
  listenerCount(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.listeners.size;
    return n;
  }

  private entry(project: string, environment: string): Entry {
    const key = keyOf(project, environment);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { state: undefined, loading: undefined, queue: Promise.resolve(), catchingUp: undefined, pending: 0, listeners: new Set() };
      this.entries.set(key, entry);
    }
    return entry;
  }

  private onMessage(message: FanoutMessage): void {
    if (message.type === 'ruleset') {
      const entry = this.entries.get(keyOf(message.project, message.environment));
      if (entry?.state === undefined || entry.state.version >= message.version) return;
      if (message.patch !== undefined) this.applyCarried(entry, { projectKey: message.project, environmentKey: message.environment, version: message.version, patch: message.patch });
      else this.refresh(entry);
    } else if (message.type === 'resync') {
      void this.reconcile().catch(this.onError);
    }
  }

  private serialised(entry: Entry, work: () => Promise<void>): Promise<void> {
    entry.pending++;
    const run = entry.queue.then(work).finally(() => entry.pending--);
    entry.queue = run.catch(() => {});
    return run;
  }

  /** A change that came with its notice: applied in order, or read from the log when not next. */
  private applyCarried(entry: Entry, change: RuleSetChange): void {
    void this.serialised(entry, async () => {
      const state = entry.state;
      if (state === undefined || state.version >= change.version) return;
      if (state.version !== change.version - 1) return this.catchUp(entry);
      state.apply(change);
      this.emit(entry, { kind: 'patch', version: String(change.version), data: patchJson(change) });
    }).catch(this.onError);
  }

  private refresh(entry: Entry): void {
    void this.serialised(entry, () => this.catchUp(entry)).catch(this.onError);
  }

  /** Reads what the change log has after the state's version and applies it (inside the queue). */
  private async catchUp(entry: Entry): Promise<void> {
    const state = entry.state;
    if (state === undefined) return;
    const changes = await this.uow.reads.flagChanges.since(state.project, state.environment, state.version);
    if (changes.length === 0) return;
    if (changes[0]!.version !== state.version + 1) {
      // The log was trimmed past us: start over and give every subscriber the whole rule set.
      const fresh = await this.load(state.project, state.environment);
      entry.state = fresh;
      this.emit(entry, { kind: 'put', version: fresh.versionString, data: fresh.toJSON() });
      return;
    }
    for (const change of changes) {
      state.apply(change);
      this.emit(entry, { kind: 'patch', version: String(change.version), data: patchJson(change) });
    }
  }

  private emit(entry: Entry, event: DeliveryEvent): void {
    for (const listener of entry.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  /** Reads an environment's whole rule set. The version is read first: anything newer that slips in is re-applied harmlessly. */
  private async load(project: string, environment: string): Promise<EnvironmentState> {
    const reads = this.uow.reads;
    const version = await reads.flagChanges.version(project, environment);
    const record = await reads.projects.get(project);
    const flags = new Map<string, RuleSetFlag>();
    const segments = new Map<string, Segment>();
    if (record !== null) {
      const configs = new Map((await reads.flags.configsIn(record.id, environment)).map((c) => [c.flagId, c.config]));
      for (const flag of await reads.flags.all(record.id)) if (!flag.archived) flags.set(flag.key, ruleSetFlag(flag, configs.get(flag.id)));
      for (const s of await reads.segments.all(record.id)) segments.set(s.key, ruleSetSegment(s));
    }
    return new EnvironmentState(project, environment, version, flags, segments);
  }
}
