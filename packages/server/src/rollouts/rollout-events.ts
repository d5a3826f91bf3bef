import type { Decision } from '@slipway/rollout-engine';
import type { RequestContext } from '../auth/actor.js';
import type { Stores } from '../db/stores.js';
import type { Tx } from '../db/unit-of-work.js';
import type { IdGenerator } from '../shared/ids.js';
import type { RolloutDriver } from './drivers.js';
import type { Rollout, StoredMeasurement } from './rollout-store.js';

/** Decisions announced as `rollout.<type>` events; the others are only stored. */
export const ANNOUNCED = new Set(['started', 'step_started', 'paused', 'resumed', 'promoted', 'analysis_failed', 'aborted', 'rolled_back', 'completed']);

/** "error-rate: 0.031, 0.044, 0.052 (failureCondition result > 0.01; 5 failed in a row > consecutiveFailureLimit 4)". */
export function breachSummary(data: Record<string, unknown>, values: StoredMeasurement[]): string {
  const counts = (data.counts ?? {}) as Record<string, number>;
  const limits = (data.limits ?? {}) as Record<string, number>;
  const threshold = [data.failureCondition ? `failureCondition ${String(data.failureCondition)}` : null, data.successCondition ? `successCondition ${String(data.successCondition)}` : null].filter(Boolean).join(', ');
  let limit = '';
  if (data.phase === 'Failed') {
    limit =
      limits.consecutiveFailureLimit !== undefined && (counts.consecutiveFailed ?? 0) > limits.consecutiveFailureLimit
        ? `${counts.consecutiveFailed} failed in a row > consecutiveFailureLimit ${limits.consecutiveFailureLimit}`
        : `${counts.failed} failed > failureLimit ${limits.failureLimit}`;
  } else if (data.phase === 'Error') limit = `${counts.consecutiveError} errors in a row > consecutiveErrorLimit ${limits.consecutiveErrorLimit}`;
  const shown = values.slice(-10).map((m) => (m.value === null ? (m.phase === 'Error' ? 'error' : 'no data') : `${round(m.value)}${m.baseline !== null ? ` (baseline ${round(m.baseline)})` : ''}`));
  return `${String(data.metric ?? '?')} (${String(data.template ?? '?')}): ${shown.join(', ') || 'no values'}${threshold || limit ? ` — ${[threshold, limit].filter(Boolean).join('; ')}` : ''}`;
}

const round = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());

/**
 * A canary deployment shows its rollout: the rollout's status (running, paused, …) on the
 * deployment and in the status matrix, and each decision as a line of the deployment's log.
 */
async function mirrorOnDeployment(tx: Tx<Stores>, ids: IdGenerator, rollout: Rollout, decisions: Decision[]): Promise<void> {
  if (rollout.target.kind !== 'deployment') return;
  const id = rollout.target.deploymentId;
  const d = await tx.stores.deployments.get(id);
  if (!d?.canary) return;
  const canary = { ...d.canary, rolloutStatus: rollout.state.status };
  await tx.stores.deployments.setCanary(id, canary, tx.now);
  await tx.stores.deploymentLogs.append(id, decisions.map((x) => ({ id: ids.next(), target: null, stream: 'slipway', line: `rollout ${x.type}: ${x.message}${typeof x.data?.breach === 'string' ? ` — ${x.data.breach}` : ''}`.slice(0, 10_000), at: tx.now })));
  const state = await tx.stores.deploymentState.get(d.projectId, d.environment);
  if (state?.inFlight?.deploymentId === id) {
    await tx.stores.deploymentState.put({ ...state, inFlight: { ...state.inFlight, canary: { rolloutId: canary.rolloutId, stableVersion: canary.stableVersion, weight: canary.weight, status: canary.rolloutStatus } }, updatedAt: tx.now });
  }
}

/** Stores decisions and writes the audit record and outbox event of each announced one, in `tx`. */
export async function recordDecisions(tx: Tx<Stores>, ids: IdGenerator, ctx: RequestContext, rollout: Rollout, decisions: Decision[], driver: RolloutDriver): Promise<void> {
  if (decisions.length === 0) return;
  const enriched: Decision[] = [];
  for (const d of decisions) {
    if ((d.type === 'analysis_failed' || d.type === 'rolled_back') && d.data && typeof d.data.metric === 'string' && typeof d.data.run === 'string') {
      const values = (await tx.stores.rollouts.measurements(rollout.id, { metric: d.data.metric, limit: 50 })).filter((m) => m.runId === d.data!.run);
      enriched.push({ ...d, data: { ...d.data, values: values.slice(-20).map((m) => ({ at: new Date(m.at).toISOString(), phase: m.phase, value: m.value, baseline: m.baseline })), breach: breachSummary(d.data, values) } });
    } else enriched.push(d);
  }
  await tx.stores.rollouts.insertDecisions(rollout.id, enriched.map((d) => ({ ...d, id: ids.next(), actor: ctx.actor.username })));
  if (rollout.target.kind === 'deployment') await mirrorOnDeployment(tx, ids, rollout, enriched);
  for (const d of enriched) {
    if (!ANNOUNCED.has(d.type)) continue;
    const t = rollout.target;
    const payload: Record<string, unknown> = {
      rolloutId: rollout.id,
      project: rollout.projectKey,
      environment: rollout.environment,
      target: driver.describe(rollout),
      targetKind: t.kind,
      ...(t.kind === 'flag' ? { flag: t.flag, variant: t.variant } : { deploymentId: t.deploymentId, version: t.canaryVersion, stableVersion: t.stableVersion }),
      step: d.stepIndex + 1,
      steps: rollout.spec.steps.length,
      weight: d.weight,
      message: d.message,
      plan: rollout.planName,
      ...(d.data !== undefined && { decision: d.data }),
      ...(typeof d.data?.breach === 'string' && { breach: d.data.breach }),
    };
    await tx.record(ctx, {
      action: `rollout.${d.type}`,
      resourceType: 'rollout',
      resourceId: rollout.id,
      after: { step: d.stepIndex, weight: d.weight, message: d.message },
      event: { type: `rollout.${d.type}`, payload, projectKey: rollout.projectKey, environmentKey: rollout.environment },
    });
  }
}
