import { describe, expect, it } from 'vitest';
import { acknowledge, advance, assessMetric, command, compileCondition, dueMeasurements, isRefusal, judge, nextWakeAt, parseDuration, recordMeasurement, startRollout, validatePlan, validateSpec, validateTemplate } from './index.js';
import type { MetricSpec, MetricState, ResolvedMetric, RolloutSpec, RolloutState } from './index.js';

const metric = (over: Partial<MetricSpec> = {}): ResolvedMetric => ({ name: 'error-rate', template: 't', provider: { slipway: { metric: 'error-rate' } }, ...over });
const state = (over: Partial<MetricState> = {}): MetricState => ({ name: 'm', template: 't', phase: 'Running', count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0, consecutiveFailed: 0, consecutiveError: 0, lastAt: 0, seq: 1, message: null, ...over });

describe('durations', () => {
  it('parses seconds, minutes, hours and combinations; refuses the rest', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    for (const bad of ['', '5', 'm', '1.5h', '-1s', '31d', 5]) expect(parseDuration(bad)).toBeNull();
  });
});

describe('conditions', () => {
  it('compiles CEL over result and baseline, mixing integer literals with doubles', () => {
    const c = compileCondition('result > baseline * 2 || result == 0');
    expect(typeof c).toBe('function');
    if (typeof c === 'function') {
      expect(c({ result: 0.3, baseline: 0.1 })).toBe(true);
      expect(c({ result: 0, baseline: 0.1 })).toBe(true);
      expect(c({ result: 0.15, baseline: 0.1 })).toBe(false);
    }
  });

  it('reports where an expression breaks, unknown names and non-boolean results', () => {
    expect(compileCondition('result > 0.01 && (baseline')).toMatchObject({ column: 27 });
    expect(compileCondition('resutl > 1')).toMatchObject({ column: 1, message: expect.stringContaining('resutl') });
    expect(compileCondition('result * 2')).toMatchObject({ message: expect.stringContaining('true or false') });
  });

  it('never runs JavaScript: constructor tricks are just unknown names', () => {
    expect(compileCondition('constructor.constructor("return process")()')).toHaveProperty('column');
  });
});

describe('measurement verdicts (Argo Rollouts)', () => {
  it('judges by the conditions present', () => {
    expect(judge(metric(), { value: 1 }).phase).toBe('Successful');
    expect(judge(metric({ successCondition: 'result < 0.01' }), { value: 0.02 }).phase).toBe('Failed');
    expect(judge(metric({ failureCondition: 'result > 0.01' }), { value: 0.005 }).phase).toBe('Successful');
    const both = metric({ successCondition: 'result < 0.005', failureCondition: 'result > 0.01' });
    expect(judge(both, { value: 0.02 }).phase).toBe('Failed');
    expect(judge(both, { value: 0.001 }).phase).toBe('Successful');
    expect(judge(both, { value: 0.007 }).phase).toBe('Inconclusive');
    expect(judge(both, { error: 'connection refused' })).toEqual({ phase: 'Error', message: 'connection refused' });
    expect(judge(metric({ failureCondition: 'result > baseline * 1.5' }), { value: 3, baseline: null }).phase).toBe('Inconclusive');
  });

  it('checks limits in Argo order: failed, inconclusive, consecutive errors, count', () => {
    const m = metric({ failureLimit: 1, inconclusiveLimit: 0, consecutiveErrorLimit: 2, count: 10 });
    expect(assessMetric(m, state({ failed: 2, inconclusive: 1, consecutiveError: 3 }), false)).toBe('Failed');
    expect(assessMetric(m, state({ failed: 1, inconclusive: 1, consecutiveError: 3 }), false)).toBe('Inconclusive');
    expect(assessMetric(m, state({ failed: 1, consecutiveError: 3 }), false)).toBe('Error');
    expect(assessMetric(m, state({ failed: 1, count: 10 }), false)).toBe('Successful');
    expect(assessMetric(m, state({ failed: 1, count: 3 }), false)).toBe('Running');
    expect(assessMetric(m, state({ failed: 1, count: 3 }), true)).toBe('Successful');
    expect(assessMetric(metric(), state({ consecutiveError: 5 }), false)).toBe('Error');
    expect(assessMetric(metric(), state({ consecutiveError: 4 }), false)).toBe('Running');
    const sustained = metric({ failureLimit: -1, consecutiveFailureLimit: 4 });
    expect(assessMetric(sustained, state({ failed: 30, consecutiveFailed: 4 }), false)).toBe('Running');
    expect(assessMetric(sustained, state({ failed: 30, consecutiveFailed: 5 }), false)).toBe('Failed');
  });
});

describe('validation', () => {
  it('names the field of every problem', () => {
    const problems = validatePlan({ steps: [{ setWeight: 50 }, { setWeight: 20 }, { setWeight: 120 }, { pause: { duration: '5x' } }, { analysis: { templates: [] } }, { setWeight: 1, pause: {} }] });
    expect(problems.map((p) => p.path)).toEqual(['plan.steps[1].setWeight', 'plan.steps[2].setWeight', 'plan.steps[3].pause.duration', 'plan.steps[4].analysis.templates', 'plan.steps[5]']);
    expect(validateTemplate({ name: 't', metrics: [{ name: 'm', provider: { slipway: { metric: 'error-rate' } }, failureCondition: 'result >' }] })[0]).toMatchObject({ path: 'template.metrics[0].failureCondition', message: expect.stringContaining('column 9') });
    const spec: RolloutSpec = { steps: [{ analysis: { templates: ['t'], metrics: [metric({ interval: '1m' })] } }], background: null };
    expect(validateSpec(spec)[0]?.path).toBe('plan.steps[0].analysis.templates');
  });
});

/** Drives a rollout the way the server does: apply what is pending, measure what is due, advance. */
function drive(spec: RolloutSpec, s: RolloutState, now: number, value: (m: ResolvedMetric) => number): RolloutState {
  for (let i = 0; i < 20; i++) {
    if (s.pending) {
      s = acknowledge(spec, s, now).state;
      continue;
    }
    const due = dueMeasurements(spec, s, now);
    if (due.length === 0) break;
    for (const d of due) {
      const v = value(d.metric);
      const j = judge(d.metric, { value: v, baseline: 0.001 });
      s = recordMeasurement(spec, s, { runId: d.runId, metric: d.metric.name, seq: d.seq, at: now, phase: j.phase, value: v, baseline: 0.001, message: j.message }).state;
    }
  }
  return advance(spec, s, now).state;
}

describe('the seed plan 5/25/50/100 with background analysis', () => {
  const bg = metric({ name: 'errors', interval: '1m', failureCondition: 'result > 0.01', failureLimit: -1, consecutiveFailureLimit: 4 });
  const spec: RolloutSpec = {
    steps: [{ setWeight: 5 }, { pause: { duration: '30m' } }, { setWeight: 25 }, { pause: { duration: '1h' } }, { setWeight: 50 }, { pause: { duration: '2h' } }, { setWeight: 100 }],
    background: { metrics: [bg], startingStep: 0 },
  };
  const t0 = Date.UTC(2026, 0, 5, 10);

  it('reaches 100 % after 3.5 hours when the canary is healthy, one measurement per minute', () => {
    let s = startRollout(spec, t0).state;
    let measured = 0;
    for (let minute = 0; minute <= 215 && s.status === 'running'; minute++) s = drive(spec, s, t0 + minute * 60_000, () => (measured++, 0.001));
    expect(s.status).toBe('succeeded');
    expect(s.weight).toBe(100);
    expect(measured).toBeGreaterThanOrEqual(209);
    expect(measured).toBeLessThanOrEqual(212);
  });

  it('rolls back on the fifth failing minute in a row at 25 %', () => {
    let s = startRollout(spec, t0).state;
    let breachFrom: number | null = null;
    let minute = 0;
    for (; minute < 300 && s.status === 'running'; minute++) {
      const now = t0 + minute * 60_000;
      if (s.weight === 25 && breachFrom === null) breachFrom = minute;
      s = drive(spec, s, now, () => (breachFrom !== null ? 0.05 : 0.001));
    }
    expect(s.status).toBe('rolled_back');
    expect(s.weight).toBe(0);
    expect(s.finishedAt).not.toBeNull();
    expect(minute - 1 - breachFrom!).toBe(4); // measurements at breach+0 … breach+4: the fifth fails it
  });

  it('keeps the elapsed time of a pause across a manual pause, and promote skips a step', () => {
    let s = startRollout(spec, t0).state;
    s = drive(spec, s, t0, () => 0);
    expect(s.stepIndex).toBe(1);
    s = drive(spec, s, t0 + 10 * 60_000, () => 0);
    const paused = command(spec, s, 'pause', t0 + 10 * 60_000);
    if (isRefusal(paused)) throw new Error(paused.message);
    s = paused.state;
    const resumed = command(spec, s, 'resume', t0 + 70 * 60_000);
    if (isRefusal(resumed)) throw new Error(resumed.message);
    s = resumed.state;
    expect(nextWakeAt(spec, s)).toBe(t0 + 11 * 60_000); // nobody measured while paused: that measurement is overdue; the pause now ends at +90m
    s = drive(spec, s, t0 + 89 * 60_000, () => 0);
    expect(s.stepIndex).toBe(1);
    s = drive(spec, s, t0 + 90 * 60_000, () => 0);
    expect(s.stepIndex).toBe(3);
    const promoted = command(spec, s, 'promote', t0 + 91 * 60_000);
    if (isRefusal(promoted)) throw new Error(promoted.message);
    expect(promoted.state.pending).toMatchObject({ type: 'set-weight', weight: 50 });
    expect(isRefusal(command(spec, promoted.state, 'retry', t0))).toBe(true);
  });

  it('gives every analysis run its own id, across restarts of inconclusive runs and retries', () => {
    const gate = metric({ name: 'gate', count: 1, successCondition: 'result < 0.005', failureCondition: 'result > 0.02' });
    const gated: RolloutSpec = { steps: [{ setWeight: 5 }, { analysis: { templates: ['g'], metrics: [gate] } }, { setWeight: 100 }], background: { metrics: [bg], startingStep: 0 } };
    let s = drive(gated, startRollout(gated, t0).state, t0, () => 0.01);
    expect(s).toMatchObject({ status: 'paused', pause: { reason: 'inconclusive' } });
    const ids = new Set(s.runs.map((r) => r.id));
    const resumed = command(gated, s, 'resume', t0 + 60_000);
    if (isRefusal(resumed)) throw new Error(resumed.message);
    for (const r of resumed.state.runs) ids.add(r.id);
    expect(ids.size).toBe(3);
    const aborted = command(gated, resumed.state, 'abort', t0 + 60_000);
    if (isRefusal(aborted)) throw new Error(aborted.message);
    const retried = command(gated, acknowledge(gated, aborted.state, t0 + 60_000).state, 'retry', t0 + 60_000);
    if (isRefusal(retried)) throw new Error(retried.message);
    for (const r of retried.state.runs) expect(ids.has(r.id)).toBe(false);
  });
});
