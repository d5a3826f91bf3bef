import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** A version as it landed in an environment (or one target of it). */
export interface Landed {
  deploymentId: string;
  version: string;
  tag: string;
  commit: string;
  at: string;
  by: string;
}

export interface InFlight {
  deploymentId: string;
  version: string;
  status: string;
  requestedBy: string;
  since: string;
  /** A canary deployment in flight: the stable version still serving the rest, the canary's weight, its rollout's status. */
  canary?: { rolloutId: string; stableVersion: string; weight: number; status: string };
}

/**
 * What runs where, per project and environment, kept up to date in the same transaction as every
 * deployment transition so the status matrix reads a few hundred small rows, never the history.
 */
export interface DeploymentState {
  projectId: string;
  environment: string;
  current: Landed | null;
  previous: Landed | null;
  inFlight: InFlight | null;
  targets: Record<string, Landed>;
  updatedAt: string;
  /** The drift last announced (expected version and drifting versions), so each change is announced once. */
  driftAnnounced?: string | null;
}

/**
 * A state row as the status matrix reads it: the JSON columns stay text, so the response is put
 * together without parsing and re-serialising 1,200 cells (docs/benchmarks.md).
 */
export interface RawStateRow {
  projectId: string;
  projectKey: string;
  environment: string;
  current: string | null;
  previous: string | null;
  inFlight: string | null;
  targets: string;
  currentVersion: string | null;
  targetsDiffer: boolean;
}

const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

export class DeploymentStateStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(projectId: string, environment: string): Promise<DeploymentState | null> {
    const row = await this.db.selectFrom('deployment_state').selectAll().where('project_id', '=', projectId).where('environment_key', '=', environment).executeTakeFirst();
    if (!row) return null;
    return {
      projectId: row.project_id,
      environment: row.environment_key,
      current: parse(row.current),
      previous: parse(row.previous),
      inFlight: parse(row.in_flight),
      targets: JSON.parse(row.targets) as Record<string, Landed>,
      updatedAt: row.updated_at,
      driftAnnounced: row.drift_announced,
    };
  }

  async setDriftAnnounced(projectId: string, environment: string, signature: string | null): Promise<void> {
    await this.db.updateTable('deployment_state').set({ drift_announced: signature }).where('project_id', '=', projectId).where('environment_key', '=', environment).execute();
  }

  /**
   * Forgets targets an environment no longer has (in every project): the matrix shows the targets
   * that exist; their history stays in the deployments. Returns how many cells changed.
   */
  async pruneTargets(environment: string, keep: readonly string[], now: string): Promise<number> {
    const rows = await this.db.selectFrom('deployment_state').select(['project_id', 'targets']).where('environment_key', '=', environment).execute();
    let changed = 0;
    for (const row of rows) {
      const targets = JSON.parse(row.targets) as Record<string, Landed>;
      const kept = Object.fromEntries(Object.entries(targets).filter(([key]) => keep.includes(key)));
      if (Object.keys(kept).length === Object.keys(targets).length) continue;
      const state = (await this.get(row.project_id, environment))!;
      await this.put({ ...state, targets: kept, updatedAt: now });
      changed++;
    }
    return changed;
  }

  async put(state: DeploymentState): Promise<void> {
    const values = {
      current: state.current === null ? null : JSON.stringify(state.current),
      previous: state.previous === null ? null : JSON.stringify(state.previous),
      in_flight: state.inFlight === null ? null : JSON.stringify(state.inFlight),
      targets: JSON.stringify(state.targets),
      current_version: state.current?.version ?? null,
      targets_differ: Object.values(state.targets).some((t) => t.version !== state.current?.version) ? 1 : 0,
      updated_at: state.updatedAt,
    };
    // The revision first: its row lock orders writers, so rows carry revisions in commit order.
    const bumped = await this.db
      .updateTable('status_revision')
      .set((eb) => ({ revision: eb('revision', '+', 1) }))
      .where('id', '=', 1)
      .returning('revision')
      .executeTakeFirst();
    const withRevision = { ...values, row_revision: Number(bumped?.revision ?? 0) };
    await this.db
      .insertInto('deployment_state')
      .values({ project_id: state.projectId, environment_key: state.environment, ...withRevision })
      .onConflict((oc) => oc.columns(['project_id', 'environment_key']).doUpdateSet(withRevision))
      .execute();
  }

  /** Moves whenever any state row changes (same transaction): lets a built matrix be reused. */
  async revision(): Promise<number> {
    const row = await this.db.selectFrom('status_revision').select('revision').where('id', '=', 1).executeTakeFirst();
    return Number(row?.revision ?? 0);
  }

  /** Every row with its project's key, ordered by project: the whole matrix in one query. */
  async raw(projectId?: string, changedAfter?: number): Promise<RawStateRow[]> {
    let query = this.db
      .selectFrom('deployment_state')
      .innerJoin('projects', 'projects.id', 'deployment_state.project_id')
      .select(['deployment_state.project_id', 'projects.key as project_key', 'deployment_state.environment_key', 'current', 'previous', 'in_flight', 'targets', 'current_version', 'targets_differ']);
    if (projectId !== undefined) query = query.where('deployment_state.project_id', '=', projectId);
    // Rows that changed since a revision: few, found through the index; the caller merges them.
    if (changedAfter !== undefined) return (await query.where('deployment_state.row_revision', '>', changedAfter).execute()).map(toRaw);
    const rows = await query.orderBy('projects.key', 'asc').execute();
    return rows.map(toRaw);
  }
}

function toRaw(row: { project_id: string; project_key: string; environment_key: string; current: string | null; previous: string | null; in_flight: string | null; targets: string; current_version: string | null; targets_differ: number }): RawStateRow {
  return {
    projectId: row.project_id,
    projectKey: row.project_key,
    environment: row.environment_key,
    current: row.current,
    previous: row.previous,
    inFlight: row.in_flight,
    targets: row.targets,
    currentVersion: row.current_version,
    targetsDiffer: row.targets_differ === 1,
  };
}
