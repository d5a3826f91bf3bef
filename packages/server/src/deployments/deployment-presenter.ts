import { Type } from '@sinclair/typebox';
import { Nullable, Timestamp } from '../http/schemas.js';
import type { Deployment } from './deployment-store.js';

export const TargetSchema = Type.Object({
  key: Type.String(),
  executor: Type.String({ description: 'record, command or webhook' }),
  status: Type.String({ description: 'pending, running, succeeded, failed or cancelled' }),
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
  status: Type.String({ description: 'pending_approval, pending, running, succeeded, failed, rolled_back or cancelled' }),
  reason: Nullable(Type.String()),
  override: Nullable(Type.Object({ reason: Type.String(), overridden: Type.Array(Type.String()) })),
  requestedBy: Type.String(),
  approvals: Type.Object({
    required: Type.Integer(),
    roles: Type.Array(Type.String()),
    given: Type.Array(Type.Object({ username: Type.String(), role: Type.String(), at: Type.String() })),
  }),
  targets: Type.Array(TargetSchema),
  smoke: Type.Boolean(),
  autoRollback: Type.Boolean(),
  failure: Nullable(Type.Object({ reason: Type.String(), target: Nullable(Type.String()) })),
  createdAt: Timestamp,
  startedAt: Nullable(Type.String()),
  finishedAt: Nullable(Type.String()),
  updatedAt: Timestamp,
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
    reason: d.reason,
    override: d.override,
    requestedBy: d.requestedBy,
    approvals: { required: d.approvalsRequired, roles: d.approvalRoles, given: d.approvals.map((a) => ({ username: a.username, role: a.role, at: a.createdAt })) },
    targets: d.targets.map((t) => ({ key: t.key, executor: t.executor.type, status: t.status, message: t.message, startedAt: t.startedAt, finishedAt: t.finishedAt, deadlineAt: t.deadlineAt })),
    smoke: d.smoke !== null,
    autoRollback: d.autoRollback,
    failure: d.failureReason === null ? null : { reason: d.failureReason, target: d.failureTarget },
    createdAt: d.createdAt,
    startedAt: d.startedAt,
    finishedAt: d.finishedAt,
    updatedAt: d.updatedAt,
    ...(callbackToken !== undefined && { callbackToken }),
  };
}
