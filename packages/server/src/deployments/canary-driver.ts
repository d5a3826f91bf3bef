import type { OutboundPolicy } from '../shared/outbound-policy.js';
import type { DriverAction } from '@slipway/rollout-engine';
import type { RequestContext } from '../auth/actor.js';
import type { Uow } from '../db/stores.js';
import type { DriverResult, RolloutDriver } from '../rollouts/drivers.js';
import type { MeasureTarget } from '../rollouts/providers.js';
import type { DeploymentTarget as RolloutDeploymentTarget, Rollout } from '../rollouts/rollout-store.js';
import type { Clock } from '../shared/clock.js';
import type { IdGenerator } from '../shared/ids.js';
import type { SecretBox } from '../shared/secret-box.js';
import { callbackTokenFor } from './deployment-service.js';
import { DEFAULT_TIMEOUT_MS, deploymentCommandEnv } from './deployment-runner.js';
import type { DeploymentSignals } from './deployment-signals.js';
import { targetEnded, type CanaryAction, type CanaryCall, type CanaryState, type Deployment, type DeploymentTarget } from './deployment-store.js';
import type { DeployTx, DeploymentTransitions } from './deployment-transitions.js';
import { runCommand, sendWebhook, type WebhookCall } from './executors.js';

export interface CanaryDriverOptions {
  /** Where webhook executors may be sent to (SLIPWAY_OUTBOUND_*), as for every other deployment call. */
  outbound?: OutboundPolicy;
  uow: Uow;
  transitions: DeploymentTransitions;
  signals: DeploymentSignals;
  secrets: SecretBox;
  clock: Clock;
  ids: IdGenerator;
  publicUrl: string;
}

/** How long the ticker waits before looking again at a step that waits for a report (a report wakes it sooner). */
const RECHECK_MS = 5_000;
/** A canary step's command or webhook call: weights are meant to move quickly. */
const STEP_TIMEOUT_MS = 120_000;

const actorOf = (r: Pick<Rollout, 'id'>): RequestContext => ({ actor: { userId: null, username: `rollout:${r.id}`, role: 'admin', tokenId: null }, requestId: null });

/** The next call the executors need for `action`, given what they confirmed; null when it is in place. */
export function nextCall(c: CanaryState, action: DriverAction): { action: CanaryAction; weight: number } | null {
  const unconfirmed = c.call !== null && !callDone(c.call) ? c.call : null;
  switch (action.type) {
    case 'set-weight':
      if (c.ended !== null) return null;
      if (!c.deployed) return { action: 'deploy', weight: action.weight };
      return c.weight === action.weight ? null : { action: 'set-weight', weight: action.weight };
    case 'finalize':
      if (c.ended === 'promoted') return null;
      if (!c.deployed) return { action: 'deploy', weight: 100 };
      return c.weight < 100 ? { action: 'set-weight', weight: 100 } : { action: 'promote', weight: 100 };
    case 'rollback':
      if (c.ended === 'rolled_back') return null;
      // Nobody was ever told anything: nothing to take back.
      if (c.call === null) return null;
      if (c.weight > 0 || (unconfirmed !== null && unconfirmed.weight > 0 && unconfirmed.action !== 'rollback')) return { action: 'set-weight', weight: 0 };
      return { action: 'rollback', weight: 0 };
  }
}

const callDone = (call: CanaryCall) => Object.values(call.targets).length > 0 && Object.values(call.targets).every((t) => t.status === 'confirmed');

/**
 * Drives a `strategy: "canary"` deployment for its rollout: each weight the engine asks for is told
 * to every target's executor — webhook `action` deploy / set-weight / promote / rollback (a 2xx
 * answer confirms), a command run with `SLIPWAY_ACTION` and `SLIPWAY_WEIGHT` (exit 0 confirms), a
 * record target waits for someone to report the step (`slipway report … --succeeded`). The calls
 * and what each target confirmed are stored on the deployment (`canary.call`), so after a crash a
 * confirmed call is never made again; a call sent but not confirmed is repeated with the same
 * `stepId`. Finalize is weight 100 then `promote`; rollback is weight 0 then `rollback` to the
 * stable version; once confirmed, the deployment ends `succeeded` or `rolled_back`.
 */
export class CanaryDriver implements RolloutDriver {
  readonly kind = 'deployment' as const;

  constructor(private readonly o: CanaryDriverOptions) {}

  async apply(rollout: Rollout, action: DriverAction): Promise<DriverResult> {
    const rt = rollout.target as RolloutDeploymentTarget;
    let d = await this.o.uow.reads.deployments.get(rt.deploymentId);
    if (!d || !d.canary) return { status: 'failed', message: `deployment ${rt.deploymentId} is not a canary deployment` };
    if (d.status !== 'running') return { status: 'applied', detail: `deployment ${d.status}` };
    for (let round = 0; round < 8; round++) {
      const c: CanaryState = d.canary!;
      if (c.call !== null && callDone(c.call) && c.call.applied !== true) {
        // Confirmed by reports since the last look: take it in first.
        d = await this.confirmed(d, c.call);
        continue;
      }
      const next = nextCall(c, action);
      if (next === null) break;
      let call = c.call !== null && !callDone(c.call) && c.call.action === next.action && c.call.weight === next.weight ? c.call : null;
      if (call === null) {
        call = { seq: (c.call?.seq ?? 0) + 1, action: next.action, weight: next.weight, at: this.now(), targets: {} };
        const fresh = call;
        d = await this.mutate(d.id, (cs) => ({ ...cs, call: fresh }), [`step ${d.id}:${call.seq}: ${next.action}${next.action === 'promote' || next.action === 'rollback' ? '' : ` at ${next.weight} %`} (${next.action === 'rollback' ? `back to ${c.stableVersion}` : `canary ${d.version}, stable ${c.stableVersion}`})`]);
      }
      let waiting = false;
      const failures: string[] = [];
      for (const t of d.targets) {
        if (targetEnded(t.status)) continue;
        const st = call.targets[t.key];
        if (st?.status === 'confirmed') continue;
        if (t.executor.type === 'record') {
          if (st === undefined) {
            d = await this.setTarget(d, call.seq, t.key, 'sent', undefined, `waiting for a report of step ${d.id}:${call.seq} (${next.action} ${next.weight} %): slipway report ${d.id} --target ${t.key} --succeeded|--failed`);
          }
          waiting = true;
          continue;
        }
        // Marked sent before the call: after a crash it is repeated with the same step id, never lost.
        if (st === undefined) d = await this.setTarget(d, call.seq, t.key, 'sent');
        const outcome = await this.tell(d, t, call);
        d = await this.setTarget(d, call.seq, t.key, outcome.ok ? 'confirmed' : 'failed', outcome.ok ? undefined : outcome.detail, `${next.action} ${next.weight} %: ${outcome.ok ? 'confirmed' : 'failed'} (${outcome.detail})`);
        if (!outcome.ok) failures.push(`${t.key}: ${outcome.detail}`);
      }
      if (failures.length > 0) return { status: 'failed', message: `${next.action} ${next.weight} % failed on ${failures.join('; ')}` };
      const done = d.canary!.call;
      if (waiting || done === null || done.seq !== call.seq || !callDone(done)) return { status: 'waiting', checkAgainAt: this.o.clock.now().getTime() + RECHECK_MS };
      d = await this.confirmed(d, done);
    }
    if (d.status === 'running' && d.canary!.ended !== null && (action.type === 'finalize' || action.type === 'rollback')) await this.finish(d, rollout);
    else if (d.status === 'running' && action.type === 'rollback' && d.canary!.call === null) await this.finish(await this.mutate(d.id, (cs) => ({ ...cs, ended: 'rolled_back' }), []), rollout);
    return { status: 'applied' };
  }

  measureTarget(rollout: Rollout): MeasureTarget {
    const t = rollout.target as RolloutDeploymentTarget;
    return {
      projectKey: rollout.projectKey,
      environment: rollout.environment,
      // The SDK's middleware reports one version-only series per version (flag '').
      canary: { version: t.canaryVersion, flag: '' },
      baseline: { version: t.stableVersion, flag: '' },
      args: { project: rollout.projectKey, environment: rollout.environment, canary: t.canaryVersion, stable: t.stableVersion, version: t.canaryVersion, flag: '', variant: '', weight: String(rollout.state.weight) },
    };
  }

  describe(rollout: Pick<Rollout, 'target'>): string {
    const t = rollout.target as RolloutDeploymentTarget;
    return `canary ${t.canaryVersion} (stable ${t.stableVersion})`;
  }

  private now(): string {
    return this.o.clock.now().toISOString();
  }

  /** Tells one target about a call: a signed webhook (2xx confirms) or a command (exit 0 confirms). */
  private async tell(d: Deployment, t: DeploymentTarget, call: CanaryCall): Promise<{ ok: boolean; detail: string }> {
    const c = d.canary!;
    const timeoutMs = Math.min(t.executor.timeoutMs ?? DEFAULT_TIMEOUT_MS[t.executor.type], STEP_TIMEOUT_MS);
    if (t.executor.type === 'webhook') {
      const body: WebhookCall = {
        action: call.action,
        deploymentId: d.id,
        project: d.projectKey,
        environment: d.environment,
        target: t.key,
        // The version the target must run the canary slot with (rollback: the stable one everywhere).
        version: call.action === 'rollback' ? c.stableVersion : d.version,
        tag: d.tag,
        commit: d.commit,
        callbackUrl: `${this.o.publicUrl}/api/v1/deployments/${d.id}/status`,
        callbackToken: callbackTokenFor(this.o.secrets, d.id),
        weight: call.weight,
        stableVersion: c.stableVersion,
        canaryVersion: d.version,
        stepId: `${d.id}:${call.seq}`,
        strategy: 'canary',
        rolloutId: c.rolloutId,
      };
      return sendWebhook(t.executor.url, this.o.secrets.decrypt(t.executor.secret), body, timeoutMs, 'deployment', this.o.outbound);
    }
    if (t.executor.type !== 'command') return { ok: false, detail: 'not an executor Slipway calls' };
    const env = {
      ...deploymentCommandEnv(d, t.key),
      SLIPWAY_ACTION: call.action,
      SLIPWAY_WEIGHT: String(call.weight),
      SLIPWAY_STABLE_VERSION: c.stableVersion,
      SLIPWAY_CANARY_VERSION: d.version,
      SLIPWAY_STEP_ID: `${d.id}:${call.seq}`,
      SLIPWAY_ROLLOUT_ID: c.rolloutId,
    };
    const lines: Array<{ stream: string; line: string }> = [];
    const result = await runCommand(t.executor.command, env, timeoutMs, (stream, line) => lines.push({ stream, line }));
    if (lines.length > 0) {
      await this.o.uow.reads.deploymentLogs.append(d.id, lines.slice(-200).map((l) => ({ id: this.o.ids.next(), target: t.key, stream: l.stream, line: l.line.slice(0, 10_000), at: this.now() })));
    }
    const detail = result.timedOut ? `killed after ${timeoutMs} ms` : result.error ? `could not start: ${result.error}` : `exit ${result.exitCode}`;
    return { ok: result.ok, detail };
  }

  /** Changes the canary state under the deployment's row lock (reports change it too), with log lines. */
  private async mutate(id: string, fn: (c: CanaryState) => CanaryState, lines: string[], target: string | null = null): Promise<Deployment> {
    const after = await this.o.uow.transaction(async (tx) => {
      await tx.stores.deployments.lock(id);
      const d = (await tx.stores.deployments.get(id))!;
      const next = fn(d.canary!);
      await tx.stores.deployments.setCanary(id, next, tx.now);
      if (lines.length > 0) await this.o.transitions.log(tx, id, lines.map((line) => ({ target, line })));
      return { ...d, canary: next };
    });
    this.o.signals.changed(id);
    return after;
  }

  private setTarget(d: Deployment, seq: number, key: string, status: 'sent' | 'confirmed' | 'failed', message?: string, line?: string): Promise<Deployment> {
    return this.mutate(
      d.id,
      (c) => (c.call === null || c.call.seq !== seq ? c : { ...c, call: { ...c.call, targets: { ...c.call.targets, [key]: { status, at: this.now(), ...(message !== undefined && { message }) } } } }),
      line ? [line] : [],
      key,
    );
  }

  /** Every target confirmed a call: the canary is installed, at that weight, promoted or rolled back. */
  private async confirmed(d: Deployment, call: CanaryCall): Promise<Deployment> {
    const after = await this.o.uow.transaction(async (tx) => {
      await tx.stores.deployments.lock(d.id);
      const now = (await tx.stores.deployments.get(d.id))!;
      const c = now.canary!;
      if (c.call?.seq !== call.seq || c.call.applied === true) return now;
      const next: CanaryState = {
        ...c,
        call: { ...c.call, applied: true },
        deployed: c.deployed || call.action === 'deploy',
        weight: call.weight,
        ended: call.action === 'promote' ? 'promoted' : call.action === 'rollback' ? 'rolled_back' : c.ended,
      };
      await tx.stores.deployments.setCanary(d.id, next, tx.now);
      if (call.action === 'deploy') {
        for (const t of now.targets) await tx.stores.deployments.updateTarget(d.id, t.key, ['pending'], { status: 'running', startedAt: tx.now, message: `canary ${now.version} at ${call.weight} %` });
      }
      await this.inFlight(tx, { ...now, canary: next });
      return { ...now, canary: next };
    });
    this.o.signals.changed(d.id);
    return after;
  }

  /** The status matrix shows the stable version with the canary and its weight while it is in flight. */
  private async inFlight(tx: DeployTx, d: Deployment): Promise<void> {
    const state = await tx.stores.deploymentState.get(d.projectId, d.environment);
    if (!state || state.inFlight?.deploymentId !== d.id) return;
    const c = d.canary!;
    await tx.stores.deploymentState.put({ ...state, inFlight: { ...state.inFlight, canary: { rolloutId: c.rolloutId, stableVersion: c.stableVersion, weight: c.weight, status: c.rolloutStatus } }, updatedAt: tx.now });
  }

  /** Promoted or rolled back everywhere: the deployment ends (the environment runs the canary, or the stable version again). */
  private async finish(d: Deployment, rollout: Rollout): Promise<void> {
    const c = d.canary!;
    const ctx = actorOf(rollout);
    const latest = await this.o.uow.reads.rollouts.get(rollout.id);
    const status = latest?.state.status ?? rollout.state.status;
    const decision = (await this.o.uow.reads.rollouts.decisions(rollout.id)).filter((x) => x.type === 'rolled_back' || x.type === 'aborted').pop();
    const breach = typeof decision?.data?.breach === 'string' ? decision.data.breach : null;
    await this.o.uow.transaction(async (tx) => {
      await tx.stores.deployments.lock(d.id);
      const now = (await tx.stores.deployments.get(d.id))!;
      if (now.status !== 'running') return;
      if (c.ended === 'promoted') {
        for (const t of now.targets) await tx.stores.deployments.updateTarget(d.id, t.key, ['pending', 'running'], { status: 'succeeded', message: `promoted: ${now.version} at 100 %`, finishedAt: tx.now });
        await this.o.transitions.finish(tx, ctx, (await tx.stores.deployments.get(d.id))!, 'succeeded', null, ['running']);
        return;
      }
      const why = status === 'aborted' ? 'canary_aborted' : 'canary_analysis_failed';
      for (const t of now.targets) await tx.stores.deployments.updateTarget(d.id, t.key, ['pending', 'running'], { status: 'cancelled', message: `rolled back to ${c.stableVersion}`, finishedAt: tx.now });
      await this.o.transitions.finish(tx, ctx, (await tx.stores.deployments.get(d.id))!, 'rolled_back', { reason: why, target: null }, ['running'], {
        rolledBackTo: c.stableVersion,
        rollbackReason: status === 'aborted' ? (decision?.message ?? 'the canary was aborted') : `the canary analysis failed${breach ? `: ${breach}` : ''}`,
        ...(breach !== null && { breach }),
        rolloutId: c.rolloutId,
      });
    });
    this.o.signals.changed(d.id);
  }
}
