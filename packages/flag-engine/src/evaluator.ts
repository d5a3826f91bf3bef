/**
 * Compiles a whole rule set into an {@link Evaluator}. Compilation validates
 * each flag: a flag that fails validation (or references an invalid segment)
 * does not stop the others from compiling; it answers PARSE_ERROR instead.
 */
import { allOf, compileCondition } from './conditions.js';
import type { Ctx, Predicate } from './conditions.js';
import { buildFlag, errorFlag, resolve, reused } from './compiled-flag.js';
import type { CompiledFlag } from './compiled-flag.js';
import { analysePrerequisites } from './prerequisite-graph.js';
import { errorResult, failure, Fallback } from './results.js';
import type {
  EvaluationResult,
  FlagValue,
  RuleSet,
  RuleSetFlag,
  Segment,
  ValidationProblem,
  VariantType,
} from './types.js';
import { validateFlagConfig, validateSegment } from './validate.js';

/** Longest allowed chain of prerequisites (a flag with none has depth 1). */
export const MAX_PREREQUISITE_DEPTH = 64;

/** A compiled rule set. Every method is safe to call with any input and never throws. */
export interface Evaluator {
  /** The `version` of the rule set this was compiled from. */
  readonly version: string | undefined;
  /**
   * Evaluates one flag for a context. `context` should be a plain object of
   * attributes (`undefined` counts as `{}`; anything else that is not an object
   * gives INVALID_CONTEXT). On error, `value` is `defaultValue`. When
   * `expectedType` is given and the served value has another type, the result
   * is `defaultValue` with TYPE_MISMATCH. The result may be shared between calls
   * and is frozen.
   *
   * @example
   * const r = evaluator.evaluate('new-checkout', { targetingKey: 'user-1', company: 'acme' }, false, 'boolean');
   * if (r.value === true) showNewCheckout();
   */
  evaluate(flagKey: string, context?: unknown, defaultValue?: FlagValue, expectedType?: VariantType): EvaluationResult;
  /**
   * Evaluates every flag for one context, in rule-set order (for bulk OFREP).
   *
   * @example
   * for (const [key, r] of evaluator.evaluateAll({ targetingKey: 'user-1' })) console.log(key, r.value);
   */
  evaluateAll(context?: unknown): Map<string, EvaluationResult>;
  /** Whether the rule set has a flag with this key. */
  has(flagKey: string): boolean;
  /** The flag keys, in rule-set order. */
  keys(): string[];
}

const EMPTY_CONTEXT: Ctx = Object.freeze({});
const NO_SEGMENTS: ReadonlyMap<string, Predicate> = new Map();

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(problems: readonly ValidationProblem[]): string {
  const shown = problems.slice(0, 3).map((p) => `${p.path}: ${p.message}`);
  if (problems.length > 3) shown.push(`and ${problems.length - 3} more`);
  return shown.join('; ');
}

function messageOf(e: unknown): string {
  try {
    return e instanceof Error ? String(e.message) : 'unknown error';
  } catch {
    return 'unknown error';
  }
}

/** A caller-supplied key or type for a message, without trusting it to convert to a string. */
function describeKey(key: unknown): string {
  return typeof key === 'string' ? `"${key.length > 200 ? key.slice(0, 200) + '…' : key}"` : `of type ${typeof key}`;
}

/** What a compiled flag was compiled from, so that the next rule set can reuse it when unchanged. */
interface Source {
  readonly def: RuleSetFlag;
  /** The segments it uses, as found then (undefined for a missing one). */
  readonly segments: ReadonlyMap<string, Segment | undefined>;
  readonly compiled: CompiledFlag;
}

interface SegmentCompilation {
  predicate?: Predicate;
  problem?: string;
}

/**
 * The compiled flags in rule-set order: `index` finds a key's slot in `compiled` and `sources`.
 * A patch that adds or removes no key shares the index with the version before and copies only
 * the two arrays (pointers, no hashing), so applying it costs the size of the patch.
 */
class RuleSetEvaluator implements Evaluator {
  constructor(
    readonly version: string | undefined,
    readonly index: ReadonlyMap<string, number>,
    readonly compiled: readonly CompiledFlag[],
    /** For {@link compileRuleSet}'s `previous`: what each flag came from (same slots as `compiled`). */
    readonly sources: readonly Source[],
    readonly segments: CompiledSegments,
    /** The `segments` array of the rule set compiled (a patch that keeps it keeps these). */
    readonly segmentList: unknown,
    /** Whether any flag has prerequisites (linking and graph analysis are then needed). */
    readonly linked: boolean,
  ) {}

  get segmentCache(): ReadonlyMap<Segment, SegmentCompilation> {
    return this.segments.cache;
  }

  sourceOf(flagKey: string): Source | undefined {
    const at = this.index.get(flagKey);
    return at === undefined ? undefined : this.sources[at];
  }

  evaluate(flagKey: string, context?: unknown, defaultValue?: FlagValue, expectedType?: VariantType): EvaluationResult {
    const at = this.index.get(flagKey);
    if (at === undefined) return errorResult(defaultValue, 'FLAG_NOT_FOUND', `flag ${describeKey(flagKey)} not found`);
    const flag = this.compiled[at] as CompiledFlag;
    try {
      let ctx: Ctx;
      if (context === undefined) ctx = EMPTY_CONTEXT;
      else if (typeof context === 'object' && context !== null && !Array.isArray(context)) ctx = context as Ctx;
      else return errorResult(defaultValue, 'INVALID_CONTEXT', 'the evaluation context must be an object of attributes');
      // The common cases inline; resolve() (recursive, so never inlined) only for prerequisites.
      const constant = flag.constant;
      const r = constant !== undefined ? constant : flag.prerequisites.length === 0 ? flag.body(ctx) : resolve(flag, ctx);
      if (r instanceof Fallback) return r.withDefault(defaultValue);
      // Every variant of a flag has its type (validated), so the flag's type is the value's.
      if (expectedType !== undefined && flag.valueType !== expectedType) {
        return errorResult(defaultValue, 'TYPE_MISMATCH', `flag "${flag.key}" is of type ${flag.valueType ?? 'unknown'}, not ${describeKey(expectedType)}`);
      }
      return r;
    } catch (e) {
      // Only a hostile context gets here: a throwing getter, a revoked proxy.
      return errorResult(defaultValue, 'GENERAL', `evaluating flag "${flag.key}" failed: ${messageOf(e)}`);
    }
  }

  evaluateAll(context?: unknown): Map<string, EvaluationResult> {
    const out = new Map<string, EvaluationResult>();
    for (const key of this.index.keys()) out.set(key, this.evaluate(key, context));
    return out;
  }

  has(flagKey: string): boolean {
    return this.index.has(flagKey);
  }

  keys(): string[] {
    return [...this.index.keys()];
  }
}

interface CompiledSegments {
  predicates: Map<string, Predicate>;
  problems: Map<string, string>;
  /** Each key's segment object (the first definition). */
  objects: Map<string, Segment>;
  cache: Map<Segment, SegmentCompilation>;
}

function compileSegments(list: readonly Segment[], previous: ReadonlyMap<Segment, SegmentCompilation> | undefined): CompiledSegments {
  const out: CompiledSegments = { predicates: new Map(), problems: new Map(), objects: new Map(), cache: new Map() };
  for (const segment of list) {
    if (!isObject(segment) || typeof segment.key !== 'string') continue;
    const key = segment.key;
    if (out.objects.has(key)) continue; // the first definition wins
    out.objects.set(key, segment);
    let c = previous?.get(segment);
    if (c === undefined) {
      const found = validateSegment(segment);
      c = found.length > 0 ? { problem: describe(found) } : { predicate: allOf(segment.conditions.map((x) => compileCondition(x, NO_SEGMENTS))) };
    }
    out.cache.set(segment, c);
    if (c.problem !== undefined) out.problems.set(key, c.problem);
    else out.predicates.set(key, c.predicate as Predicate);
  }
  return out;
}

function referencedSegments(def: RuleSetFlag): string[] {
  const keys: string[] = [];
  for (const rule of def.environment.rules ?? []) {
    for (const c of rule.conditions) if (c.operator === 'in_segment') keys.push(...((c.values ?? []) as string[]));
  }
  return keys;
}

/** Every string listed by an `in_segment` condition of a flag, whatever the flag's shape (never throws). */
function segmentKeysOf(def: RuleSetFlag): string[] {
  try {
    return referencedSegments(def).filter((k) => typeof k === 'string');
  } catch {
    return [];
  }
}

function sameSegments(used: ReadonlyMap<string, Segment | undefined>, now: ReadonlyMap<string, Segment>): boolean {
  if (used.size === 0) return true;
  for (const [key, segment] of used) if (now.get(key) !== segment) return false;
  return true;
}

const NO_SEGMENTS_USED: ReadonlyMap<string, Segment | undefined> = new Map();

/** What a flag was compiled from: its definition and the segment objects it used then. */
function sourceFor(def: RuleSetFlag, compiled: CompiledFlag, segmentObjects: ReadonlyMap<string, Segment>): Source {
  const keys = segmentKeysOf(def);
  return { def, segments: keys.length === 0 ? NO_SEGMENTS_USED : new Map(keys.map((k) => [k, segmentObjects.get(k)])), compiled };
}

function compileOne(def: RuleSetFlag, segments: readonly Segment[], compiled: CompiledSegments): CompiledFlag {
  const key = def.key;
  const problems = validateFlagConfig(def, def.environment ?? null, segments);
  if (problems.length > 0) return errorFlag(key, failure('PARSE_ERROR', `flag "${key}" is invalid: ${describe(problems)}`));
  for (const s of referencedSegments(def)) {
    const problem = compiled.problems.get(s);
    if (problem !== undefined) return errorFlag(key, failure('PARSE_ERROR', `segment "${s}" used by flag "${key}" is invalid: ${problem}`));
  }
  try {
    return buildFlag(def, compiled.predicates);
  } catch (e) {
    return errorFlag(key, failure('PARSE_ERROR', `flag "${key}" could not be compiled: ${messageOf(e)}`));
  }
}

/**
 * Compiles a rule set once, for fast repeated evaluation. With `previous` (the evaluator of the
 * rule set this one was patched from), flags whose definition object and segment objects are
 * the same as then are not compiled again; with `changes` too (the flags a patch replaced or
 * added, and the keys it deleted — `ruleSet` must be `previous`'s with exactly those applied),
 * only those are looked at. Throws a TypeError
 * only when `ruleSet` is not an object with a `flags` array (an SDK should then
 * keep its previous evaluator); problems inside a flag make that flag answer
 * PARSE_ERROR, prerequisite cycles make the flags on them answer GENERAL.
 * Entries without a string key are skipped; for duplicate keys the first wins.
 *
 * @example
 * const evaluator = compileRuleSet({
 *   flags: [{
 *     key: 'new-checkout',
 *     variants: [{ key: 'on', value: true }, { key: 'off', value: false }],
 *     environment: {
 *       enabled: true, offVariant: 'off',
 *       rules: [{ conditions: [{ attribute: 'company', operator: 'in', values: ['acme'] }], serve: { variant: 'on' } }],
 *       defaultServe: { split: [{ variant: 'on', weight: 25 }, { variant: 'off', weight: 75 }] },
 *     },
 *   }],
 *   segments: [],
 * });
 * evaluator.evaluate('new-checkout', { targetingKey: 'user-1', company: 'acme' }).value; // true
 */
export function compileRuleSet(ruleSet: RuleSet, previous?: Evaluator, changes?: RuleSetChanges): Evaluator {
  if (!isObject(ruleSet) || !Array.isArray(ruleSet.flags)) {
    throw new TypeError('a rule set must be an object with a "flags" array');
  }
  const before = previous instanceof RuleSetEvaluator ? previous : undefined;
  if (before !== undefined && changes !== undefined) {
    const fast = patched(ruleSet, before, changes);
    if (fast !== undefined) return fast;
  }
  const segments = Array.isArray(ruleSet.segments) ? ruleSet.segments : [];
  const compiledSegments = compileSegments(segments, before?.segmentCache);
  const index = new Map<string, number>();
  const list: CompiledFlag[] = [];
  const sources: Source[] = [];
  for (const def of ruleSet.flags) {
    if (!isObject(def) || typeof def.key !== 'string' || index.has(def.key)) continue;
    index.set(def.key, list.length);
    // The very same definition object using the very same segment objects compiles to the same
    // flag: reused (an SDK applying a patch recompiles only what the patch changed).
    const source = before?.sourceOf(def.key);
    if (source !== undefined && source.def === def && sameSegments(source.segments, compiledSegments.objects)) {
      const compiled = reused(source.compiled);
      list.push(compiled);
      sources.push(compiled === source.compiled ? source : { def, segments: source.segments, compiled });
      continue;
    }
    const compiled = compileOne(def, segments, compiledSegments);
    list.push(compiled);
    sources.push(sourceFor(def, compiled, compiledSegments.objects));
  }

  const version = typeof ruleSet.version === 'string' ? ruleSet.version : undefined;
  if (!list.some((f) => f.prerequisites.length > 0)) return new RuleSetEvaluator(version, index, list, sources, compiledSegments, ruleSet.segments, false);
  for (const flag of list) {
    for (const p of flag.prerequisites) {
      const at = index.get(p.key);
      p.flag = at === undefined ? undefined : list[at];
    }
  }
  const position = new Map(list.map((f, i) => [f, i]));
  const edges = list.map((f) =>
    f.constant !== undefined ? [] : f.prerequisites.flatMap((p) => (p.flag === undefined ? [] : [position.get(p.flag) as number])),
  );
  const { cyclic, depth } = analysePrerequisites(edges, MAX_PREREQUISITE_DEPTH);
  list.forEach((flag, i) => {
    if (cyclic[i]) {
      flag.constant = failure('GENERAL', `flag "${flag.key}" is part of a prerequisite cycle`);
    } else if ((depth[i] as number) > MAX_PREREQUISITE_DEPTH) {
      flag.constant = failure('GENERAL', `flag "${flag.key}" has a prerequisite chain deeper than ${MAX_PREREQUISITE_DEPTH}`);
    }
  });

  return new RuleSetEvaluator(version, index, list, sources, compiledSegments, ruleSet.segments, true);
}

/** What changed since `previous`, when the caller knows (a patch): only flags, and no segments. */
export interface RuleSetChanges {
  readonly flags: readonly RuleSetFlag[];
  readonly deletedFlags: readonly string[];
}

/**
 * The fast path of a patch: the previous evaluator's slots copied, the changed flags compiled into
 * theirs, the deleted ones dropped — work in proportion to the patch (an SDK process holding many
 * clients applies a change to all of them at once). The index of keys is shared with the previous
 * evaluator unless the patch adds or deletes a key. Undefined when it does not apply: another
 * segments array, or prerequisites anywhere (then every link is rebuilt the long way).
 */
function patched(ruleSet: RuleSet, before: RuleSetEvaluator, changes: RuleSetChanges): Evaluator | undefined {
  if (before.linked || ruleSet.segments !== before.segmentList) return undefined;
  if (changes.flags.some((f) => !isObject(f) || typeof f.key !== 'string' || (Array.isArray(f.environment?.prerequisites) && f.environment.prerequisites.length > 0))) return undefined;
  let index = before.index;
  let list = before.compiled.slice();
  let sources = before.sources.slice();
  const segments = Array.isArray(ruleSet.segments) ? ruleSet.segments : [];
  for (const def of changes.flags) {
    const compiled = compileOne(def, segments, before.segments);
    const source = sourceFor(def, compiled, before.segments.objects);
    let at = index.get(def.key);
    if (at === undefined) {
      if (index === before.index) index = new Map(index);
      at = list.length;
      (index as Map<string, number>).set(def.key, at);
    }
    list[at] = compiled;
    sources[at] = source;
  }
  // Deletions last, as a patch is applied (a flag both changed and deleted is gone).
  if (changes.deletedFlags.some((key) => index.has(key))) {
    const gone = new Set(changes.deletedFlags);
    const kept = new Map<string, number>();
    const keptList: CompiledFlag[] = [];
    const keptSources: Source[] = [];
    for (const [key, at] of index) {
      if (gone.has(key)) continue;
      kept.set(key, keptList.length);
      keptList.push(list[at] as CompiledFlag);
      keptSources.push(sources[at] as Source);
    }
    index = kept;
    list = keptList;
    sources = keptSources;
  }
  const version = typeof ruleSet.version === 'string' ? ruleSet.version : undefined;
  return new RuleSetEvaluator(version, index, list, sources, before.segments, ruleSet.segments, false);
}
