/**
 * One flag, compiled for one environment, and the resolution walk over it:
 * constant answer (error, disabled, static) → prerequisites → individual
 * targets → ordered rules → default serve.
 */
import { generateBody } from './codegen.js';
import type { ServePlan } from './codegen.js';
import { allOf, compileCondition } from './conditions.js';
import type { Ctx, Predicate } from './conditions.js';
import { bucketSuffix, hashPrefix } from './murmur3.js';
import type { HashState } from './murmur3.js';
import { Fallback, failure, ownValue, served } from './results.js';
import type { Resolution } from './results.js';
import type { EnvConfig, EvaluationResult, FlagValue, Reason, RuleSetFlag, Serve, VariantType } from './types.js';
import { variantType } from './validate.js';

/** A serve, ready to answer: either `fixed`, or a split over `bounds`. */
interface CompiledServe {
  readonly fixed: EvaluationResult | undefined;
  readonly stickiness: string;
  readonly prefix: HashState;
  /** Exclusive upper bucket of each entry, cumulative: weights [25, 75] → [2500, 10000]. */
  readonly bounds: readonly number[];
  readonly results: readonly EvaluationResult[];
  readonly missing: Fallback;
}

interface CompiledRule {
  readonly test: Predicate;
  readonly serve: CompiledServe;
}

/** A prerequisite; `flag` is linked once every flag of the rule set is compiled. */
export interface PrerequisiteLink {
  readonly key: string;
  readonly variant: string;
  flag: CompiledFlag | undefined;
  readonly failed: Resolution;
}

/**
 * A compiled flag. When `constant` is set, it is the answer whatever the context; otherwise
 * `body` walks targets, rules and the default serve (after the prerequisites held).
 */
export interface CompiledFlag {
  readonly key: string;
  /** The type every variant of the flag has (validated), for the expected-type check. */
  readonly valueType: VariantType | undefined;
  /** The answer whatever the context, from the flag alone (before the prerequisite graph is analysed). */
  readonly ownConstant: Resolution | undefined;
  constant: Resolution | undefined;
  readonly prerequisites: readonly PrerequisiteLink[];
  readonly body: (ctx: Ctx) => Resolution;
}

/** A flag whose only answer is an error. */
export function errorFlag(key: string, fallback: Fallback): CompiledFlag {
  return { key, valueType: undefined, ownConstant: fallback, constant: fallback, prerequisites: [], body: UNREACHABLE };
}

function stickinessKey(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** The variant of a split for the raw value of its stickiness attribute. */
function split(s: CompiledServe, raw: unknown): Resolution {
  const key = stickinessKey(raw);
  if (key === undefined) return s.missing;
  const bucket = bucketSuffix(s.prefix, key);
  const bounds = s.bounds;
  const last = bounds.length - 1;
  for (let i = 0; i < last; i++) {
    if (bucket < (bounds[i] as number)) return s.results[i] as EvaluationResult;
  }
  return s.results[last] as EvaluationResult;
}

function serve(s: CompiledServe, ctx: Ctx): Resolution {
  return s.fixed !== undefined ? s.fixed : split(s, ctx[s.stickiness]);
}

/** The closure walk over targets, rules and the default serve, where code cannot be generated. */
function walk(
  targets: ReadonlyMap<string, EvaluationResult> | undefined,
  rules: readonly CompiledRule[],
  defaultServe: CompiledServe,
): (ctx: Ctx) => Resolution {
  return (ctx) => {
    if (targets !== undefined) {
      const tk = ctx['targetingKey'];
      const key = typeof tk === 'string' ? tk : typeof tk === 'number' || typeof tk === 'boolean' ? String(tk) : undefined;
      if (key !== undefined) {
        const hit = targets.get(key);
        if (hit !== undefined) return hit;
      }
    }
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as CompiledRule;
      if (rule.test(ctx)) return serve(rule.serve, ctx);
    }
    return serve(defaultServe, ctx);
  };
}

/**
 * Resolves a flag for a context (known to be an object). Recursion into
 * prerequisites terminates because cycles and over-deep chains were made
 * constant at compile time.
 */
export function resolve(flag: CompiledFlag, ctx: Ctx): Resolution {
  const constant = flag.constant;
  if (constant !== undefined) return constant;
  const prerequisites = flag.prerequisites;
  for (let i = 0; i < prerequisites.length; i++) {
    const p = prerequisites[i] as PrerequisiteLink;
    if (p.flag === undefined) return p.failed;
    const r = resolve(p.flag, ctx);
    if (r instanceof Fallback || r.variant !== p.variant) return p.failed;
  }
  return flag.body(ctx);
}

const NO_PREFIX: HashState = { h: 0, k: 0, n: 0, len: 0 };
const NO_FALLBACK = failure('GENERAL', 'unreachable');
const UNREACHABLE = (): Resolution => NO_FALLBACK;

/**
 * Compiles a flag whose definition and configuration passed validation (with
 * every referenced segment present and valid in `segments`).
 */
export function buildFlag(def: RuleSetFlag, segments: ReadonlyMap<string, Predicate>): CompiledFlag {
  const key = def.key;
  const env: EnvConfig = def.environment;
  const values = new Map<string, FlagValue>();
  for (const v of def.variants) values.set(v.key, ownValue(v.value));
  const result = (variant: string, reason: Reason, ruleId?: string): EvaluationResult =>
    served(values.get(variant) as FlagValue, variant, reason, ruleId === undefined ? undefined : { ruleId });

  const compileServe = (s: Serve, fixedReason: Reason, ruleId?: string): CompiledServe => {
    if ('variant' in s) {
      return { fixed: result(s.variant, fixedReason, ruleId), stickiness: '', prefix: NO_PREFIX, bounds: [], results: [], missing: NO_FALLBACK };
    }
    const stickiness = s.stickiness ?? 'targetingKey';
    let total = 0;
    return {
      fixed: undefined,
      stickiness,
      prefix: hashPrefix(key + '/'),
      bounds: s.split.map((e) => (total += Math.round(e.weight * 100))),
      results: s.split.map((e) => result(e.variant, 'SPLIT', ruleId)),
      missing: failure(
        'TARGETING_KEY_MISSING',
        `flag "${key}" splits on the "${stickiness}" attribute, which the context lacks or which is not a non-empty string, number or boolean`,
        ruleId === undefined ? undefined : Object.freeze({ ruleId }),
      ),
    };
  };

  const off = env.offVariant;
  const noTargets = (env.targets ?? []).every((t) => t.values.length === 0);
  const noRules = (env.rules ?? []).length === 0;
  const noPrerequisites = (env.prerequisites ?? []).length === 0;

  let constant: Resolution | undefined;
  if (!env.enabled) {
    constant = off === undefined ? new Fallback('DISABLED', undefined, undefined, undefined) : result(off, 'DISABLED');
  } else if (noTargets && noRules && noPrerequisites && 'variant' in env.defaultServe) {
    constant = result(env.defaultServe.variant, 'STATIC');
  }
  const valueType = variantType(def.variants[0]?.value);
  if (constant !== undefined) {
    return { key, valueType, ownConstant: constant, constant, prerequisites: [], body: UNREACHABLE };
  }

  const prerequisites = (env.prerequisites ?? []).map((p): PrerequisiteLink => {
    const metadata = Object.freeze({ prerequisiteFailed: p.flag });
    const failed =
      off === undefined ? new Fallback('DEFAULT', undefined, undefined, metadata) : served(values.get(off) as FlagValue, off, 'DEFAULT', metadata);
    return { key: p.flag, variant: p.variant, flag: undefined, failed };
  });

  let targets: Map<string, EvaluationResult> | undefined;
  for (const t of env.targets ?? []) {
    const hit = result(t.variant, 'TARGETING_MATCH');
    for (const value of t.values) {
      targets ??= new Map();
      if (!targets.has(value)) targets.set(value, hit); // the first listing wins
    }
  }

  const ruleServes = (env.rules ?? []).map((r) => compileServe(r.serve, 'TARGETING_MATCH', r.id));
  const defaultServe = compileServe(env.defaultServe, 'DEFAULT');
  const plan = (s: CompiledServe, def: Serve): ServePlan<CompiledServe> =>
    s.fixed !== undefined ? { fixed: s.fixed } : { split: s, stickiness: (def as { stickiness?: string }).stickiness ?? 'targetingKey' };
  const body =
    generateBody<CompiledServe, Resolution>({
      targets,
      rules: (env.rules ?? []).map((r, i) => ({ conditions: r.conditions, serve: plan(ruleServes[i] as CompiledServe, r.serve) })),
      defaultServe: plan(defaultServe, env.defaultServe),
      compile: (c) => compileCondition(c, segments),
      split,
    }) ??
    walk(
      targets,
      (env.rules ?? []).map((r, i): CompiledRule => ({ test: allOf(r.conditions.map((c) => compileCondition(c, segments))), serve: ruleServes[i] as CompiledServe })),
      defaultServe,
    );

  return { key, valueType, ownConstant: undefined, constant: undefined, prerequisites, body };
}

/**
 * A compiled flag as new, for another rule set: its own constant back, its prerequisites unlinked.
 * A flag without prerequisites is never changed by linking (cycles and deep chains need
 * prerequisites), so it is shared as it is.
 */
export function reused(flag: CompiledFlag): CompiledFlag {
  if (flag.prerequisites.length === 0) return flag;
  return {
    ...flag,
    constant: flag.ownConstant,
    prerequisites: flag.prerequisites.map((p) => ({ key: p.key, variant: p.variant, flag: undefined, failed: p.failed })),
  };
}
