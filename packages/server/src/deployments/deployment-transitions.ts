import type { RequestContext } from '../auth/actor.js';
import type { Stores } from '../db/stores.js';
import type { Tx } from '../db/unit-of-work.js';
import { readSettings } from '../environments/deployment-settings.js';
import type { IdGenerator } from '../shared/ids.js';
import type { DeploymentState, Landed } from '../status/deployment-state-store.js';
import { deploymentPayload } from './deployment-events.js';
import type { LogLine } from './deployment-log-store.js';
import type { Deployment, DeploymentStatus, TargetStatus } from './deployment-store.js';

export type DeployTx = Tx<Stores>;
/** `rolled_back`: a canary deployment whose rollout was aborted (the environment runs the stable version again). */
export type Outcome = 'succeeded' | 'failed' | 'cancelled' | 'rejected' | 'rolled_back';
export type TargetOutcome = Exclude<TargetStatus, 'pending' | 'running'>;

const isInFlight = (status: DeploymentStatus) => status === 'pending_approval' || status === 'pending' || status === 'running';

const landed = (d: Deployment, at: string): Landed => ({ deploymentId: d.id, version: d.version, tag: d.tag, commit: d.commit, at, by: d.requestedBy });

/**
 * Every change of a deployment's state goes through here, inside the caller's transaction: the row,
 * the per-(project, environment) state the status matrix reads, the audit record and the outbox
 * event move together or not at all.
 */
export class DeploymentTransitions {
  constructor(private readonly ids: IdGenerator) {}

  async log(tx: DeployTx, deploymentId: string, lines: Array<{ target?: string | null; stream?: string; line: string }>): Promise<void> {
    await tx.stores.deploymentLogs.append(
      deploymentId,
      lines.map((l) => ({ id: this.ids.next(), target: l.target ?? null, stream: l.stream ?? 'slipway', line: l.line, at: tx.now })),
    );
  }

  private async state(tx: DeployTx, d: Deployment): Promise<DeploymentState> {
    return (await tx.stores.deploymentState.get(d.projectId, d.environment)) ?? { projectId: d.projectId, environment: d.environment, current: null, previous: null, inFlight: null, targets: {}, updatedAt: tx.now };
  }

  async payload(tx: DeployTx, d: Deployment): Promise<Record<string, unknown>> {
    const env = await tx.stores.environments.get(d.environment);
    const lastLogLines: LogLine[] = d.failureReason === null ? [] : await tx.stores.deploymentLogs.tail(d.id, 20, d.failureTarget ?? undefined);
    return deploymentPayload(d, { ...(env && { settings: readSettings(env.settings) }), lastLogLines, now: tx.now });
  }

  async event(tx: DeployTx, ctx: RequestContext, d: Deployment, type: string, extra: Record<string, unknown> = {}): Promise<void> {
    await tx.record(ctx, {
      action: type,
      resourceType: 'deployment',
      resourceId: d.id,
      after: { ...d, callbackTokenHash: undefined, targets: d.targets.map((t) => ({ key: t.key, status: t.status, message: t.message })) },
      event: { type, payload: { ...(await this.payload(tx, d)), ...extra }, projectKey: d.projectKey, environmentKey: d.environment },
    });
  }

  /**
   * One target ended (its executor said so, a person reported, or its deadline passed). What it
   * reported is what the status matrix shows for it, at once. The first target to fail names the
   * deployment's failure and asks the runner to stop the others. Returns null when the target had
   * already ended (whoever loses a race stops).
   */
  async targetEnded(tx: DeployTx, ctx: RequestContext, id: string, key: string, status: TargetOutcome, message: string | null, reason?: string): Promise<Deployment | null> {
    // Reports of two targets at once: one after the other, so the status matrix's read-merge-write
    // of the environment's state keeps both targets and exactly one of them ends the deployment.
    await tx.stores.deployments.lock(id);
    const before = await tx.stores.deployments.get(id);
    const target = before?.targets.find((t) => t.key === key);
    if (!before || !target) return null;
    const changed = await tx.stores.deployments.updateTarget(id, key, ['pending', 'running'], {
      status,
      ...(message !== null && { message }),
      ...(target.startedAt === null && { startedAt: tx.now }),
      finishedAt: tx.now,
    });
    if (!changed) return null;
    await this.log(tx, id, [{ target: key, line: `${status}${message ? `: ${message}` : ''}` }]);
    if (status === 'succeeded') {
      const state = await this.state(tx, before);
      await tx.stores.deploymentState.put({ ...state, targets: { ...state.targets, [key]: landed(before, tx.now) }, updatedAt: tx.now });
    }
    if ((status === 'failed' || status === 'timed_out') && before.failureTarget === null && isInFlight(before.status)) {
      const failureReason = reason ?? (status === 'timed_out' ? 'timeout' : 'target_failed');
      await tx.stores.deployments.update(id, ['pending', 'running'], { failureReason, failureTarget: key, stopReason: before.stopReason ?? 'target_failed', updatedAt: tx.now });
      await this.log(tx, id, [{ line: `target ${key} ${status === 'timed_out' ? 'timed out' : 'failed'} first: the other targets are told to stop; each one's own outcome is still recorded` }]);
    }
    await tx.stores.deployments.scheduleCheck(id, tx.now);
    const after = (await tx.stores.deployments.get(id))!;
    await this.event(tx, ctx, after, 'deployment.target_reported', { reportedTarget: { key, status, message } });
    return after;
  }

  /** A new deployment (already inserted): it is now the in-flight one. */
  async requested(tx: DeployTx, ctx: RequestContext, d: Deployment): Promise<void> {
    const state = await this.state(tx, d);
    await tx.stores.deploymentState.put({ ...state, inFlight: { deploymentId: d.id, version: d.version, status: d.status, requestedBy: d.requestedBy, since: d.createdAt }, updatedAt: tx.now });
    await this.log(tx, d.id, [{ line: `${d.requestedBy} requested ${d.kind === 'rollback' ? 'a rollback to' : 'deployment of'} ${d.version} (${d.tag}) to ${d.environment}${d.reason ? `: ${d.reason}` : ''}` }]);
    await this.event(tx, ctx, d, 'deployment.requested');
    if (d.override && d.override.overridden.length > 0) {
      await this.log(tx, d.id, [{ line: `override by ${d.requestedBy} (${d.override.overridden.join(', ')}): ${d.override.reason}` }]);
      await this.event(tx, ctx, d, 'deployment.override_used');
    }
  }

  /** Moves between in-flight states (approved → pending, pending → running). */
  async progressed(tx: DeployTx, d: Deployment): Promise<void> {
    const state = await this.state(tx, d);
    if (state.inFlight?.deploymentId === d.id) await tx.stores.deploymentState.put({ ...state, inFlight: { ...state.inFlight, status: d.status }, updatedAt: tx.now });
  }

  /**
   * Ends a deployment. Returns false (and changes nothing) when it had already ended or moved on:
   * whoever loses a race simply stops.
   */
  async finish(tx: DeployTx, ctx: RequestContext, d: Deployment, outcome: Outcome, failure: { reason: string; target: string | null } | null, from: readonly DeploymentStatus[], extra: Record<string, unknown> = {}): Promise<Deployment | null> {
    const stored = await tx.stores.deployments.get(d.id);
    // The first failing target, recorded when it failed, stays the deployment's failure.
    const keepFailure = stored !== null && stored.failureReason !== null;
    const ok = await tx.stores.deployments.update(d.id, from, {
      status: outcome,
      phase: 'done',
      finishedAt: tx.now,
      updatedAt: tx.now,
      ...(failure && !keepFailure && { failureReason: failure.reason, failureTarget: failure.target }),
    });
    if (!ok) return null;
    const after = (await tx.stores.deployments.get(d.id))!;
    const state = await this.state(tx, after);
    const next: DeploymentState = { ...state, updatedAt: tx.now };
    if (state.inFlight?.deploymentId === d.id) next.inFlight = null;
    const targets = { ...state.targets };
    for (const t of after.targets) if (t.status === 'succeeded') targets[t.key] = landed(after, tx.now);
    next.targets = targets;
    if (outcome === 'succeeded') {
      if (state.current?.deploymentId !== after.id) next.previous = state.current;
      next.current = landed(after, tx.now);
    }
    await tx.stores.deploymentState.put(next);
    const named = after.failureReason !== null ? { reason: after.failureReason, target: after.failureTarget } : failure;
    await this.log(tx, d.id, [{ line: `deployment ${outcome}${named ? `: ${named.reason}${named.target ? ` (target ${named.target})` : ''}` : ''}` }]);
    await this.event(tx, ctx, after, `deployment.${outcome}`, extra);
    if (outcome === 'succeeded' && after.kind === 'rollback' && after.rollbackOf) {
      const original = await tx.stores.deployments.get(after.rollbackOf);
      if (original && (await tx.stores.deployments.update(original.id, ['succeeded', 'failed'], { status: 'rolled_back', updatedAt: tx.now }))) {
        await this.log(tx, original.id, [{ line: `rolled back to ${after.version} by deployment ${after.id} (targets ${after.targets.map((t) => t.key).join(', ')})` }]);
        // The message is about the rollback: its own reason, the version it went back to and where.
        await this.event(tx, ctx, { ...original, status: 'rolled_back' }, 'deployment.rolled_back', {
          rolledBackTo: after.version,
          rollbackDeploymentId: after.id,
          rollbackReason: after.reason,
          rollbackTargets: after.targets.map((t) => t.key),
          rollbackBy: after.requestedBy,
        });
      }
    }
    return after;
  }
}
