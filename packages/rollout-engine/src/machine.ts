import { assessRun, isCompleted, newMetricState, nextMeasurementAt, countMeasurement } from './analysis.js';
import { formatMs, parseDuration } from './duration.js';
import type { AnalysisRun, Decision, DecisionType, DueMeasurement, Measurement, ResolvedMetric, ResolvedStep, RolloutSpec, RolloutState, Transition } from './types.js';

/**
 * The rollout state machine. Every function is pure: it takes the spec, a state and the current
 * time, and returns the next state with the decisions taken. The caller (the server's ticker)
 * stores both, applies `state.pending` through a driver, and calls `acknowledge` once applied.
 */

const TERMINAL = new Set(['succeeded', 'aborted', 'rolled_back']);

export function isTerminal(state: RolloutState): boolean {
  return TERMINAL.has(state.status);
}

/** "set weight 25 %", "pause 30m", "pause until promoted", "analysis error-rate-increase". */
export function describeStep(step: ResolvedStep | undefined): string {
  if (step === undefined) return 'complete';
  if ('setWeight' in step) return `set weight ${step.setWeight} %`;
  if ('pause' in step) return step.pause.duration !== undefined ? `pause ${step.pause.duration}` : 'pause until promoted';
  return `analysis ${step.analysis.templates.join(', ')}`;
}

class Builder {
  readonly decisions: Decision[] = [];
  constructor(
    readonly spec: RolloutSpec,
    public s: RolloutState,
    readonly now: number,
  ) {}

  decide(type: DecisionType, message: string, data?: Record<string, unknown>): void {
    this.decisions.push({ type, at: this.now, stepIndex: this.s.stepIndex, weight: this.s.weight, message, ...(data !== undefined && { data }) });
  }

  done(): Transition {
    return { state: this.s, decisions: this.decisions };
  }

  metricsOf(run: AnalysisRun): ResolvedMetric[] {
    if (run.kind === 'background') return this.spec.background?.metrics ?? [];
    const step = this.spec.steps[run.step ?? -1];
    return step !== undefined && 'analysis' in step ? step.analysis.metrics : [];
  }

  newRun(kind: AnalysisRun['kind'], step: number | null, metrics: ResolvedMetric[]): AnalysisRun {
    const seq = this.s.runSeq + 1;
    this.s = { ...this.s, runSeq: seq };
    return { id: kind === 'background' ? `background-${seq}` : `step${step}-${seq}`, kind, step, startedAt: this.now, phase: 'Pending', metrics: metrics.map(newMetricState) };
  }

  /** Background analysis starts at its starting step and runs until the rollout ends. */
  ensureBackground(): void {
    const bg = this.spec.background;
    if (!bg || bg.metrics.length === 0 || isTerminal(this.s) || this.s.stepIndex < bg.startingStep) return;
    if (this.s.runs.some((r) => r.kind === 'background' && !isCompleted(r.phase))) return;
    if (this.s.runs.some((r) => r.kind === 'background' && r.phase !== 'Inconclusive')) return;
    const run = this.newRun('background', null, bg.metrics);
    this.s = { ...this.s, runs: [...this.s.runs.filter((r) => r.kind !== 'background'), run] };
  }

  /** Ends runs that are still going (their open metrics count as Successful, as Argo terminates them). */
  terminateRuns(filter: (r: AnalysisRun) => boolean): void {
    this.s = { ...this.s, runs: this.s.runs.map((r) => (filter(r) && !isCompleted(r.phase) ? assessRun(r, this.metricsOf(r), true) : r)) };
  }

  moveTo(index: number): void {
    this.terminateRuns((r) => r.kind === 'step');
    this.s = { ...this.s, stepIndex: index, stepStartedAt: this.now, runs: this.s.runs.filter((r) => r.kind !== 'step' || r.phase !== 'Inconclusive') };
    if (index < this.spec.steps.length) this.decide('step_started', `step ${index + 1}/${this.spec.steps.length}: ${describeStep(this.spec.steps[index])}`, { step: this.spec.steps[index] });
    this.ensureBackground();
  }

  complete(message: string): void {
    this.terminateRuns(() => true);
    this.s = { ...this.s, status: 'succeeded', stepIndex: this.spec.steps.length, weight: 100, pending: { type: 'finalize', weight: 100 }, pause: null, finishedAt: this.now };
    this.decide('completed', message);
  }

  rollBack(status: 'aborted' | 'rolled_back', message: string, data?: Record<string, unknown>): void {
    this.terminateRuns(() => true);
    this.s = { ...this.s, status, weight: 0, pending: { type: 'rollback', weight: 0 }, pause: null, finishedAt: this.now };
    this.decide(status, message, data);
  }

  pauseFor(reason: 'manual' | 'step' | 'inconclusive', message: string, data?: Record<string, unknown>): void {
    this.s = { ...this.s, status: 'paused', pause: { reason, since: this.now, message } };
    this.decide('paused', message, { reason, ...data });
  }

  /** Leaves a pause: step timers skip the time spent paused; inconclusive runs start afresh. */
  unpause(): void {
    const pause = this.s.pause;
    if (pause && this.s.stepStartedAt !== null) {
      const pausedFor = this.now - Math.max(pause.since, this.s.stepStartedAt);
      this.s = { ...this.s, stepStartedAt: this.s.stepStartedAt + Math.max(0, pausedFor) };
    }
    const runs = this.s.runs.flatMap((r) => {
      if (r.phase !== 'Inconclusive') return [r];
      if (r.kind === 'step' && r.step !== this.s.stepIndex) return [];
      return [this.newRun(r.kind, r.step, this.metricsOf(r))];
    });
    this.s = { ...this.s, status: 'running', pause: null, runs };
  }

  /** Reacts to a run that has just completed. */
  verdict(run: AnalysisRun): void {
    const failedMetric = run.metrics.find((m) => m.phase === run.phase);
    const metric = this.metricsOf(run).find((m) => m.name === failedMetric?.name);
    const data = failedMetric && metric ? analysisData(run, metric, failedMetric) : { run: run.id };
    if (run.phase === 'Failed' || run.phase === 'Error') {
      const what = run.phase === 'Failed' ? 'failed' : 'errored';
      this.decide('analysis_failed', `analysis ${run.id}: metric ${failedMetric?.name ?? '?'} ${what}${failedMetric?.message ? ` (${failedMetric.message})` : ''}`, data);
      this.rollBack('rolled_back', `rolled back: metric ${failedMetric?.name ?? '?'} (${failedMetric?.template ?? '?'}) ${what}`, data);
    } else if (run.phase === 'Inconclusive') {
      this.decide('analysis_inconclusive', `analysis ${run.id}: metric ${failedMetric?.name ?? '?'} inconclusive${failedMetric?.message ? ` (${failedMetric.message})` : ''}`, data);
      this.pauseFor('inconclusive', `paused: metric ${failedMetric?.name ?? '?'} is inconclusive; resume or promote to go on, abort to roll back`, data);
    } else if (run.phase === 'Successful') {
      this.decide('analysis_successful', `analysis ${run.id} successful`, { run: run.id });
    }
  }
}

function analysisData(run: AnalysisRun, metric: ResolvedMetric, state: AnalysisRun['metrics'][number]): Record<string, unknown> {
  return {
    run: run.id,
    metric: metric.name,
    template: metric.template,
    phase: state.phase,
    ...(metric.successCondition !== undefined && { successCondition: metric.successCondition }),
    ...(metric.failureCondition !== undefined && { failureCondition: metric.failureCondition }),
    limits: {
      failureLimit: metric.failureLimit ?? 0,
      ...(metric.consecutiveFailureLimit !== undefined && { consecutiveFailureLimit: metric.consecutiveFailureLimit }),
      inconclusiveLimit: metric.inconclusiveLimit ?? 0,
      consecutiveErrorLimit: metric.consecutiveErrorLimit ?? 4,
    },
    counts: { count: state.count, successful: state.successful, failed: state.failed, inconclusive: state.inconclusive, error: state.error, consecutiveFailed: state.consecutiveFailed, consecutiveError: state.consecutiveError },
    message: state.message,
  };
}

/** A new rollout at step 0, with its `started` decision; call `advance` next. */
export function startRollout(spec: RolloutSpec, now: number): Transition {
  const state: RolloutState = { status: 'running', stepIndex: 0, weight: 0, pending: null, stepStartedAt: now, pause: null, runs: [], runSeq: 0, startedAt: now, finishedAt: null };
  const b = new Builder(spec, state, now);
  b.decide('started', `started: ${spec.steps.length} steps${spec.background ? `, background analysis of ${spec.background.metrics.map((m) => m.name).join(', ')}` : ''}`);
  if (spec.steps.length > 0) b.decide('step_started', `step 1/${spec.steps.length}: ${describeStep(spec.steps[0])}`, { step: spec.steps[0] });
  b.ensureBackground();
  return advanceWith(b);
}

/** Moves the rollout as far as time allows: pauses that ended, gates that passed, the next weight. */
export function advance(spec: RolloutSpec, state: RolloutState, now: number): Transition {
  return advanceWith(new Builder(spec, state, now));
}

function advanceWith(b: Builder): Transition {
  for (let guard = 0; guard <= b.spec.steps.length + 1; guard++) {
    const s = b.s;
    if (s.status !== 'running' || s.pending !== null) break;
    if (s.stepIndex >= b.spec.steps.length) {
      b.complete(`completed: every step done, weight 100 %`);
      break;
    }
    const step = b.spec.steps[s.stepIndex]!;
    if ('setWeight' in step) {
      b.s = { ...s, weight: step.setWeight, pending: { type: 'set-weight', weight: step.setWeight, step: s.stepIndex } };
      break;
    }
    if ('pause' in step) {
      if (step.pause.duration === undefined) {
        b.pauseFor('step', `paused at step ${s.stepIndex + 1} until someone promotes`);
        break;
      }
      const ends = (s.stepStartedAt ?? b.now) + (parseDuration(step.pause.duration) ?? 0);
      if (b.now < ends) break;
      b.moveTo(s.stepIndex + 1);
      continue;
    }
    const run = s.runs.find((r) => r.kind === 'step' && r.step === s.stepIndex);
    if (!run) {
      const created = b.newRun('step', s.stepIndex, step.analysis.metrics);
      b.s = { ...b.s, runs: [...b.s.runs, created] };
      break;
    }
    if (run.phase !== 'Successful') break;
    b.moveTo(s.stepIndex + 1);
  }
  return b.done();
}

/** The driver applied `state.pending`: a setWeight step is done, a finalize or rollback is complete. */
export function acknowledge(spec: RolloutSpec, state: RolloutState, now: number): Transition {
  const b = new Builder(spec, state, now);
  const pending = state.pending;
  if (pending === null) return b.done();
  b.s = { ...state, pending: null };
  if (pending.type === 'set-weight' && pending.step !== null && pending.step === state.stepIndex && !isTerminal(state)) b.moveTo(state.stepIndex + 1);
  return advanceWith(b);
}

/** Measurements to take now: metrics whose interval (or initial delay) has passed. None while the driver works. */
export function dueMeasurements(spec: RolloutSpec, state: RolloutState, now: number): DueMeasurement[] {
  if (isTerminal(state) || state.pending !== null) return [];
  const b = new Builder(spec, state, now);
  const out: DueMeasurement[] = [];
  for (const run of state.runs) {
    if (isCompleted(run.phase)) continue;
    const metrics = b.metricsOf(run);
    for (const m of run.metrics) {
      const metric = metrics.find((x) => x.name === m.name);
      const at = metric ? nextMeasurementAt(metric, m, run.startedAt) : null;
      if (metric && at !== null && at <= now) out.push({ runId: run.id, metric, seq: m.seq });
    }
  }
  return out;
}

/**
 * Counts a judged measurement. One for a (run, metric, seq) that was already counted, or for a run
 * that has ended, changes nothing: a measurement is never counted twice.
 */
export function recordMeasurement(spec: RolloutSpec, state: RolloutState, m: Measurement): Transition {
  const b = new Builder(spec, state, m.at);
  const run = state.runs.find((r) => r.id === m.runId);
  if (!run || isCompleted(run.phase) || isTerminal(state)) return b.done();
  const metricState = run.metrics.find((x) => x.name === m.metric);
  if (!metricState || metricState.seq !== m.seq) return b.done();
  const counted: AnalysisRun = { ...run, metrics: run.metrics.map((x) => (x === metricState ? countMeasurement(x, m) : x)) };
  const assessed = assessRun(counted, b.metricsOf(run));
  b.s = { ...state, runs: state.runs.map((r) => (r === run ? assessed : r)) };
  if (isCompleted(assessed.phase)) b.verdict(assessed);
  return advanceWith(b);
}

/** When something time-based happens next (a pause ends, a measurement is due), or null. */
export function nextWakeAt(spec: RolloutSpec, state: RolloutState): number | null {
  if (isTerminal(state) || state.pending !== null) return null;
  const times: number[] = [];
  const b = new Builder(spec, state, 0);
  for (const run of state.runs) {
    if (isCompleted(run.phase)) continue;
    const metrics = b.metricsOf(run);
    for (const m of run.metrics) {
      const metric = metrics.find((x) => x.name === m.name);
      const at = metric ? nextMeasurementAt(metric, m, run.startedAt) : null;
      if (at !== null) times.push(at);
    }
  }
  const step = spec.steps[state.stepIndex];
  if (state.status === 'running' && step && 'pause' in step && step.pause.duration !== undefined && state.stepStartedAt !== null) {
    times.push(state.stepStartedAt + (parseDuration(step.pause.duration) ?? 0));
  }
  return times.length > 0 ? Math.min(...times) : null;
}

/** Time left in the current timed pause (ms), or null. */
export function timeLeftInStep(spec: RolloutSpec, state: RolloutState, now: number): number | null {
  const step = spec.steps[state.stepIndex];
  if (!step || !('pause' in step) || step.pause.duration === undefined || state.stepStartedAt === null) return null;
  const frozen = state.status === 'paused' && state.pause ? Math.max(state.pause.since, state.stepStartedAt) : now;
  return Math.max(0, state.stepStartedAt + (parseDuration(step.pause.duration) ?? 0) - frozen);
}

export type RolloutCommand = 'pause' | 'resume' | 'promote' | 'promote-full' | 'abort' | 'retry';

/** A command that does not apply in the rollout's state: `code` and a sentence saying what would. */
export interface CommandRefusal {
  refused: true;
  code: 'rollout_not_running' | 'rollout_not_paused' | 'rollout_finished' | 'rollout_not_finished' | 'rollout_busy';
  message: string;
}

/** What a person asked: pause, resume, promote (next step), promote-full, abort (weight 0), retry (from step 1). */
export function command(spec: RolloutSpec, state: RolloutState, cmd: RolloutCommand, now: number, by = 'someone'): Transition | CommandRefusal {
  const b = new Builder(spec, state, now);
  const refuse = (code: CommandRefusal['code'], message: string): CommandRefusal => ({ refused: true, code, message });
  const active = state.status === 'running' || state.status === 'paused';
  switch (cmd) {
    case 'pause':
      if (state.status !== 'running') return refuse(state.status === 'paused' ? 'rollout_not_running' : 'rollout_finished', `The rollout is ${state.status}; only a running rollout can be paused.`);
      b.pauseFor('manual', `paused by ${by}`);
      return b.done();
    case 'resume': {
      if (state.status !== 'paused') return refuse('rollout_not_paused', `The rollout is ${state.status}; only a paused rollout can be resumed.`);
      const atStepPause = state.pause?.reason === 'step';
      b.unpause();
      b.decide('resumed', `resumed by ${by}`, { from: state.pause?.reason ?? null });
      if (atStepPause) b.moveTo(state.stepIndex + 1);
      return advanceWith(b);
    }
    case 'promote': {
      if (!active) return refuse('rollout_finished', `The rollout is ${state.status}; use retry to start it again.`);
      if (state.pending !== null && state.pending.type === 'set-weight') return refuse('rollout_busy', `The weight ${state.pending.weight} % is still being applied; promote again once it is.`);
      if (state.status === 'paused') b.unpause();
      b.decide('promoted', `promoted past step ${state.stepIndex + 1} (${describeStep(spec.steps[state.stepIndex])}) by ${by}`, { fromStep: state.stepIndex });
      b.moveTo(state.stepIndex + 1);
      return advanceWith(b);
    }
    case 'promote-full':
      if (!active) return refuse('rollout_finished', `The rollout is ${state.status}; use retry to start it again.`);
      b.decide('promoted', `promoted to 100 % by ${by}, skipping the remaining steps`, { fromStep: state.stepIndex, full: true });
      b.complete(`completed: promoted to 100 % by ${by}`);
      return b.done();
    case 'abort':
      if (!active) return refuse('rollout_finished', `The rollout is already ${state.status}.`);
      b.rollBack('aborted', `aborted by ${by}: weight back to 0 %`);
      return b.done();
    case 'retry':
      if (active) return refuse('rollout_not_finished', `The rollout is ${state.status}; only an aborted or rolled-back rollout can be retried.`);
      if (state.status === 'succeeded') return refuse('rollout_finished', 'The rollout succeeded; start a new one instead of retrying.');
      if (state.pending !== null) return refuse('rollout_busy', 'The rollback is still being applied; retry once it is done.');
      b.s = { ...state, status: 'running', stepIndex: 0, stepStartedAt: now, pause: null, runs: [], finishedAt: null };
      b.decide('started', `retried by ${by} from step 1`, { retry: true });
      if (spec.steps.length > 0) b.decide('step_started', `step 1/${spec.steps.length}: ${describeStep(spec.steps[0])}`, { step: spec.steps[0] });
      b.ensureBackground();
      return advanceWith(b);
  }
}

export function isRefusal(value: Transition | CommandRefusal): value is CommandRefusal {
  return (value as CommandRefusal).refused === true;
}


