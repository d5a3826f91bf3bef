import { compileCondition, isConditionError } from './conditions.js';
import { parseDuration } from './duration.js';
import type { AnalysisPhase, AnalysisRun, Measurement, MetricSpec, MetricState, ProviderOutcome, ResolvedMetric } from './types.js';

/** Argo Rollouts' default: a metric errors for good after more than 4 errors in a row. */
export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;
/** When a metric without an interval errored, it is measured again after this long (Argo's default). */
export const ERROR_RETRY_MS = 10_000;

/** Completed phases, best to worst (Argo Rollouts' order: Failed is the worst). */
const ORDER: AnalysisPhase[] = ['Successful', 'Running', 'Pending', 'Inconclusive', 'Error', 'Failed'];

export function isCompleted(phase: AnalysisPhase): boolean {
  return phase === 'Successful' || phase === 'Failed' || phase === 'Inconclusive' || phase === 'Error';
}

export function worst(a: AnalysisPhase, b: AnalysisPhase): AnalysisPhase {
  return ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a;
}

/**
 * Judges one measurement as Argo Rollouts does: the provider failed or a condition could not be
 * evaluated → Error; no condition → Successful; only a success condition → Failed when it is false;
 * only a failure condition → Successful when it is false; both → Failed when the failure condition
 * holds, Successful when only the success condition holds, otherwise Inconclusive.
 *
 * Slipway's one addition: a provider that answered but had no data for the window (`value: null`,
 * e.g. no requests reached the canary) gives Inconclusive — a person decides — rather than Error.
 */
export function judge(metric: MetricSpec, outcome: ProviderOutcome): { phase: Measurement['phase']; message: string | null } {
  if ('error' in outcome) return { phase: 'Error', message: outcome.error };
  if (outcome.value === null || !Number.isFinite(outcome.value)) return { phase: 'Inconclusive', message: 'no data for the window (no requests measured?)' };
  const needsBaseline = [metric.successCondition, metric.failureCondition].some((c) => c !== undefined && /\bbaseline\b/.test(c));
  const baseline = outcome.baseline ?? null;
  if (needsBaseline && (baseline === null || !Number.isFinite(baseline))) return { phase: 'Inconclusive', message: 'no baseline data for the window' };
  const values = { result: outcome.value, baseline: baseline ?? 0 };
  const evaluate = (source: string | undefined): boolean | string | undefined => {
    if (source === undefined) return undefined;
    const compiled = compileCondition(source);
    if (isConditionError(compiled)) return `condition ${JSON.stringify(source)} does not parse: ${compiled.message}`;
    try {
      return compiled(values);
    } catch (error) {
      return `condition ${JSON.stringify(source)} could not be evaluated: ${(error as Error).message.split('\n')[0]}`;
    }
  };
  let success = evaluate(metric.successCondition);
  let failure = evaluate(metric.failureCondition);
  if (typeof success === 'string') return { phase: 'Error', message: success };
  if (typeof failure === 'string') return { phase: 'Error', message: failure };
  if (success === undefined && failure === undefined) return { phase: 'Successful', message: null };
  if (failure === undefined) failure = !success;
  if (success === undefined) success = !failure;
  if (failure) return { phase: 'Failed', message: null };
  if (!success) return { phase: 'Inconclusive', message: 'neither the success nor the failure condition holds' };
  return { phase: 'Successful', message: null };
}

/** How many measurements a metric takes: its count; one when it has neither count nor interval; unbounded otherwise. */
export function effectiveCount(metric: MetricSpec): number | null {
  if (metric.count !== undefined) return metric.count;
  return metric.interval === undefined ? 1 : null;
}

export function newMetricState(metric: ResolvedMetric): MetricState {
  return { name: metric.name, template: metric.template, phase: 'Pending', count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0, consecutiveFailed: 0, consecutiveError: 0, lastAt: null, seq: 0, message: null };
}

/** Counts a judged measurement into the metric's state (Argo's bookkeeping; errors are not counted in `count`). */
export function countMeasurement(state: MetricState, m: Measurement): MetricState {
  const s = { ...state, lastAt: m.at, seq: state.seq + 1, message: m.message };
  switch (m.phase) {
    case 'Successful':
      return { ...s, successful: s.successful + 1, count: s.count + 1, consecutiveError: 0, consecutiveFailed: 0 };
    case 'Failed':
      return { ...s, failed: s.failed + 1, count: s.count + 1, consecutiveError: 0, consecutiveFailed: s.consecutiveFailed + 1 };
    case 'Inconclusive':
      return { ...s, inconclusive: s.inconclusive + 1, count: s.count + 1, consecutiveError: 0, consecutiveFailed: 0 };
    case 'Error':
      return { ...s, error: s.error + 1, consecutiveError: s.consecutiveError + 1 };
  }
}

/**
 * A metric's phase from its counters, in Argo Rollouts' order of checks: failures over
 * `failureLimit` (then, Slipway's addition, over `consecutiveFailureLimit`) → Failed; inconclusive
 * over `inconclusiveLimit` → Inconclusive; errors in a row over `consecutiveErrorLimit` → Error;
 * count reached → Successful; a terminating run ends the rest Successful.
 */
export function assessMetric(metric: MetricSpec, state: MetricState, terminating: boolean): AnalysisPhase {
  if (isCompleted(state.phase)) return state.phase;
  if (state.seq === 0) return terminating ? 'Successful' : 'Pending';
  const failureLimit = metric.failureLimit ?? 0;
  if (failureLimit >= 0 && state.failed > failureLimit) return 'Failed';
  if (metric.consecutiveFailureLimit !== undefined && state.consecutiveFailed > metric.consecutiveFailureLimit) return 'Failed';
  if (state.inconclusive > (metric.inconclusiveLimit ?? 0)) return 'Inconclusive';
  if (state.consecutiveError > (metric.consecutiveErrorLimit ?? DEFAULT_CONSECUTIVE_ERROR_LIMIT)) return 'Error';
  const count = effectiveCount(metric);
  if (count !== null && state.count >= count) return 'Successful';
  return terminating ? 'Successful' : 'Running';
}

/** Re-assesses every metric of a run; the run ends early (terminating the rest) once one is Failed, Error or Inconclusive. */
export function assessRun(run: AnalysisRun, metrics: readonly ResolvedMetric[], terminate = false): AnalysisRun {
  const byName = new Map(metrics.map((m) => [m.name, m]));
  let states = run.metrics.map((s) => ({ ...s, phase: assessMetric(byName.get(s.name)!, s, false) }));
  const terminating = terminate || states.some((s) => s.phase === 'Failed' || s.phase === 'Error' || s.phase === 'Inconclusive');
  if (terminating) states = states.map((s) => ({ ...s, phase: assessMetric(byName.get(s.name)!, s, true) }));
  let phase: AnalysisPhase | null = null;
  let done = true;
  for (const s of states) {
    if (!isCompleted(s.phase)) done = false;
    else phase = phase === null ? s.phase : worst(phase, s.phase);
  }
  return { ...run, metrics: states, phase: !done || phase === null ? 'Running' : phase };
}

/** When a metric should next be measured (ms), or null when it is done. */
export function nextMeasurementAt(metric: MetricSpec, state: MetricState, runStartedAt: number): number | null {
  if (isCompleted(state.phase)) return null;
  const count = effectiveCount(metric);
  if (count !== null && state.count >= count && state.consecutiveError === 0) return null;
  if (state.lastAt === null) return runStartedAt + (parseDuration(metric.initialDelay ?? '0s') ?? 0);
  const interval = metric.interval !== undefined ? parseDuration(metric.interval) : null;
  if (interval !== null) return state.lastAt + interval;
  return state.consecutiveError > 0 ? state.lastAt + ERROR_RETRY_MS : null;
}
