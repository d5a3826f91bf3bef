/**
 * Validation of flag definitions, environment configurations and segments.
 * Every function here accepts arbitrary input and never throws: the server hands
 * it request bodies and answers 400 with the problems it returns.
 */
import { comparisonTarget } from './conditions.js';
import { patternProblem } from './patterns.js';
import { parseRange, parseSemver } from './semver.js';
import { OPERATORS } from './types.js';
import type { EnvConfig, FlagDefinition, Segment, ValidationProblem, VariantType } from './types.js';

type Obj = Record<string, unknown>;

const KINDS = ['release', 'experiment', 'kill-switch', 'operational', 'permission'];
const OPERATOR_SET: ReadonlySet<string> = new Set(OPERATORS);
const SINGLE_VALUE = new Set(['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'semver_eq', 'semver_lt', 'semver_gt', 'semver_range']);

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

function show(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s;
  } catch {
    return String(v);
  }
}

/**
 * The type of a variant value, or undefined when it is not a valid one
 * (null, a non-finite number, a function, something JSON cannot carry).
 *
 * @example
 * variantType(true);        // 'boolean'
 * variantType({ a: 1 });    // 'object'
 * variantType([1, 2]);      // 'object'
 */
export function variantType(value: unknown): VariantType | undefined {
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'number':
      return Number.isFinite(value) ? 'number' : undefined;
    case 'object':
      if (value === null) return undefined;
      try {
        return JSON.stringify(value) === undefined ? undefined : 'object';
      } catch {
        return undefined;
      }
    default:
      return undefined;
  }
}

class Problems {
  readonly list: ValidationProblem[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
}

interface Scope {
  variants: ReadonlySet<string>;
  segments: ReadonlySet<string> | undefined;
  inSegment: boolean;
}

function checkValues(p: Problems, path: string, op: string, values: unknown[], scope: Scope): void {
  if (SINGLE_VALUE.has(op) && values.length !== 1) {
    p.add(path, `operator "${op}" takes exactly one value, got ${values.length}`);
    return;
  }
  values.forEach((value, i) => {
    const at = `${path}[${i}]`;
    const primitive =
      typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
    if (!primitive) return p.add(at, `must be a string, a number or a boolean, not ${show(value)}`);
    switch (op) {
      case 'matches': {
        const problem = patternProblem(value);
        if (problem !== undefined) p.add(at, problem);
        return;
      }
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte':
        if (comparisonTarget(value) === undefined)
          p.add(at, `must be a number or an ISO 8601 date (2025-01-31 or 2025-01-31T12:00:00Z), not ${show(value)}`);
        return;
      case 'semver_eq':
      case 'semver_lt':
      case 'semver_gt':
        if (typeof value !== 'string' || parseSemver(value) === undefined)
          p.add(at, `must be a semantic version such as 1.2.3 or 2.0.0-rc.1, not ${show(value)}`);
        return;
      case 'semver_range':
        if (typeof value !== 'string' || parseRange(value) === undefined)
          p.add(at, `must be a version range such as ">=1.2.0 <2.0.0", "^1.2.0", "~1.2.0", "1.x" or "^1.0.0 || ^2.0.0", not ${show(value)}`);
        return;
      case 'in_segment':
        if (typeof value !== 'string') return p.add(at, 'a segment key must be a string');
        if (scope.segments !== undefined && !scope.segments.has(value)) p.add(at, `segment "${value}" does not exist`);
        return;
      default:
        return;
    }
  });
}

function checkCondition(p: Problems, path: string, cond: unknown, scope: Scope): void {
  if (!isObject(cond)) return p.add(path, 'a condition must be an object');
  const op = cond['operator'];
  if (typeof op !== 'string' || !OPERATOR_SET.has(op)) {
    return p.add(`${path}.operator`, `unknown operator ${show(op)}; expected one of ${OPERATORS.join(', ')}`);
  }
  if (op === 'in_segment' && scope.inSegment) {
    return p.add(`${path}.operator`, 'a segment cannot refer to other segments');
  }
  if (op !== 'in_segment' && !isNonEmptyString(cond['attribute'])) {
    p.add(`${path}.attribute`, 'must be a non-empty string naming a context attribute');
  }
  const values = cond['values'];
  if (op === 'exists') {
    if (values !== undefined && !Array.isArray(values)) p.add(`${path}.values`, 'must be an array when present');
    return;
  }
  if (!Array.isArray(values) || values.length === 0) {
    return p.add(`${path}.values`, `operator "${op}" needs a non-empty array of values`);
  }
  checkValues(p, `${path}.values`, op, values, scope);
}

function checkConditions(p: Problems, path: string, conditions: unknown, scope: Scope): void {
  if (!Array.isArray(conditions)) return p.add(path, 'must be an array of conditions');
  conditions.forEach((c, i) => checkCondition(p, `${path}[${i}]`, c, scope));
}

function checkVariantRef(p: Problems, path: string, ref: unknown, scope: Scope): void {
  if (typeof ref !== 'string') p.add(path, 'must be the key of a variant');
  else if (!scope.variants.has(ref)) p.add(path, `variant "${ref}" does not exist; the flag has ${[...scope.variants].join(', ') || 'no variants'}`);
}

function checkServe(p: Problems, path: string, serve: unknown, scope: Scope): void {
  if (!isObject(serve)) return p.add(path, 'must be { "variant": … } or { "split": [ … ] }');
  const hasVariant = 'variant' in serve;
  const hasSplit = 'split' in serve;
  if (hasVariant === hasSplit) return p.add(path, 'must have exactly one of "variant" and "split"');
  if (hasVariant) return checkVariantRef(p, `${path}.variant`, serve['variant'], scope);
  const split = serve['split'];
  if (!Array.isArray(split) || split.length === 0) return p.add(`${path}.split`, 'must be a non-empty array');
  let hundredths = 0;
  let weightsOk = true;
  split.forEach((entry, i) => {
    const at = `${path}.split[${i}]`;
    if (!isObject(entry)) return p.add(at, 'must be { "variant": …, "weight": … }');
    checkVariantRef(p, `${at}.variant`, entry['variant'], scope);
    const w = entry['weight'];
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      weightsOk = false;
      return p.add(`${at}.weight`, `must be a number from 0 to 100, not ${show(w)}`);
    }
    const h = Math.round(w * 100);
    if (Math.abs(w * 100 - h) > 1e-6) {
      weightsOk = false;
      return p.add(`${at}.weight`, `${w} has more than two decimals`);
    }
    hundredths += h;
  });
  if (weightsOk && hundredths !== 10_000) {
    p.add(`${path}.split`, `weights add up to ${hundredths / 100}, not 100`);
  }
  const stickiness = serve['stickiness'];
  if (stickiness !== undefined && !isNonEmptyString(stickiness)) {
    p.add(`${path}.stickiness`, 'must be a non-empty attribute name');
  }
}

function checkFlag(p: Problems, flag: unknown): Set<string> {
  const variants = new Set<string>();
  if (!isObject(flag)) {
    p.add('flag', 'must be an object');
    return variants;
  }
  if (!isNonEmptyString(flag['key'])) p.add('flag.key', 'must be a non-empty string');
  const kind = flag['type'];
  if (kind !== undefined && (typeof kind !== 'string' || !KINDS.includes(kind))) {
    p.add('flag.type', `must be one of ${KINDS.join(', ')}, not ${show(kind)}`);
  }
  const list = flag['variants'];
  if (!Array.isArray(list) || list.length === 0) {
    p.add('flag.variants', 'must be a non-empty array of { "key", "value" }');
    return variants;
  }
  let firstType: { type: VariantType; index: number } | undefined;
  const seen = new Map<string, number>();
  list.forEach((variant, i) => {
    const at = `flag.variants[${i}]`;
    if (!isObject(variant)) return p.add(at, 'must be { "key": …, "value": … }');
    const key = variant['key'];
    if (!isNonEmptyString(key)) p.add(`${at}.key`, 'must be a non-empty string');
    else if (seen.has(key)) p.add(`${at}.key`, `duplicate variant key "${key}" (also variants[${seen.get(key)}])`);
    else {
      seen.set(key, i);
      variants.add(key);
    }
    const type = variantType(variant['value']);
    if (type === undefined) {
      p.add(`${at}.value`, 'must be a boolean, a string, a finite number or a JSON object or array');
    } else if (firstType === undefined) {
      firstType = { type, index: i };
    } else if (type !== firstType.type) {
      p.add(`${at}.value`, `is a ${type} but variants[${firstType.index}] is a ${firstType.type}; all variants of a flag share one type`);
    }
  });
  return variants;
}

function checkEnvironment(p: Problems, env: unknown, flagKey: unknown, scope: Scope): void {
  if (!isObject(env)) return p.add('environment', 'must be an object');
  if (typeof env['enabled'] !== 'boolean') p.add('environment.enabled', 'must be true or false');
  if (env['offVariant'] !== undefined) checkVariantRef(p, 'environment.offVariant', env['offVariant'], scope);
  const targets = env['targets'];
  if (targets !== undefined) {
    if (!Array.isArray(targets)) p.add('environment.targets', 'must be an array');
    else
      targets.forEach((t, i) => {
        const at = `environment.targets[${i}]`;
        if (!isObject(t)) return p.add(at, 'must be { "variant": …, "values": [ … ] }');
        checkVariantRef(p, `${at}.variant`, t['variant'], scope);
        const values = t['values'];
        if (!Array.isArray(values)) return p.add(`${at}.values`, 'must be an array of targeting keys');
        values.forEach((v, j) => {
          if (typeof v !== 'string') p.add(`${at}.values[${j}]`, `a targeting key must be a string, not ${show(v)}`);
        });
      });
  }
  const rules = env['rules'];
  if (rules !== undefined) {
    if (!Array.isArray(rules)) p.add('environment.rules', 'must be an array');
    else
      rules.forEach((r, i) => {
        const at = `environment.rules[${i}]`;
        if (!isObject(r)) return p.add(at, 'must be { "conditions": [ … ], "serve": … }');
        if (r['id'] !== undefined && typeof r['id'] !== 'string') p.add(`${at}.id`, 'must be a string');
        checkConditions(p, `${at}.conditions`, r['conditions'], scope);
        checkServe(p, `${at}.serve`, r['serve'], scope);
      });
  }
  checkServe(p, 'environment.defaultServe', env['defaultServe'], scope);
  const prerequisites = env['prerequisites'];
  if (prerequisites !== undefined) {
    if (!Array.isArray(prerequisites)) p.add('environment.prerequisites', 'must be an array');
    else
      prerequisites.forEach((pre, i) => {
        const at = `environment.prerequisites[${i}]`;
        if (!isObject(pre)) return p.add(at, 'must be { "flag": …, "variant": … }');
        if (!isNonEmptyString(pre['flag'])) p.add(`${at}.flag`, 'must be the key of another flag');
        else if (pre['flag'] === flagKey) p.add(`${at}.flag`, 'a flag cannot be its own prerequisite');
        if (!isNonEmptyString(pre['variant'])) p.add(`${at}.variant`, 'must be the key of a variant of that flag');
      });
  }
}

/**
 * Checks a flag definition and, when given, its configuration in one
 * environment. Returns the problems found (empty when valid), each with a path
 * rooted at `flag` or `environment`. Segment references are checked only when
 * `segments` is given; a prerequisite's variant is not checked (that is the
 * other flag's business).
 *
 * @example
 * validateFlagConfig(
 *   { key: 'new-checkout', variants: [{ key: 'on', value: true }, { key: 'off', value: 'no' }] },
 *   { enabled: true, defaultServe: { variant: 'of' } },
 *   [],
 * );
 * // [{ path: 'flag.variants[1].value', message: 'is a string but variants[0] is a boolean; …' },
 * //  { path: 'environment.defaultServe.variant', message: 'variant "of" does not exist; …' }]
 */
export function validateFlagConfig(
  flag: FlagDefinition,
  envConfig?: EnvConfig | null,
  segments?: readonly Segment[],
): ValidationProblem[] {
  const p = new Problems();
  const variants = checkFlag(p, flag);
  if (envConfig === undefined) return p.list;
  const keys = Array.isArray(segments)
    ? new Set(segments.filter(isObject).map((s) => s['key']).filter((k): k is string => typeof k === 'string'))
    : undefined;
  const flagKey = isObject(flag) ? flag['key'] : undefined;
  checkEnvironment(p, envConfig, flagKey, { variants, segments: keys, inSegment: false });
  return p.list;
}

/**
 * Checks a segment: a non-empty key and valid conditions, none of them `in_segment`.
 *
 * @example
 * validateSegment({ key: 'beta', conditions: [{ attribute: 'company', operator: 'in', values: ['acme'] }] }); // []
 */
export function validateSegment(segment: Segment): ValidationProblem[] {
  const p = new Problems();
  if (!isObject(segment)) {
    p.add('segment', 'must be an object');
    return p.list;
  }
  if (!isNonEmptyString(segment['key'])) p.add('segment.key', 'must be a non-empty string');
  checkConditions(p, 'segment.conditions', segment['conditions'], {
    variants: new Set(),
    segments: undefined,
    inSegment: true,
  });
  return p.list;
}
