import type { Selectable } from 'kysely';
import type { DeploymentTable, DeploymentTargetTable } from '../db/schema.js';
import type { ApprovalGroup, ExecutorConfig, SmokeConfig } from '../environments/deployment-settings.js';
import type { Approval, CanaryState, Deployment, DeploymentPhase, DeploymentStatus, DeploymentTarget, TargetStatus } from './deployment-store.js';

// Rows of the deployments tables to domain objects (JSON columns parsed), for DeploymentStore.

export function toTarget(row: Selectable<DeploymentTargetTable>): DeploymentTarget {
  return {
    key: row.target_key,
    position: row.position,
    executor: JSON.parse(row.executor) as ExecutorConfig,
    status: row.status as TargetStatus,
    message: row.message,
    deadlineAt: row.deadline_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    stopRequestedAt: row.stop_requested_at,
  };
}

export function toDeployment(row: Selectable<DeploymentTable>, targets: DeploymentTarget[], approvals: Approval[]): Deployment {
  return {
    id: row.id,
    projectId: row.project_id,
    projectKey: row.project_key,
    environment: row.environment_key,
    version: row.version,
    tag: row.tag,
    commit: row.commit_sha,
    kind: row.kind as Deployment['kind'],
    rollbackOf: row.rollback_of,
    status: row.status as DeploymentStatus,
    phase: row.phase as DeploymentPhase,
    reason: row.reason,
    override: row.override_reason === null ? null : { reason: row.override_reason, overridden: JSON.parse(row.overridden) as string[] },
    requestedBy: row.requested_by,
    requestedById: row.requested_by_id,
    approvalsRequired: row.approvals_required,
    approvalRoles: JSON.parse(row.approval_roles) as string[],
    approvalGroups: JSON.parse(row.approval_groups) as ApprovalGroup[],
    releaseKind: row.release_kind,
    stopReason: row.stop_reason as Deployment['stopReason'],
    rejection: row.rejected_by === null ? null : (JSON.parse(row.rejected_by) as Deployment['rejection']),
    smoke: row.smoke === null ? null : (JSON.parse(row.smoke) as SmokeConfig),
    autoRollback: row.auto_rollback === 1,
    callbackTokenHash: row.callback_token_hash,
    failureReason: row.failure_reason,
    failureTarget: row.failure_target,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    updatedAt: row.updated_at,
    targets,
    approvals,
    canary: row.canary === null || row.canary === undefined ? null : (JSON.parse(row.canary) as CanaryState),
  };
}

