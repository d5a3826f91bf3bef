/**
 * @slipway/rollout-engine — pure progressive rollouts: the plan state machine and the analysis
 * verdicts, as Argo Rollouts defines them (docs/decisions/0019-rollout-semantics.md). No I/O and
 * no clock: the caller passes the time and takes the measurements.
 *
 * @example
 * import { startRollout, dueMeasurements, judge, recordMeasurement, acknowledge } from '@slipway/rollout-engine';
 * let { state } = startRollout(spec, Date.now());            // state.pending = { type: 'set-weight', weight: 5, step: 0 }
 * ({ state } = acknowledge(spec, state, Date.now()));        // the driver applied it: the next step starts
 * for (const due of dueMeasurements(spec, state, Date.now())) {
 *   const { phase, message } = judge(due.metric, await provider(due.metric));
 *   ({ state } = recordMeasurement(spec, state, { runId: due.runId, metric: due.metric.name, seq: due.seq, at: Date.now(), phase, message, value, baseline }));
 * }
 */
export * from './types.js';
export { parseDuration, formatMs, MAX_DURATION_MS } from './duration.js';
export { compileCondition, conditionProblem, isConditionError, MAX_CONDITION_LENGTH } from './conditions.js';
export type { CompiledCondition, ConditionError } from './conditions.js';
export { judge, assessMetric, assessRun, effectiveCount, isCompleted, worst, nextMeasurementAt, DEFAULT_CONSECUTIVE_ERROR_LIMIT, ERROR_RETRY_MS } from './analysis.js';
export { startRollout, advance, acknowledge, dueMeasurements, recordMeasurement, nextWakeAt, timeLeftInStep, command, isRefusal, isTerminal, describeStep } from './machine.js';
export type { RolloutCommand, CommandRefusal } from './machine.js';
export { validatePlan, validateTemplate, validateMetric, validateSpec, MAX_STEPS, MAX_METRICS } from './validate.js';
