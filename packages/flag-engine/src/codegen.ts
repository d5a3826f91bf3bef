/**
 * Generates the walk "individual targets → rules → default serve" of a flag as JavaScript, so
 * that every attribute read is a monomorphic named-property load and every common condition is
 * inlined (a few `===` instead of a Set lookup, no closure call per condition).
 *
 * The source depends only on the flag's *shape* — attribute names, operators, value counts,
 * kinds of serve — never on its values, which are passed in as arguments. Flags of one shape
 * share one factory, so V8 optimizes their code once and 200 flags do not fill the instruction
 * cache with 200 copies (docs/decisions/0024-generated-flag-code.md).
 *
 * Safety: attribute names enter the source only through JSON.stringify (a string literal);
 * every value, result and helper is an argument, never source text. Where `new Function` is
 * forbidden (a CSP, some edge runtimes), {@link generateBody} answers undefined and the caller
 * keeps its closures, which give the same answers (a differential test checks both on random
 * rule sets and contexts).
 */
import { asNumber, comparisonTarget } from './conditions.js';
import type { Ctx, Predicate } from './conditions.js';
import type { Condition, ConditionValue, EvaluationResult } from './types.js';

/** What a generated body returns: a finished result, or a fallback the caller completes. */
export type Body<R> = (ctx: Ctx) => R;

/** How one rule (or the default) serves: a fixed result, or a split to compute. */
export type ServePlan<S> = { fixed: EvaluationResult } | { split: S; stickiness: string };

export interface BodyPlan<S> {
  readonly targets: ReadonlyMap<string, EvaluationResult> | undefined;
  readonly rules: readonly { readonly conditions: readonly Condition[]; readonly serve: ServePlan<S> }[];
  readonly defaultServe: ServePlan<S>;
  /** The closure of a condition, for operators that are not inlined. */
  compile(cond: Condition): Predicate;
  /** Computes a split for the stickiness attribute's raw value. */
  split(serve: S, raw: unknown): unknown;
}

/** Above this many values, `in`/`not_in` test a Set rather than a chain of `===`. */
const INLINE_VALUES = 8;

let available: boolean | undefined;
/** Factories by source text; bounded, since shapes come from data. */
const factories = new Map<string, (...args: unknown[]) => unknown>();
const MAX_FACTORIES = 1000;

/**
 * Turns code generation off (or back to "when the runtime allows it"), for the differential
 * tests that check the generated code against the closures. Not part of the public API.
 */
export function setCodeGeneration(enabled: boolean): void {
  available = enabled ? undefined : false;
}

/** Whether this runtime lets us generate code (checked once). */
function canGenerate(): boolean {
  if (available === undefined) {
    try {
      available = new Function('return 1')() === 1;
    } catch {
      available = false;
    }
  }
  return available;
}

function str(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return undefined;
  }
}

const lit = (s: string): string => JSON.stringify(s);

class Source<S> {
  readonly args: unknown[] = [];
  private readonly names: string[] = [];

  constructor(private readonly plan: BodyPlan<S>) {}

  /** A name in the generated code for a value passed in. */
  ref(value: unknown): string {
    const name = `a${this.args.length}`;
    this.args.push(value);
    this.names.push(name);
    return name;
  }

  params(): string[] {
    return this.names;
  }

  /** The attribute's value as a string, in `s` (undefined when not a string, number or boolean). */
  private stringOf(attr: string): string {
    return `(v = ctx[${lit(attr)}], s = typeof v === "string" ? v : str(v), s !== undefined)`;
  }

  private anyOf(values: readonly string[], test: (needle: string) => string): string {
    return values.length === 0 ? 'false' : `(${values.map(test).join(' || ')})`;
  }

  condition(cond: Condition): string {
    const attr = cond.attribute;
    const raw: readonly ConditionValue[] = Array.isArray(cond.values) ? cond.values : [];
    const strings = raw.map(str).filter((v): v is string => v !== undefined);
    switch (cond.operator) {
      case 'in':
      case 'not_in': {
        const member =
          strings.length > INLINE_VALUES ? `${this.ref(new Set(strings))}.has(s)` : this.anyOf(strings, (x) => `s === ${this.ref(x)}`);
        return `(${this.stringOf(attr)} && ${cond.operator === 'in' ? member : `!${member}`})`;
      }
      case 'eq':
      case 'neq': {
        const target = strings[0];
        if (target === undefined) return 'false';
        return `(${this.stringOf(attr)} && s ${cond.operator === 'eq' ? '===' : '!=='} ${this.ref(target)})`;
      }
      case 'contains':
        return `(${this.stringOf(attr)} && ${this.anyOf(strings, (x) => `s.includes(${this.ref(x)})`)})`;
      case 'starts_with':
        return `(${this.stringOf(attr)} && ${this.anyOf(strings, (x) => `s.startsWith(${this.ref(x)})`)})`;
      case 'ends_with':
        return `(${this.stringOf(attr)} && ${this.anyOf(strings, (x) => `s.endsWith(${this.ref(x)})`)})`;
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte': {
        const target = comparisonTarget(raw[0]);
        if (target === undefined) return 'false';
        if (target.kind !== 'number') break; // dates: the closure
        const op = { lt: '<', lte: '<=', gt: '>', gte: '>=' }[cond.operator];
        const at = this.ref(target.at);
        // The closure's test is accept(n - at); written the same way so both agree on every double.
        return `(v = ctx[${lit(attr)}], typeof v === "number" ? (v - v === 0 && v - ${at} ${op} 0) : ((n = num(v)) !== undefined && n - ${at} ${op} 0))`;
      }
      case 'exists':
        return `(hasOwn(ctx, ${lit(attr)}) && ctx[${lit(attr)}] != null)`;
      default:
        break;
    }
    return `${this.ref(this.plan.compile(cond))}(ctx)`;
  }

  serve(plan: ServePlan<S>): string {
    if ('fixed' in plan) return `return ${this.ref(plan.fixed)};`;
    return `return split(${this.ref(plan.split)}, ctx[${lit(plan.stickiness)}]);`;
  }
}

/**
 * The generated walk over a flag's targets, rules and default serve, or undefined when this
 * runtime forbids generating code (or, defensively, when the generated source does not compile).
 */
export function generateBody<S, R>(plan: BodyPlan<S>): Body<R> | undefined {
  if (!canGenerate()) return undefined;
  const src = new Source(plan);
  const lines: string[] = ['var v, s, n, hit;'];
  if (plan.targets !== undefined) {
    const targets = src.ref(plan.targets);
    lines.push(
      'v = ctx["targetingKey"];',
      's = typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;',
      `if (s !== undefined && (hit = ${targets}.get(s)) !== undefined) return hit;`,
    );
  }
  for (const rule of plan.rules) {
    const test = rule.conditions.length === 0 ? 'true' : rule.conditions.map((c) => src.condition(c)).join(' && ');
    lines.push(`if (${test}) ${src.serve(rule.serve)}`);
  }
  lines.push(src.serve(plan.defaultServe));
  const names = src.params();
  const bindings = names.length === 0 ? '' : `var ${names.map((name, i) => `${name} = A[${i}]`).join(', ')};\n`;
  const source = `"use strict";\n${bindings}return function flag(ctx) {\n${lines.join('\n')}\n};`;
  try {
    let factory = factories.get(source);
    if (factory === undefined) {
      factory = new Function('str', 'num', 'hasOwn', 'split', 'A', source) as (...args: unknown[]) => unknown;
      if (factories.size >= MAX_FACTORIES) factories.clear();
      factories.set(source, factory);
    }
    return factory(str, asNumber, Object.hasOwn, plan.split, src.args) as Body<R>;
  } catch {
    return undefined;
  }
}
