/**
 * The public model of Slipway rollouts. These JSON shapes are a contract: the server stores
 * and serves them as they are. Add optional fields freely; never rename or repurpose one.
 * Times inside the engine are milliseconds since the epoch, passed in by the caller.
 */

/** `{ setWeight: 25 }`: move the target to 25 % (of traffic, or of a flag's split). */
export interface SetWeightStep {
  setWeight: number;
}

/** `{ pause: { duration: "30m" } }` waits; `{ pause: {} }` waits for a person to promote. */
export interface PauseStep {
  pause: { duration?: string };
}

/** `{ analysis: { templates: ["error-rate-increase"] } }`: an inline gate; the next step waits for its verdict. */
export interface AnalysisStep {
  analysis: { templates: string[] };
}

export type Step = SetWeightStep | PauseStep | AnalysisStep;

/** Analysis that runs for the whole rollout (from `startingStep`, default 0). */
export interface BackgroundAnalysis {
  templates: string[];
  startingStep?: number;
}

/** A rollout plan: ordered steps plus optional background analysis. */
export interface Plan {
  steps: Step[];
  analysis?: BackgroundAnalysis;
}

/** Where a metric's value comes from. The engine only passes it through; the server runs it. */
export type MetricProvider =
  | { slipway: { metric: 'error-rate' | 'latency-p95' | 'requests'; window?: string } }
  | { prometheus: { address: string; query: string; baselineQuery?: string; timeout?: string } }
  | { web: { url: string; jsonPath: string; baselineJsonPath?: string; headers?: Record<string, string>; timeout?: string } };

/** One metric of an analysis template (Argo Rollouts' fields, with Slipway's `consecutiveFailureLimit`). */
export interface MetricSpec {
  name: string;
  provider: MetricProvider;
  /** Time between measurements, e.g. "1m". Without it (and without `count`) the metric is measured once. */
  interval?: string;
  /** Measurements to take; the metric is Successful once reached (unless a limit was exceeded first). */
  count?: number;
  /** Wait this long after the analysis starts before the first measurement. */
  initialDelay?: string;
  /** An expression over `result` (and `baseline`) that must be true for a Successful measurement. */
  successCondition?: string;
  /** An expression over `result` (and `baseline`) that makes a measurement Failed when true. */
  failureCondition?: string;
  /** The metric fails when more measurements than this failed (default 0; -1: never by total). */
  failureLimit?: number;
  /** The metric fails when more measurements than this failed in a row (default: not checked). */
  consecutiveFailureLimit?: number;
  /** The metric is Inconclusive when more measurements than this were inconclusive (default 0). */
  inconclusiveLimit?: number;
  /** The metric is Error when more measurements than this errored in a row (default 4). */
  consecutiveErrorLimit?: number;
}

export interface AnalysisTemplate {
  name: string;
  metrics: MetricSpec[];
}

/** A metric as a rollout runs it: the spec plus the template it came from. */
export interface ResolvedMetric extends MetricSpec {
  template: string;
}

/** Steps with the metrics of inline analysis resolved from their templates. */
export type ResolvedStep = SetWeightStep | PauseStep | { analysis: { templates: string[]; metrics: ResolvedMetric[] } };

/** Everything the engine needs to drive one rollout; fixed when the rollout starts. */
export interface RolloutSpec {
  steps: ResolvedStep[];
  background: { metrics: ResolvedMetric[]; startingStep: number } | null;
}

/** Phases of a measurement, a metric and an analysis run (Argo Rollouts' names). */
export type AnalysisPhase = 'Pending' | 'Running' | 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

export type RolloutStatus = 'running' | 'paused' | 'succeeded' | 'aborted' | 'rolled_back';

/** What the target (a flag's split, a deployment's traffic) must be brought to before the rollout moves on. */
export type DriverAction =
  /** `step`: the setWeight step this serves (null when a person's command asked for it). */
  | { type: 'set-weight'; weight: number; step: number | null }
  | { type: 'finalize'; weight: 100 }
  | { type: 'rollback'; weight: 0 };

export interface MetricState {
  name: string;
  template: string;
  phase: AnalysisPhase;
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  consecutiveFailed: number;
  consecutiveError: number;
  /** When the last measurement finished (ms), null before the first. */
  lastAt: number | null;
  /** Sequence number of the next measurement: at most one measurement is ever recorded per (run, metric, seq). */
  seq: number;
  /** The last measurement's message (why Error, why Inconclusive). */
  message: string | null;
}

export interface AnalysisRun {
  id: string;
  kind: 'background' | 'step';
  /** For step runs, the index of their analysis step. */
  step: number | null;
  startedAt: number;
  phase: AnalysisPhase;
  metrics: MetricState[];
}

export interface PauseState {
  reason: 'manual' | 'step' | 'inconclusive';
  since: number;
  message?: string;
}

/** A rollout's whole state: JSON, stored by the server, advanced only by the engine's functions. */
export interface RolloutState {
  status: RolloutStatus;
  stepIndex: number;
  /** The weight the rollout wants the target at. */
  weight: number;
  /** What the driver must still do; nothing advances until it is acknowledged. */
  pending: DriverAction | null;
  /** When the current step began (after its weight was applied), shifted forward by the time spent paused. */
  stepStartedAt: number | null;
  pause: PauseState | null;
  runs: AnalysisRun[];
  /** Counter for analysis run ids (`<kind>-<n>`). */
  runSeq: number;
  startedAt: number;
  finishedAt: number | null;
}

/** The result a provider gave for one measurement (or the error it failed with). */
export type ProviderOutcome = { value: number | null; baseline?: number | null; data?: unknown } | { error: string };

/** One measurement, judged: what the provider said, the conditions, and the phase. */
export interface Measurement {
  runId: string;
  metric: string;
  seq: number;
  at: number;
  phase: Exclude<AnalysisPhase, 'Pending' | 'Running'>;
  value: number | null;
  baseline: number | null;
  message: string | null;
  data?: unknown;
}

/** What the engine decided, with the data that drove it; the server stores every one. */
export interface Decision {
  type: DecisionType;
  at: number;
  stepIndex: number;
  weight: number;
  message: string;
  data?: Record<string, unknown>;
}

export type DecisionType =
  | 'started'
  | 'step_started'
  | 'paused'
  | 'resumed'
  | 'promoted'
  | 'analysis_failed'
  | 'analysis_inconclusive'
  | 'analysis_successful'
  | 'aborted'
  | 'rolled_back'
  | 'completed'
  | 'driver_applied';

/** A measurement the caller should take now. */
export interface DueMeasurement {
  runId: string;
  metric: ResolvedMetric;
  seq: number;
}

/** Every engine function returns the new state and what it decided. */
export interface Transition {
  state: RolloutState;
  decisions: Decision[];
}

/** One problem found by validation: a JSON path and a sentence saying what is wrong. */
export interface ValidationProblem {
  path: string;
  message: string;
}
