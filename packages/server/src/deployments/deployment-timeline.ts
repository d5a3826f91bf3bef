import type { Uow } from '../db/stores.js';
import { NotFoundError } from '../shared/errors.js';
import type { AuditRecord } from '../audit/audit-store.js';

/** One step in a deployment's life, as the deployment page shows it. */
export interface TimelineEvent {
  /** The audit record it comes from. */
  id: string;
  at: string;
  /** `requested`, `override_used`, `approved`, `started`, `target_reported`, `succeeded`, `failed`, `cancelled`, `rolled_back`, … */
  type: string;
  actor: string;
  /** The deployment's status after this step. */
  status: string | null;
  /** For a target report: the target and what it reported. */
  target: { key: string; status: string; message: string | null } | null;
  /** One sentence, e.g. "dana approved" or "target eu-1 reported failed: exit code 1". */
  message: string;
}

interface DeploymentSnapshot {
  status?: string;
  version?: string;
  environment?: string;
  reason?: string | null;
  override?: { reason: string; overridden: string[] } | null;
  failureReason?: string | null;
  failureTarget?: string | null;
  targets?: Array<{ key: string; status: string; message: string | null }>;
}

/** At most this many steps are read: a deployment has a handful, plus one per target report. */
const MAX_EVENTS = 1000;

/**
 * A deployment's event timeline (requested, approved by whom, started, target reports, ended),
 * read from the audit records every deployment transition writes with its outbox event.
 */
export class DeploymentTimeline {
  constructor(private readonly uow: Uow) {}

  async events(id: string): Promise<TimelineEvent[]> {
    const deployment = await this.uow.reads.deployments.get(id);
    if (!deployment) throw new NotFoundError(`Deployment ${id} does not exist.`, { id });
    const records = await this.uow.reads.audit.forResource('deployment', id, MAX_EVENTS);
    const events: TimelineEvent[] = [];
    let previousTargets = new Map<string, string>();
    for (const record of records) {
      const after = (record.after ?? {}) as DeploymentSnapshot;
      const targets = after.targets ?? [];
      const type = record.action.startsWith('deployment.') ? record.action.slice('deployment.'.length) : record.action;
      let target: TimelineEvent['target'] = null;
      if (type === 'target_reported') {
        const changed = targets.find((t) => previousTargets.get(t.key) !== `${t.status}\0${t.message ?? ''}`) ?? null;
        target = changed ? { key: changed.key, status: changed.status, message: changed.message ?? null } : null;
      }
      if (targets.length > 0) previousTargets = new Map(targets.map((t) => [t.key, `${t.status}\0${t.message ?? ''}`]));
      events.push({ id: record.id, at: record.at, type, actor: record.actor.name, status: after.status ?? null, target, message: describe(type, record, after, target) });
    }
    if (deployment.canary) {
      // A canary's rollout decisions (step started, paused, analysis failed, rolled back, …), as `rollout.<type>`.
      for (const record of await this.uow.reads.audit.forResource('rollout', deployment.canary.rolloutId, MAX_EVENTS)) {
        const after = (record.after ?? {}) as { message?: string; weight?: number };
        events.push({ id: record.id, at: record.at, type: record.action, actor: record.actor.name, status: null, target: null, message: after.message ?? record.action });
      }
      events.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    }
    return events;
  }
}

function describe(type: string, record: AuditRecord, after: DeploymentSnapshot, target: TimelineEvent['target']): string {
  const who = record.actor.name;
  switch (type) {
    case 'requested':
      return `${who} requested ${after.version ?? 'a version'} to ${after.environment ?? 'the environment'}${after.reason ? `: ${after.reason}` : ''}`;
    case 'override_used':
      return `${who} overrode ${after.override?.overridden.join(', ') ?? 'a guard'}: ${after.override?.reason ?? ''}`.trim();
    case 'approved':
      return `${who} approved`;
    case 'started':
      return 'started';
    case 'target_reported':
      return target ? `target ${target.key} reported ${target.status}${target.message ? `: ${target.message}` : ''}` : 'a target reported';
    case 'failed':
      return `failed${after.failureReason ? `: ${after.failureReason}` : ''}${after.failureTarget ? ` (target ${after.failureTarget})` : ''}`;
    case 'cancelled':
      return `${who} cancelled`;
    default:
      return type.replace(/_/g, ' ');
  }
}
