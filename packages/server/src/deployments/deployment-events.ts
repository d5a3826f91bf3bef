import type { DeploymentSettings } from '../environments/deployment-settings.js';
import { approvalsView, waitingFor } from './deployment-presenter.js';
import type { Deployment } from './deployment-store.js';
import type { LogLine } from './deployment-log-store.js';

/**
 * What a chat message or an e-mail about a deployment needs, in one payload: the notification
 * feature formats it without reading anything else.
 */
export function deploymentPayload(d: Deployment, extra: { settings?: DeploymentSettings; lastLogLines?: LogLine[]; now?: string } = {}): Record<string, unknown> {
  const end = d.finishedAt ?? extra.now ?? null;
  const finished = !['pending_approval', 'pending', 'running'].includes(d.status);
  return {
    deploymentId: d.id,
    project: d.projectKey,
    environment: d.environment,
    version: d.version,
    tag: d.tag,
    commit: d.commit,
    kind: d.kind,
    rollbackOf: d.rollbackOf,
    status: d.status,
    releaseKind: d.releaseKind,
    targets: d.targets.map((t) => ({ key: t.key, executor: t.executor.type, status: t.status, message: t.message, waitingFor: waitingFor(t) })),
    requestedBy: d.requestedBy,
    approvedBy: d.approvals.map((a) => a.username),
    approvalsMissing: approvalsView(d).missing,
    rejection: d.rejection,
    reason: d.reason,
    override: d.override,
    startedAt: d.startedAt,
    finishedAt: d.finishedAt,
    durationMs: d.startedAt && end ? Date.parse(end) - Date.parse(d.startedAt) : null,
    outcome: finished ? d.status : null,
    failure:
      d.failureReason === null
        ? null
        : { reason: d.failureReason, target: d.failureTarget, lastLogLines: (extra.lastLogLines ?? []).map((l) => (l.target ? `[${l.target}] ${l.line}` : l.line)) },
    dashboards: extra.settings?.dashboards ?? [],
    ...(d.canary && { strategy: 'canary', rolloutId: d.canary.rolloutId, stableVersion: d.canary.stableVersion, weight: d.canary.weight }),
  };
}
