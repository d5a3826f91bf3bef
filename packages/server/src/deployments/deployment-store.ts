import { PostgresAdapter, type Kysely } from 'kysely';
import type { RolloutSpec } from '@slipway/rollout-engine';
import type { Database } from '../db/schema.js';
import { toDeployment, toTarget } from './deployment-rows.js';
import type { ApprovalGroup, ExecutorConfig, SmokeConfig } from '../environments/deployment-settings.js';

export type DeploymentStatus = 'pending_approval' | 'pending' | 'running' | 'succeeded' | 'failed' | 'rolled_back' | 'cancelled' | 'rejected';
export type TargetStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'timed_out' | 'cancelled';
/** A target has ended once it is in one of these: a deployment ends only when all its targets have. */
export const TARGET_ENDED: readonly TargetStatus[] = ['succeeded', 'failed', 'timed_out', 'cancelled'];
export const targetEnded = (status: TargetStatus) => TARGET_ENDED.includes(status);
/** Where the runner is in a running deployment. */
export type DeploymentPhase = 'targets' | 'smoke' | 'canary' | 'done';

/** What a canary deployment's executors are told (webhook `action`, command `SLIPWAY_ACTION`). */
export type CanaryAction = 'deploy' | 'set-weight' | 'promote' | 'rollback';

/**
 * One call to the executors of a canary deployment. `seq` numbers the calls of a deployment (the
 * step id executors see is `<deploymentId>:<seq>`); per target: `sent` (told, not confirmed yet —
 * after a crash it is told again with the same step id), `confirmed`, or `failed`.
 */
export interface CanaryCall {
  seq: number;
  action: CanaryAction;
  weight: number;
  at: string;
  targets: Record<string, { status: 'sent' | 'confirmed' | 'failed'; at: string; message?: string }>;
  /** Set once every target confirmed and the canary's state (installed, weight, ended) took it in. */
  applied?: boolean;
}

/** A `strategy: "canary"` deployment: the rollout driving it and what its executors have confirmed. */
export interface CanaryState {
  rolloutId: string;
  /** The version the environment ran when the canary was requested: the baseline, and where an abort goes back to. */
  stableVersion: string;
  stableDeploymentId: string;
  planName: string | null;
  /** The rollout's spec, resolved and frozen when the deployment was requested (templates changed later do not apply). */
  spec: RolloutSpec;
  /** Whether the canary version was installed (its `deploy` confirmed by every target). */
  deployed: boolean;
  /** The weight every target confirmed. */
  weight: number;
  /** Set once the executors confirmed `promote` or `rollback`. */
  ended: 'promoted' | 'rolled_back' | null;
  /** The last call made (or being made). */
  call: CanaryCall | null;
  /** The rollout's status, mirrored here for the deployment's readers (running, paused, succeeded, aborted, rolled_back). */
  rolloutStatus: string;
}

export const IN_FLIGHT: readonly DeploymentStatus[] = ['pending_approval', 'pending', 'running'];
export const isFinished = (status: DeploymentStatus) => !IN_FLIGHT.includes(status);

export interface DeploymentTarget {
  key: string;
  position: number;
  /** Snapshot of the environment's executor at request time (webhook secret still sealed). */
  executor: ExecutorConfig;
  status: TargetStatus;
  message: string | null;
  deadlineAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** When the runner told this target to stop (another target failed, or someone cancelled). */
  stopRequestedAt: string | null;
}

export interface Approval {
  userKey: string;
  username: string;
  role: string;
  createdAt: string;
}

export interface Deployment {
  id: string;
  projectId: string;
  projectKey: string;
  environment: string;
  version: string;
  tag: string;
  commit: string;
  kind: 'deploy' | 'rollback';
  rollbackOf: string | null;
  status: DeploymentStatus;
  phase: DeploymentPhase;
  reason: string | null;
  /** Set when a window or freeze was overridden: the reason and the refusals it overrode. */
  override: { reason: string; overridden: string[] } | null;
  requestedBy: string;
  requestedById: string | null;
  approvalsRequired: number;
  approvalRoles: string[];
  /** The approval groups that applied to this release's kind when it was requested. */
  approvalGroups: ApprovalGroup[];
  /** The release's kind (major, minor, patch, hotfix, prerelease). */
  releaseKind: string | null;
  /** Set when the runner must stop the other targets: the first target failed, or someone cancelled. */
  stopReason: 'target_failed' | 'cancelled' | null;
  /** Who rejected the request, and why (status `rejected`). */
  rejection: { by: string; comment: string; at: string } | null;
  smoke: SmokeConfig | null;
  autoRollback: boolean;
  callbackTokenHash: string;
  failureReason: string | null;
  failureTarget: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
  targets: DeploymentTarget[];
  approvals: Approval[];
  /** Set for `strategy: "canary"` deployments. */
  canary: CanaryState | null;
}

/** The columns a transition may change. */
export type DeploymentPatch = Partial<Pick<Deployment, 'status' | 'phase' | 'failureReason' | 'failureTarget' | 'startedAt' | 'finishedAt' | 'stopReason' | 'rejection'>> & {
  nextCheckAt?: string | null;
  updatedAt: string;
};
export type TargetPatch = Partial<Pick<DeploymentTarget, 'status' | 'message' | 'deadlineAt' | 'startedAt' | 'finishedAt' | 'stopRequestedAt'>>;

export interface ListFilter {
  environment?: string;
  status?: DeploymentStatus;
  version?: string;
  beforeId: string | null;
  limit: number;
}

export const inFlightKey = (projectId: string, environment: string) => `${projectId}/${environment}`;

export class DeploymentStore {
  private readonly postgres: boolean;

  constructor(private readonly db: Kysely<Database>) {
    this.postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  }

  /**
   * Locks the deployment's row until the transaction ends (PostgreSQL `FOR UPDATE`; SQLite
   * serialises writing transactions already): read-count-write sequences such as approvals then
   * see every committed approval and cannot interleave.
   */
  async lock(id: string): Promise<void> {
    if (this.postgres) await this.db.selectFrom('deployments').select('id').where('id', '=', id).forUpdate().execute();
    else await this.db.updateTable('deployments').set({ wake: (eb) => eb('wake', '+', 0) }).where('id', '=', id).execute();
  }

  /** Inserts the deployment and its targets; a unique violation means one is already in flight. */
  async insert(d: Deployment): Promise<void> {
    await this.db
      .insertInto('deployments')
      .values({
        id: d.id,
        project_id: d.projectId,
        project_key: d.projectKey,
        environment_key: d.environment,
        version: d.version,
        tag: d.tag,
        commit_sha: d.commit,
        kind: d.kind,
        rollback_of: d.rollbackOf,
        status: d.status,
        phase: d.phase,
        reason: d.reason,
        override_reason: d.override?.reason ?? null,
        overridden: JSON.stringify(d.override?.overridden ?? []),
        requested_by: d.requestedBy,
        requested_by_id: d.requestedById,
        approvals_required: d.approvalsRequired,
        approval_roles: JSON.stringify(d.approvalRoles),
        approval_groups: JSON.stringify(d.approvalGroups),
        release_kind: d.releaseKind,
        canary: d.canary === null ? null : JSON.stringify(d.canary),
        stop_reason: d.stopReason,
        rejected_by: d.rejection === null ? null : JSON.stringify(d.rejection),
        smoke: d.smoke === null ? null : JSON.stringify(d.smoke),
        auto_rollback: d.autoRollback ? 1 : 0,
        callback_token_hash: d.callbackTokenHash,
        failure_reason: d.failureReason,
        failure_target: d.failureTarget,
        in_flight_key: isFinished(d.status) ? null : inFlightKey(d.projectId, d.environment),
        next_check_at: d.status === 'pending' ? d.createdAt : null,
        wake: 0,
        created_at: d.createdAt,
        started_at: d.startedAt,
        finished_at: d.finishedAt,
        updated_at: d.updatedAt,
      })
      .execute();
    if (d.targets.length > 0) {
      await this.db
        .insertInto('deployment_targets')
        .values(
          d.targets.map((t) => ({
            deployment_id: d.id,
            target_key: t.key,
            position: t.position,
            executor: JSON.stringify(t.executor),
            status: t.status,
            message: t.message,
            deadline_at: t.deadlineAt,
            started_at: t.startedAt,
            finished_at: t.finishedAt,
            stop_requested_at: t.stopRequestedAt,
          })),
        )
        .execute();
    }
  }

  async get(id: string): Promise<Deployment | null> {
    const row = await this.db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    const [targets, approvals] = await Promise.all([
      this.db.selectFrom('deployment_targets').selectAll().where('deployment_id', '=', id).orderBy('position', 'asc').execute(),
      this.db.selectFrom('deployment_approvals').selectAll().where('deployment_id', '=', id).orderBy('created_at', 'asc').execute(),
    ]);
    return toDeployment(
      row,
      targets.map(toTarget),
      approvals.map((a) => ({ userKey: a.user_key, username: a.username, role: a.role, createdAt: a.created_at })),
    );
  }

  /** Writes a canary deployment's state (the caller holds the rollout's lease or the deployment's row). */
  async setCanary(id: string, canary: CanaryState, updatedAt: string): Promise<void> {
    await this.db.updateTable('deployments').set({ canary: JSON.stringify(canary), updated_at: updatedAt }).where('id', '=', id).execute();
  }

  /** Whether any deployment to the environment is pending or running, in any project. */
  async anyInFlightIn(environment: string): Promise<{ id: string; projectKey: string; version: string; status: string } | null> {
    const row = await this.db
      .selectFrom('deployments')
      .select(['id', 'project_key', 'version', 'status'])
      .where('environment_key', '=', environment)
      .where('in_flight_key', 'is not', null)
      .executeTakeFirst();
    return row ? { id: row.id, projectKey: row.project_key, version: row.version, status: row.status } : null;
  }

  /** The newest deployment in the environment that ran (succeeded or failed), of any kind. */
  async latestRan(projectId: string, environment: string): Promise<Deployment | null> {
    const row = await this.db
      .selectFrom('deployments')
      .select('id')
      .where('project_id', '=', projectId)
      .where('environment_key', '=', environment)
      .where('status', 'in', ['succeeded', 'failed', 'rolled_back'])
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? this.get(row.id) : null;
  }

  /** The newest deployment of `version` that succeeded in the environment. */
  async lastSucceededOf(projectId: string, environment: string, version: string): Promise<Deployment | null> {
    const row = await this.db
      .selectFrom('deployments')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('environment_key', '=', environment)
      .where('version', '=', version)
      .where('status', '=', 'succeeded')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toDeployment(row, [], []) : null;
  }

  /** The deployment pending or running for a project and environment, if any. */
  async inFlight(projectId: string, environment: string): Promise<Deployment | null> {
    const row = await this.db.selectFrom('deployments').select('id').where('in_flight_key', '=', inFlightKey(projectId, environment)).executeTakeFirst();
    return row ? this.get(row.id) : null;
  }

  /** Newest first, without targets (lists stay one query). */
  async page(projectId: string, filter: ListFilter): Promise<Deployment[]> {
    let query = this.db.selectFrom('deployments').selectAll().where('project_id', '=', projectId);
    if (filter.environment !== undefined) query = query.where('environment_key', '=', filter.environment);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.version !== undefined) query = query.where('version', '=', filter.version);
    if (filter.beforeId !== null) query = query.where('id', '<', filter.beforeId);
    const rows = await query.orderBy('id', 'desc').limit(filter.limit).execute();
    return rows.map((r) => toDeployment(r, [], []));
  }

  async hasSucceeded(projectId: string, environment: string, version: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('deployments')
      .select('id')
      .where('project_id', '=', projectId)
      .where('environment_key', '=', environment)
      .where('version', '=', version)
      .where('status', '=', 'succeeded')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The newest deployment that succeeded in the environment before `beforeId` with another version. */
  async lastSucceededBefore(projectId: string, environment: string, beforeId: string, otherThan: string): Promise<Deployment | null> {
    const row = await this.db
      .selectFrom('deployments')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('environment_key', '=', environment)
      .where('id', '<', beforeId)
      .where('version', '<>', otherThan)
      .where('status', '=', 'succeeded')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toDeployment(row, [], []) : null;
  }

  /** Compare-and-set on status: returns false when the deployment was not in one of `from`. */
  async update(id: string, from: readonly DeploymentStatus[], patch: DeploymentPatch): Promise<boolean> {
    const finished = patch.status !== undefined && isFinished(patch.status);
    const result = await this.db
      .updateTable('deployments')
      .set({
        ...(patch.status !== undefined && { status: patch.status }),
        ...(patch.phase !== undefined && { phase: patch.phase }),
        ...(patch.failureReason !== undefined && { failure_reason: patch.failureReason }),
        ...(patch.failureTarget !== undefined && { failure_target: patch.failureTarget }),
        ...(patch.startedAt !== undefined && { started_at: patch.startedAt }),
        ...(patch.finishedAt !== undefined && { finished_at: patch.finishedAt }),
        ...(patch.nextCheckAt !== undefined && { next_check_at: patch.nextCheckAt }),
        ...(patch.stopReason !== undefined && { stop_reason: patch.stopReason }),
        ...(patch.rejection !== undefined && { rejected_by: patch.rejection === null ? null : JSON.stringify(patch.rejection) }),
        ...(finished && { in_flight_key: null, lease_owner: null, lease_expires_at: null, next_check_at: null }),
        updated_at: patch.updatedAt,
      })
      .where('id', '=', id)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async updateTarget(id: string, key: string, from: readonly TargetStatus[], patch: TargetPatch): Promise<boolean> {
    const result = await this.db
      .updateTable('deployment_targets')
      .set({
        ...(patch.status !== undefined && { status: patch.status }),
        ...(patch.message !== undefined && { message: patch.message }),
        ...(patch.deadlineAt !== undefined && { deadline_at: patch.deadlineAt }),
        ...(patch.startedAt !== undefined && { started_at: patch.startedAt }),
        ...(patch.finishedAt !== undefined && { finished_at: patch.finishedAt }),
        ...(patch.stopRequestedAt !== undefined && { stop_requested_at: patch.stopRequestedAt }),
      })
      .where('deployment_id', '=', id)
      .where('target_key', '=', key)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Marks that a target was told to stop; false when it already was (only one cancel is sent). */
  async markStopRequested(id: string, key: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('deployment_targets')
      .set({ stop_requested_at: at })
      .where('deployment_id', '=', id)
      .where('target_key', '=', key)
      .where('status', 'in', ['pending', 'running'])
      .where('stop_requested_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async approvals(id: string): Promise<Approval[]> {
    const rows = await this.db.selectFrom('deployment_approvals').selectAll().where('deployment_id', '=', id).orderBy('created_at', 'asc').execute();
    return rows.map((a) => ({ userKey: a.user_key, username: a.username, role: a.role, createdAt: a.created_at }));
  }

  async addApproval(id: string, approval: Approval): Promise<void> {
    await this.db
      .insertInto('deployment_approvals')
      .values({ deployment_id: id, user_key: approval.userKey, username: approval.username, role: approval.role, created_at: approval.createdAt })
      .execute();
  }

  /** Asks the runner to look at a deployment at `at` (now: as soon as it can). */
  async scheduleCheck(id: string, at: string): Promise<void> {
    await this.db
      .updateTable('deployments')
      .set((eb) => ({ next_check_at: at, wake: eb('wake', '+', 1) }))
      .where('id', '=', id)
      .where('in_flight_key', 'is not', null)
      .execute();
  }

  async wakeCount(id: string): Promise<number> {
    const row = await this.db.selectFrom('deployments').select('wake').where('id', '=', id).executeTakeFirst();
    return row?.wake ?? 0;
  }

  /** Deployments the runner should look at: in flight, due, and not leased by a live owner. */
  async due(now: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('deployments')
      .select('id')
      .where('in_flight_key', 'is not', null)
      .where('status', 'in', ['pending', 'running'])
      .where('next_check_at', '<=', now)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
      .orderBy('next_check_at', 'asc')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Takes the lease of a deployment: one atomic compare-and-set, so of two servers racing for the
   * same deployment exactly one gets it, on either dialect.
   */
  async claim(id: string, owner: string, now: string, expiresAt: string): Promise<boolean> {
    const result = await this.db
      .updateTable('deployments')
      .set({ lease_owner: owner, lease_expires_at: expiresAt })
      .where('id', '=', id)
      .where('in_flight_key', 'is not', null)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now), eb('lease_owner', '=', owner)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Extends a lease the owner still holds; false when another server took it over. */
  async renew(id: string, owner: string, expiresAt: string): Promise<boolean> {
    const result = await this.db.updateTable('deployments').set({ lease_expires_at: expiresAt }).where('id', '=', id).where('lease_owner', '=', owner).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Gives a lease back, with when the runner should look again (null: only when asked). A request
   * to look made since `seenWake` (a callback that arrived meanwhile) is kept.
   */
  async release(id: string, owner: string, nextCheckAt: string | null, seenWake: number): Promise<void> {
    await this.db.updateTable('deployments').set({ next_check_at: nextCheckAt }).where('id', '=', id).where('lease_owner', '=', owner).where('wake', '=', seenWake).execute();
    await this.db.updateTable('deployments').set({ lease_owner: null, lease_expires_at: null }).where('id', '=', id).where('lease_owner', '=', owner).execute();
  }
}
