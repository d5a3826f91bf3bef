import { effectiveCount } from './analysis.js';
import { conditionProblem } from './conditions.js';
import { parseDuration } from './duration.js';
import type { MetricSpec, RolloutSpec, ValidationProblem } from './types.js';

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const METRIC_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const MAX_STEPS = 100;
export const MAX_METRICS = 20;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function durationProblem(value: unknown, path: string, problems: ValidationProblem[], positive = true): void {
  const ms = parseDuration(value);
  if (ms === null) problems.push({ path, message: `must be a duration like "30s", "5m" or "1h" (at most 30 days), got ${JSON.stringify(value)}` });
  else if (positive && ms === 0) problems.push({ path, message: 'must be longer than 0s' });
}

function templateList(value: unknown, path: string, problems: ValidationProblem[]): void {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push({ path, message: 'must list at least one analysis template by name' });
    return;
  }
  value.forEach((t, i) => {
    if (typeof t !== 'string' || !NAME.test(t)) problems.push({ path: `${path}[${i}]`, message: `must be a template name (a slug), got ${JSON.stringify(t)}` });
  });
}

/**
 * Checks a plan's shape: steps of one kind each, weights from 0 to 100 that never go down,
 * durations that parse, template lists. Template names are checked against the store by the caller.
 */
export function validatePlan(plan: unknown, path = 'plan'): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  if (!isObject(plan)) return [{ path, message: 'must be an object with "steps"' }];
  const steps = plan.steps;
  if (!Array.isArray(steps) || steps.length === 0) return [{ path: `${path}.steps`, message: 'must be a list of at least one step' }];
  if (steps.length > MAX_STEPS) problems.push({ path: `${path}.steps`, message: `has ${steps.length} steps; at most ${MAX_STEPS}` });
  let last = -1;
  let lastPath = '';
  steps.forEach((step, i) => {
    const at = `${path}.steps[${i}]`;
    if (!isObject(step)) return problems.push({ path: at, message: 'must be { setWeight }, { pause } or { analysis }' });
    const kinds = Object.keys(step);
    if (kinds.length !== 1 || !['setWeight', 'pause', 'analysis'].includes(kinds[0]!)) {
      return problems.push({ path: at, message: `must have exactly one of setWeight, pause or analysis; has ${kinds.join(', ') || 'nothing'}` });
    }
    if ('setWeight' in step) {
      const w = step.setWeight;
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0 || w > 100 || Math.round(w * 100) !== w * 100) {
        problems.push({ path: `${at}.setWeight`, message: `must be a percentage from 0 to 100 (two decimals at most), got ${JSON.stringify(w)}` });
      } else if (w < last) {
        problems.push({ path: `${at}.setWeight`, message: `${w} is lower than ${last} at ${lastPath}: weights must not go down (abort rolls back)` });
      } else {
        last = w;
        lastPath = `${at}.setWeight`;
      }
    } else if ('pause' in step) {
      const pause = step.pause;
      if (!isObject(pause)) problems.push({ path: `${at}.pause`, message: 'must be {} (wait for a person) or { duration: "30m" }' });
      else {
        const extra = Object.keys(pause).filter((k) => k !== 'duration');
        if (extra.length > 0) problems.push({ path: `${at}.pause`, message: `has unknown fields: ${extra.join(', ')}` });
        if (pause.duration !== undefined) durationProblem(pause.duration, `${at}.pause.duration`, problems);
      }
    } else {
      const analysis = step.analysis;
      if (!isObject(analysis)) problems.push({ path: `${at}.analysis`, message: 'must be { templates: ["name", …] }' });
      else templateList(analysis.templates, `${at}.analysis.templates`, problems);
    }
  });
  if (plan.analysis !== undefined) {
    const a = plan.analysis;
    if (!isObject(a)) problems.push({ path: `${path}.analysis`, message: 'must be { templates: ["name", …], startingStep? }' });
    else {
      templateList(a.templates, `${path}.analysis.templates`, problems);
      if (a.startingStep !== undefined && (!isInt(a.startingStep) || a.startingStep < 0 || a.startingStep >= steps.length)) {
        problems.push({ path: `${path}.analysis.startingStep`, message: `must be a step index from 0 to ${steps.length - 1}` });
      }
    }
  }
  const extra = Object.keys(plan).filter((k) => k !== 'steps' && k !== 'analysis');
  if (extra.length > 0) problems.push({ path, message: `has unknown fields: ${extra.join(', ')}` });
  return problems;
}

/** Checks one metric of a template except its provider's own fields (the server checks those). */
export function validateMetric(metric: unknown, path: string): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  if (!isObject(metric)) return [{ path, message: 'must be an object' }];
  if (typeof metric.name !== 'string' || !METRIC_NAME.test(metric.name)) problems.push({ path: `${path}.name`, message: 'must be 1–63 letters, digits, "-", "_" or "."' });
  if (!isObject(metric.provider) || Object.keys(metric.provider).length !== 1 || !['slipway', 'prometheus', 'web'].includes(Object.keys(metric.provider)[0]!)) {
    problems.push({ path: `${path}.provider`, message: 'must be exactly one of { slipway }, { prometheus } or { web }' });
  }
  if (metric.interval !== undefined) durationProblem(metric.interval, `${path}.interval`, problems);
  if (metric.initialDelay !== undefined) durationProblem(metric.initialDelay, `${path}.initialDelay`, problems, false);
  if (metric.count !== undefined && (!isInt(metric.count) || metric.count < 1 || metric.count > 10_000)) problems.push({ path: `${path}.count`, message: 'must be an integer from 1 to 10000' });
  for (const [field, min] of [['failureLimit', -1], ['consecutiveFailureLimit', 0], ['inconclusiveLimit', 0], ['consecutiveErrorLimit', 0]] as const) {
    const v = metric[field];
    if (v !== undefined && (!isInt(v) || v < min || v > 10_000)) problems.push({ path: `${path}.${field}`, message: `must be an integer from ${min} to 10000${min === -1 ? ' (-1: no limit on the total)' : ''}` });
  }
  for (const field of ['successCondition', 'failureCondition'] as const) {
    const v = metric[field];
    if (v === undefined) continue;
    if (typeof v !== 'string') problems.push({ path: `${path}.${field}`, message: 'must be an expression over result and baseline, e.g. "result > 0.01"' });
    else {
      const problem = conditionProblem(v);
      if (problem) problems.push({ path: `${path}.${field}`, message: problem });
    }
  }
  return problems;
}

/** Checks a template's name and metrics (unique names, each metric valid). */
export function validateTemplate(template: unknown, path = 'template'): ValidationProblem[] {
  if (!isObject(template)) return [{ path, message: 'must be an object with name and metrics' }];
  const problems: ValidationProblem[] = [];
  if (typeof template.name !== 'string' || !NAME.test(template.name)) problems.push({ path: `${path}.name`, message: 'must be a slug: lower-case letters, digits and dashes, 1–63 characters' });
  const metrics = template.metrics;
  if (!Array.isArray(metrics) || metrics.length === 0) problems.push({ path: `${path}.metrics`, message: 'must list at least one metric' });
  else {
    if (metrics.length > MAX_METRICS) problems.push({ path: `${path}.metrics`, message: `has ${metrics.length} metrics; at most ${MAX_METRICS}` });
    const seen = new Set<string>();
    metrics.forEach((m, i) => {
      problems.push(...validateMetric(m, `${path}.metrics[${i}]`));
      const name = isObject(m) ? m.name : undefined;
      if (typeof name === 'string') {
        if (seen.has(name)) problems.push({ path: `${path}.metrics[${i}].name`, message: `"${name}" is used twice` });
        seen.add(name);
      }
    });
  }
  return problems;
}

/** Checks what only shows once templates are resolved: metric names unique per analysis, inline gates that end. */
export function validateSpec(spec: RolloutSpec, path = 'plan'): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const unique = (metrics: readonly MetricSpec[], at: string) => {
    const seen = new Set<string>();
    for (const m of metrics) {
      if (seen.has(m.name)) problems.push({ path: at, message: `two templates define a metric named "${m.name}"; metric names must be unique within one analysis` });
      seen.add(m.name);
    }
  };
  spec.steps.forEach((step, i) => {
    if (!('analysis' in step)) return;
    const at = `${path}.steps[${i}].analysis.templates`;
    unique(step.analysis.metrics, at);
    for (const m of step.analysis.metrics) {
      if (effectiveCount(m) === null) {
        problems.push({ path: at, message: `metric "${m.name}" of template ${(m as { template?: string }).template ?? '?'} has an interval but no count, so this gate would never end; use it as background analysis or give it a count` });
      }
    }
  });
  if (spec.background) unique(spec.background.metrics, `${path}.analysis.templates`);
  return problems;
}
