import type { Decision, Measurement, RolloutSpec, RolloutState } from '@slipway/rollout-engine';
import { PostgresAdapter, type Kysely, type Selectable } from 'kysely';
import type { Database, RolloutTable } from '../db/schema.js';

/** What a rollout drives: a flag's split, or a canary deployment (docs/decisions/0019, 0028). */
export type RolloutTarget = FlagTarget | DeploymentTarget;

export type DeploymentTarget = {
  kind: 'deployment';
  deploymentId: string;
  /** What the environment ran before: the baseline, and where an abort goes back to. */
  stableVersion: string;
  canaryVersion: string;
};

export type FlagTarget = {
  kind: 'flag';
  flag: string;
  variant: string;
  /** On failure or abort: put the variant back to 0 % of the split, or turn the flag off. */
  onFailure: 'zero' | 'off';
  /** The split before the rollout without the variant, normalised: what the others share. */
  stable: Array<{ variant: string; weight: number }>;
};

export interface Rollout {
  id: string;
  projectId: string;
  projectKey: string;
  environment: string;
  target: RolloutTarget;
  planName: string | null;
  spec: RolloutSpec;
  state: RolloutState;
  revision: number;
  lastError: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface StoredDecision extends Decision {
  id: string;
  actor: string;
}

export interface StoredMeasurement extends Measurement {
  id: string;
}

function toRollout(row: Selectable<RolloutTable>): Rollout {
  return {
    id: row.id,
    projectId: row.project_id,
    projectKey: row.project_key,
    environment: row.environment_key,
    target: JSON.parse(row.target) as RolloutTarget,
    planName: row.plan_name,
    spec: JSON.parse(row.spec) as RolloutSpec,
    state: JSON.parse(row.state) as RolloutState,
    revision: row.revision,
    lastError: row.last_error,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The key that keeps one active rollout per target. */
export function activeKeyOf(projectKey: string, environment: string, target: RolloutTarget): string {
  return target.kind === 'flag' ? `flag:${projectKey}/${environment}/${target.flag}` : `deployment:${projectKey}/${environment}`;
}

/**
 * Rollouts, their decisions and measurements. State writes are compare-and-set on `revision`, so a
 * ticker and a person's command never overwrite each other; claims are leases (with SKIP LOCKED on
 * PostgreSQL) so any server can take over a rollout from one that died.
 */
export class RolloutStore {
  private readonly postgres: boolean;

  constructor(private readonly db: Kysely<Database>) {
    this.postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  }

  async insert(r: Rollout, activeKey: string, nextCheckAt: string | null): Promise<void> {
    await this.db
      .insertInto('rollouts')
      .values({
        id: r.id,
        project_id: r.projectId,
        project_key: r.projectKey,
        environment_key: r.environment,
        target_kind: r.target.kind,
        target: JSON.stringify(r.target),
        plan_name: r.planName,
        spec: JSON.stringify(r.spec),
        state: JSON.stringify(r.state),
        status: r.state.status,
        step_index: r.state.stepIndex,
        weight: r.state.weight,
        revision: r.revision,
        active_key: activeKey,
        next_check_at: nextCheckAt,
        created_by: r.createdBy,
        created_at: r.createdAt,
        updated_at: r.updatedAt,
        finished_at: null,
      })
      .execute();
  }

  async get(id: string, forUpdate = false): Promise<Rollout | null> {
    let q = this.db.selectFrom('rollouts').selectAll().where('id', '=', id);
    if (forUpdate && this.postgres) q = q.forUpdate();
    const row = await q.executeTakeFirst();
    return row ? toRollout(row) : null;
  }

  async activeFor(activeKey: string): Promise<Rollout | null> {
    const row = await this.db.selectFrom('rollouts').selectAll().where('active_key', '=', activeKey).executeTakeFirst();
    return row ? toRollout(row) : null;
  }

  async page(projectId: string, filter: { status?: string; environment?: string; beforeId: string | null; limit: number }): Promise<Rollout[]> {
    let q = this.db.selectFrom('rollouts').selectAll().where('project_id', '=', projectId);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.environment !== undefined) q = q.where('environment_key', '=', filter.environment);
    if (filter.beforeId !== null) q = q.where('id', '<', filter.beforeId);
    return (await q.orderBy('id', 'desc').limit(filter.limit).execute()).map(toRollout);
  }

  /**
   * Writes a new state if nobody else wrote since `revision` was read; false when someone did (the
   * caller reloads). The active key is released once the rollout ended and its driver is done.
   */
  async saveState(id: string, revision: number, state: RolloutState, now: string, nextCheckAt: string | null, lastError: string | null = null): Promise<boolean> {
    const done = ['succeeded', 'aborted', 'rolled_back'].includes(state.status) && state.pending === null;
    const result = await this.db
      .updateTable('rollouts')
      .set({
        state: JSON.stringify(state),
        status: state.status,
        step_index: state.stepIndex,
        weight: state.weight,
        revision: revision + 1,
        next_check_at: nextCheckAt,
        last_error: lastError,
        updated_at: now,
        finished_at: iso(state.finishedAt),
        ...(done && { active_key: null }),
      })
      .where('id', '=', id)
      .where('revision', '=', revision)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Takes the active key back for a retried rollout; false when another rollout holds the target now. */
  async reactivate(id: string, activeKey: string): Promise<boolean> {
    const holder = await this.db.selectFrom('rollouts').select('id').where('active_key', '=', activeKey).executeTakeFirst();
    if (holder && holder.id !== id) return false;
    await this.db.updateTable('rollouts').set({ active_key: activeKey }).where('id', '=', id).execute();
    return true;
  }

  /** Sets when to look next (and the last driver error) unless the rollout changed since `revision` was read. */
  async setNextCheck(id: string, revision: number, nextCheckAt: string | null, lastError: string | null): Promise<void> {
    await this.db.updateTable('rollouts').set({ last_error: lastError, next_check_at: nextCheckAt }).where('id', '=', id).where('revision', '=', revision).execute();
  }

  /** Makes a rollout due now (something it waits for happened), unless it ended. */
  async checkNow(id: string, now: string): Promise<void> {
    await this.db.updateTable('rollouts').set({ next_check_at: now }).where('id', '=', id).where('next_check_at', 'is not', null).execute();
  }

  /** Leases up to `limit` rollouts that are due and not leased by a live server. */
  async claimDue(now: string, owner: string, leaseUntil: string, limit: number): Promise<Rollout[]> {
    let candidates = this.db
      .selectFrom('rollouts')
      .select('id')
      .where('next_check_at', '<=', now)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
      .orderBy('next_check_at', 'asc')
      .limit(limit);
    if (this.postgres) candidates = candidates.forUpdate().skipLocked();
    const rows = await this.db
      .updateTable('rollouts')
      .set({ lease_owner: owner, lease_expires_at: leaseUntil })
      .where('id', 'in', candidates)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
      .returningAll()
      .execute();
    return rows.map(toRollout);
  }

  async renew(id: string, owner: string, leaseUntil: string): Promise<boolean> {
    const result = await this.db.updateTable('rollouts').set({ lease_expires_at: leaseUntil }).where('id', '=', id).where('lease_owner', '=', owner).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Gives back the leases of a tick's rollouts in one statement. */
  async release(ids: string[], owner: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('rollouts').set({ lease_owner: null, lease_expires_at: null }).where('id', 'in', ids).where('lease_owner', '=', owner).execute();
  }

  async holdsLease(id: string, owner: string, now: string): Promise<boolean> {
    const row = await this.db.selectFrom('rollouts').select(['lease_owner', 'lease_expires_at']).where('id', '=', id).executeTakeFirst();
    return row?.lease_owner === owner && (row.lease_expires_at ?? '') > now;
  }

  async insertDecisions(rolloutId: string, decisions: Array<Decision & { id: string; actor: string }>): Promise<void> {
    if (decisions.length === 0) return;
    await this.db
      .insertInto('rollout_decisions')
      .values(
        decisions.map((d) => ({
          id: d.id,
          rollout_id: rolloutId,
          at: new Date(d.at).toISOString(),
          type: d.type,
          step_index: d.stepIndex,
          weight: d.weight,
          message: d.message,
          data: d.data === undefined ? null : JSON.stringify(d.data),
          actor: d.actor,
        })),
      )
      .execute();
  }

  async decisions(rolloutId: string, limit = 500): Promise<StoredDecision[]> {
    const rows = await this.db.selectFrom('rollout_decisions').selectAll().where('rollout_id', '=', rolloutId).orderBy('id', 'asc').limit(limit).execute();
    return rows.map((r) => ({
      id: r.id,
      type: r.type as Decision['type'],
      at: Date.parse(r.at),
      stepIndex: r.step_index,
      weight: Number(r.weight),
      message: r.message,
      ...(r.data !== null && { data: JSON.parse(r.data) as Record<string, unknown> }),
      actor: r.actor,
    }));
  }

  /** Records measurements; false when one of these (run, metric, seq) was already recorded. */
  async insertMeasurements(rolloutId: string, ms: StoredMeasurement[]): Promise<boolean> {
    if (ms.length === 0) return true;
    const result = await this.db
      .insertInto('rollout_measurements')
      .values(ms.map((m) => ({
        id: m.id,
        rollout_id: rolloutId,
        run_id: m.runId,
        metric: m.metric,
        seq: m.seq,
        at: new Date(m.at).toISOString(),
        phase: m.phase,
        value: m.value,
        baseline: m.baseline,
        message: m.message,
        data: m.data === undefined ? null : JSON.stringify(m.data).slice(0, 20_000),
      })))
      .onConflict((oc) => oc.columns(['rollout_id', 'run_id', 'metric', 'seq']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === ms.length;
  }

  /** The latest measurements, newest last; `metric` narrows to one metric. */
  async measurements(rolloutId: string, options: { metric?: string; limit?: number } = {}): Promise<StoredMeasurement[]> {
    let q = this.db.selectFrom('rollout_measurements').selectAll().where('rollout_id', '=', rolloutId);
    if (options.metric !== undefined) q = q.where('metric', '=', options.metric);
    const rows = await q.orderBy('id', 'desc').limit(options.limit ?? 200).execute();
    return rows.reverse().map((r) => ({
      id: r.id,
      runId: r.run_id,
      metric: r.metric,
      seq: r.seq,
      at: Date.parse(r.at),
      phase: r.phase as Measurement['phase'],
      value: r.value === null ? null : Number(r.value),
      baseline: r.baseline === null ? null : Number(r.baseline),
      message: r.message,
      ...(r.data !== null && { data: JSON.parse(r.data) as unknown }),
    }));
  }
}
