/**
 * Compiles conditions into predicates over a context. Everything that can be
 * worked out from the condition alone (sets, regular expressions, parsed
 * versions, dates, the comparison mode) is worked out here, once.
 *
 * Attribute semantics: only string, number and boolean attribute values take
 * part (compared as strings by the string operators, so `42` equals `"42"`); a
 * missing or `null` attribute, or one of another type, makes every operator
 * false, `not_in` and `neq` included — "not in [a, b]" says nothing about a
 * context that has no such attribute. `exists` is true for an own attribute that
 * is not `null`/`undefined`, whatever its type.
 */
import { compilePattern, MAX_MATCH_INPUT } from './patterns.js';
import type { Pattern } from './patterns.js';
import { parseRange, parseSemver, compareSemver, satisfies } from './semver.js';
import type { Condition, ConditionValue } from './types.js';

/** A context known to be a non-array object. */
export type Ctx = Readonly<Record<string, unknown>>;

/** A compiled condition, segment or rule test. */
export type Predicate = (ctx: Ctx) => boolean;

const NEVER: Predicate = () => false;
const ALWAYS: Predicate = () => true;

/** The string form of a primitive attribute value, or undefined for anything else. */
function asString(v: unknown): string | undefined {
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

const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Milliseconds since the epoch of an ISO 8601 date or date-time, or undefined.
 * A date-time without an offset is read as UTC, so that results do not depend
 * on the time zone of the machine evaluating.
 */
export function parseIsoDate(s: string): number | undefined {
  if (s.length > 64) return undefined;
  const m = ISO_DATE.exec(s);
  if (m === null) return undefined;
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone = ''] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(sec);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Number((frac + '00').slice(0, 3));
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (new Date(t).getUTCDate() !== day) return undefined; // 2023-02-30
  let offset = 0;
  if (zone !== '' && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 23 || om > 59) return undefined;
    offset = sign * (oh * 60 + om) * 60_000;
  }
  return t - offset;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A number from a JSON number or a decimal numeric string; undefined otherwise. */
export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string' || v.length > 64 || !DECIMAL.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * How `lt`/`lte`/`gt`/`gte` compare, decided from the condition value: an ISO
 * date string compares dates, a number (or numeric string) compares numbers.
 */
export function comparisonTarget(value: unknown): { kind: 'date' | 'number'; at: number } | undefined {
  if (typeof value === 'string') {
    const at = parseIsoDate(value);
    if (at !== undefined) return { kind: 'date', at };
  }
  const n = asNumber(value);
  return n === undefined ? undefined : { kind: 'number', at: n };
}

function anyOf(preds: Predicate[]): Predicate {
  if (preds.length === 0) return NEVER;
  if (preds.length === 1) return preds[0] as Predicate;
  return (ctx) => {
    for (let i = 0; i < preds.length; i++) if ((preds[i] as Predicate)(ctx)) return true;
    return false;
  };
}

/** A predicate that holds when every one of `preds` holds (an empty list always holds). */
export function allOf(preds: Predicate[]): Predicate {
  if (preds.length === 0) return ALWAYS;
  if (preds.length === 1) return preds[0] as Predicate;
  if (preds.length === 2) {
    const [a, b] = preds as [Predicate, Predicate];
    return (ctx) => a(ctx) && b(ctx);
  }
  return (ctx) => {
    for (let i = 0; i < preds.length; i++) if (!(preds[i] as Predicate)(ctx)) return false;
    return true;
  };
}

function stringTest(attr: string, values: string[], test: (s: string, v: string) => boolean): Predicate {
  return (ctx) => {
    const s = asString(ctx[attr]);
    if (s === undefined) return false;
    for (let i = 0; i < values.length; i++) if (test(s, values[i] as string)) return true;
    return false;
  };
}

function compare(attr: string, value: unknown, accept: (diff: number) => boolean): Predicate {
  const target = comparisonTarget(value);
  if (target === undefined) return NEVER;
  const at = target.at;
  if (target.kind === 'number') {
    return (ctx) => {
      const n = asNumber(ctx[attr]);
      return n !== undefined && accept(n - at);
    };
  }
  return (ctx) => {
    const v = ctx[attr];
    const t = typeof v === 'string' ? parseIsoDate(v) : v instanceof Date ? v.getTime() : undefined;
    return t !== undefined && !Number.isNaN(t) && accept(t - at);
  };
}

function semverTest(attr: string, value: unknown, accept: (cmp: number) => boolean): Predicate {
  const target = typeof value === 'string' ? parseSemver(value) : undefined;
  if (target === undefined) return NEVER;
  return (ctx) => {
    const v = ctx[attr];
    const parsed = typeof v === 'string' ? parseSemver(v) : undefined;
    return parsed !== undefined && accept(compareSemver(parsed, target));
  };
}

/**
 * Compiles one condition. Expects a condition that passed validation; anything
 * it cannot make sense of compiles to a predicate that never matches.
 * `segments` maps segment keys to their compiled predicates.
 */
export function compileCondition(cond: Condition, segments: ReadonlyMap<string, Predicate>): Predicate {
  const attr = cond.attribute;
  const raw: readonly ConditionValue[] = Array.isArray(cond.values) ? cond.values : [];
  const strings = raw.map((v) => asString(v)).filter((v): v is string => v !== undefined);
  const first = raw[0];
  switch (cond.operator) {
    case 'in':
    case 'not_in': {
      const set = new Set(strings);
      const wanted = cond.operator === 'in';
      return (ctx) => {
        const v = ctx[attr];
        const s = typeof v === 'string' ? v : asString(v);
        return s !== undefined && set.has(s) === wanted;
      };
    }
    case 'eq':
    case 'neq': {
      const target = strings[0];
      if (target === undefined) return NEVER;
      const wanted = cond.operator === 'eq';
      return (ctx) => {
        const s = asString(ctx[attr]);
        return s !== undefined && (s === target) === wanted;
      };
    }
    case 'contains':
      return stringTest(attr, strings, (s, v) => s.includes(v));
    case 'starts_with':
      return stringTest(attr, strings, (s, v) => s.startsWith(v));
    case 'ends_with':
      return stringTest(attr, strings, (s, v) => s.endsWith(v));
    case 'matches': {
      const patterns = raw.map(compilePattern).filter((r): r is Pattern => r !== undefined);
      return (ctx) => {
        let s = asString(ctx[attr]);
        if (s === undefined) return false;
        if (s.length > MAX_MATCH_INPUT) s = s.slice(0, MAX_MATCH_INPUT);
        for (let i = 0; i < patterns.length; i++) if ((patterns[i] as Pattern).test(s)) return true;
        return false;
      };
    }
    case 'lt':
      return compare(attr, first, (d) => d < 0);
    case 'lte':
      return compare(attr, first, (d) => d <= 0);
    case 'gt':
      return compare(attr, first, (d) => d > 0);
    case 'gte':
      return compare(attr, first, (d) => d >= 0);
    case 'semver_eq':
      return semverTest(attr, first, (c) => c === 0);
    case 'semver_lt':
      return semverTest(attr, first, (c) => c < 0);
    case 'semver_gt':
      return semverTest(attr, first, (c) => c > 0);
    case 'semver_range': {
      const range = typeof first === 'string' ? parseRange(first) : undefined;
      if (range === undefined) return NEVER;
      return (ctx) => {
        const v = ctx[attr];
        const parsed = typeof v === 'string' ? parseSemver(v) : undefined;
        return parsed !== undefined && satisfies(parsed, range);
      };
    }
    case 'in_segment':
      return anyOf(strings.map((key) => segments.get(key) ?? NEVER));
    case 'exists':
      return (ctx) => Object.hasOwn(ctx, attr) && ctx[attr] != null;
    default:
      return NEVER;
  }
}
