import { Type } from '@sinclair/typebox';
import { Nullable, Timestamp } from '../http/schemas.js';
import { groupProgress } from './deployment-approvals.js';
import type { Deployment, DeploymentTarget } from './deployment-store.js';

/** What a running target waits for: a person's report (record), the executor's callback (webhook). */
export function waitingFor(t: DeploymentTarget): 'report' | 'callback' | null {
  if (t.status !== 'running') return null;
  return t.executor.type === 'record' ? 'report' : t.executor.type === 'webhook' ? 'callback' : null;
}

export const TargetSchema = Type.Object({
  key: Type.String(),
  executor: Type.String({ description: 'record, command or webhook' }),
  status: Type.String({ description: 'pending, running, succeeded, failed, timed_out or cancelled' }),
  waitingFor: Nullable(Type.String({ description: 'report: someone must report it (slipway report); callback: the webhook executor reports it' })),
  stopRequestedAt: Nullable(Type.String({ description: 'when Slipway told it to stop (another target failed, or a cancel)' })),
  message: Nullable(Type.String()),
  startedAt: Nullable(Type.String()),
  finishedAt: Nullable(Type.String()),
  deadlineAt: Nullable(Type.String()),
});

export const DeploymentSchema = Type.Object({
  id: Type.String(),
  project: Type.String(),
  environment: Type.String(),
  version: Type.String(),
  tag: Type.String(),
  commit: Type.String(),
  kind: Type.String({ description: 'deploy or rollback' }),
  rollbackOf: Nullable(Type.String()),
  status: Type.String({ description: 'pending_approval, pending, running, succeeded, failed, rolled_back, cancelled or rejected' }),
  releaseKind: Nullable(Type.String()),
  stopping: Nullable(Type.String({ description: 'target_failed or cancelled: the other targets were told to stop; it ends when every target has' })),
  rejection: Nullable(Type.Object({ by: Type.String(), comment: Type.String(), at: Type.String() })),
  reason: Nullable(Type.String()),
  override: Nullable(Type.Object({ reason: Type.String(), overridden: Type.Array(Type.String()) })),
  requestedBy: Type.String(),
  approvals: Type.Object({
    required: Type.Integer(),
    roles: Type.Array(Type.String()),
    given: Type.Array(Type.Object({ username: Type.String(), role: Type.String(), at: Type.String() })),
    groups: Type.Array(
      Type.Object({
        name: Type.String(),
        required: Type.Integer(),
        roles: Type.Array(Type.String()),
        users: Type.Array(Type.String()),
        kinds: Type.Optional(Type.Array(Type.String())),
        approvedBy: Type.Array(Type.String()),
        missing: Type.Integer(),
      }),
    ),
    missing: Type.Array(Type.String(), { description: 'names of the groups still missing approvals' }),
  }),
  targets: Type.Array(TargetSchema),
  smoke: Type.Boolean(),
  autoRollback: Type.Boolean(),
  failure: Nullable(Type.Object({ reason: Type.String(), target: Nullable(Type.String()) })),
  createdAt: Timestamp,
  startedAt: Nullable(Type.String()),
  finishedAt: Nullable(Type.String()),
  updatedAt: Timestamp,
  strategy: Type.String({ description: 'all-at-once or canary' }),
  rolloutId: Nullable(Type.String({ description: 'canary: the rollout driving it (GET /api/v1/rollouts/{id})' })),
  canary: Nullable(
    Type.Object({
      rolloutId: Type.String(),
      status: Type.String({ description: "the rollout's status: pending (not started: approvals), running, paused, succeeded, aborted, rolled_back" }),
      stableVersion: Type.String(),
      canaryVersion: Type.String(),
      weight: Type.Number({ description: 'the weight every target confirmed' }),
      plan: Nullable(Type.String()),
      step: Nullable(Type.Object({ id: Type.String(), action: Type.String(), weight: Type.Number(), targets: Type.Record(Type.String(), Type.String()) }, { description: 'the last call to the executors' })),
    }),
  ),
  callbackToken: Type.Optional(Type.String({ description: 'only when created: the token executors and scripts use to report results (shown once)' })),
});

export const LogLineSchema = Type.Object({ id: Type.String(), target: Nullable(Type.String()), stream: Type.String(), line: Type.String(), at: Type.String() });

export function presentDeployment(d: Deployment, callbackToken?: string) {
  return {
    id: d.id,
    project: d.projectKey,
    environment: d.environment,
    version: d.version,
    tag: d.tag,
    commit: d.commit,
    kind: d.kind,
    rollbackOf: d.rollbackOf,
    status: d.status,
    releaseKind: d.releaseKind,
    stopping: d.status === 'running' ? d.stopReason : null,
    rejection: d.rejection,
    reason: d.reason,
    override: d.override,
    requestedBy: d.requestedBy,
    approvals: approvalsView(d),
    targets: d.targets.map((t) => ({
      key: t.key,
      executor: t.executor.type,
      status: t.status,
      waitingFor: waitingFor(t),
      stopRequestedAt: t.stopRequestedAt,
      message: t.message,
      startedAt: t.startedAt,
      finishedAt: t.finishedAt,
      deadlineAt: t.deadlineAt,
    })),
    smoke: d.smoke !== null,
    autoRollback: d.autoRollback,
    failure: d.failureReason === null ? null : { reason: d.failureReason, target: d.failureTarget },
    createdAt: d.createdAt,
    startedAt: d.startedAt,
    finishedAt: d.finishedAt,
    updatedAt: d.updatedAt,
    strategy: d.canary ? 'canary' : 'all-at-once',
    rolloutId: d.canary?.rolloutId ?? null,
    canary: d.canary ? canaryView(d) : null,
    ...(callbackToken !== undefined && { callbackToken }),
  };
}

function canaryView(d: Deployment) {
  const c = d.canary!;
  const call = c.call;
  return {
    rolloutId: c.rolloutId,
    status: c.rolloutStatus,
    stableVersion: c.stableVersion,
    canaryVersion: d.version,
    weight: c.weight,
    plan: c.planName,
    step: call ? { id: `${d.id}:${call.seq}`, action: call.action, weight: call.weight, targets: Object.fromEntries(Object.entries(call.targets).map(([k, v]) => [k, v.status])) } : null,
  };
}

export function approvalsView(d: Deployment) {
  const groups = groupProgress(d.approvalGroups, d.approvals);
  return {
    required: d.approvalsRequired,
    roles: d.approvalRoles,
    given: d.approvals.map((a) => ({ username: a.username, role: a.role, at: a.createdAt })),
    groups,
    missing: d.status === 'pending_approval' ? groups.filter((g) => g.missing > 0).map((g) => g.name) : [],
  };
}
