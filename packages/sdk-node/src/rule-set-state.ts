/**
 * The client's current rule set: replaced by a `put` (or a poll), changed by a
 * `patch`, compiled once per change. A rule set that cannot be compiled is
 * refused and the previous one stays in force, so one bad payload never leaves
 * the application without answers.
 */
import { compileRuleSet } from '@slipway/flag-engine';
import type { Evaluator, RuleSet, RuleSetFlag, Segment } from '@slipway/flag-engine';

/** The body of a `patch` event of the SDK stream. */
export interface RuleSetPatch {
  version: string;
  flags?: RuleSetFlag[];
  deletedFlags?: string[];
  segments?: Segment[];
  deletedSegments?: string[];
}

/** What an accepted update changed. */
export interface AppliedChange {
  version: string | undefined;
  /** Keys of flags whose definition, configuration or used segments changed, or that appeared or disappeared. */
  changedKeys: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function keyed<T extends { key: string }>(list: unknown): T[] {
  return Array.isArray(list) ? (list.filter((x) => isObject(x) && typeof x.key === 'string') as T[]) : [];
}

function segmentKeysOf(flag: RuleSetFlag): string[] {
  const out: string[] = [];
  const rules = isObject(flag.environment) && Array.isArray(flag.environment.rules) ? flag.environment.rules : [];
  for (const rule of rules) {
    if (!isObject(rule) || !Array.isArray(rule.conditions)) continue;
    for (const c of rule.conditions) {
      if (isObject(c) && c.operator === 'in_segment' && Array.isArray(c.values)) {
        for (const v of c.values) if (typeof v === 'string') out.push(v);
      }
    }
  }
  return out;
}

// JSON of each flag and segment object, computed once per object: a patch leaves the unchanged
// ones as they were, so applying it costs the size of the patch, not of the rule set.
const json = new WeakMap<object, string>();
function jsonOf(value: object): string {
  let text = json.get(value);
  if (text === undefined) json.set(value, (text = JSON.stringify(value)));
  return text;
}

/**
 * A fingerprint per flag, covering the segments it uses, so that the change
 * event names exactly the flags whose answers may have changed.
 */
function fingerprints(ruleSet: RuleSet): Map<string, string> {
  const segments = new Map<string, string>();
  for (const s of keyed<Segment>(ruleSet.segments)) if (!segments.has(s.key)) segments.set(s.key, jsonOf(s));
  const out = new Map<string, string>();
  for (const flag of keyed<RuleSetFlag>(ruleSet.flags)) {
    if (out.has(flag.key)) continue;
    const used = segmentKeysOf(flag).map((k) => segments.get(k) ?? '');
    out.set(flag.key, used.length === 0 ? jsonOf(flag) : jsonOf(flag) + '\u0000' + used.join('\u0000'));
  }
  return out;
}

function diff(before: Map<string, string>, after: Map<string, string>): string[] {
  const changed: string[] = [];
  for (const [key, print] of after) if (before.get(key) !== print) changed.push(key);
  for (const key of before.keys()) if (!after.has(key)) changed.push(key);
  return changed;
}

/** Validates the envelope of a rule set received from outside (the server or a bootstrap file). */
export function parseRuleSet(value: unknown): RuleSet {
  if (!isObject(value) || !Array.isArray(value.flags)) throw new TypeError('a rule set must be an object with a "flags" array');
  if (value.segments !== undefined && !Array.isArray(value.segments)) throw new TypeError('"segments" must be an array');
  if (value.version !== undefined && typeof value.version !== 'string') throw new TypeError('"version" must be a string');
  return value as unknown as RuleSet;
}

/** Validates the envelope of a `patch` event. */
export function parsePatch(value: unknown): RuleSetPatch {
  if (!isObject(value) || typeof value.version !== 'string') throw new TypeError('a patch must be an object with a string "version"');
  for (const field of ['flags', 'deletedFlags', 'segments', 'deletedSegments']) {
    if (value[field] !== undefined && !Array.isArray(value[field])) throw new TypeError(`"${field}" must be an array`);
  }
  return value as unknown as RuleSetPatch;
}

/** Holds the rule set in force and its compiled evaluator. */
export class RuleSetState {
  private ruleSet: RuleSet | undefined;
  private prints = new Map<string, string>();
  /** Where each flag key sits in `ruleSet.flags`, for patches. */
  private positions = new Map<string, number>();
  private compiled: Evaluator | undefined;

  /** The evaluator of the rule set in force, `undefined` before the first one. */
  get evaluator(): Evaluator | undefined {
    return this.compiled;
  }

  /** The version of the rule set in force. */
  get version(): string | undefined {
    return this.ruleSet?.version;
  }

  /** Whether a rule set is in force. */
  get loaded(): boolean {
    return this.compiled !== undefined;
  }

  /** The rule set in force (do not change it). */
  get current(): RuleSet | undefined {
    return this.ruleSet;
  }

  /** Replaces the whole rule set. Throws (and changes nothing) when it cannot be compiled. */
  replace(value: unknown): AppliedChange {
    const next = parseRuleSet(value);
    return this.install({ version: next.version, flags: keyed<RuleSetFlag>(next.flags), segments: keyed<Segment>(next.segments) });
  }

  /** Applies a patch to the rule set in force. Throws (and changes nothing) without a base or when invalid. */
  patch(value: unknown): AppliedChange {
    const patch = parsePatch(value);
    const base = this.ruleSet;
    if (base === undefined) throw new Error('a patch arrived before any rule set');
    const changed = keyed<RuleSetFlag>(patch.flags);
    const deleted = (Array.isArray(patch.deletedFlags) ? patch.deletedFlags : []).filter((k): k is string => typeof k === 'string');
    const segmentsTouched = (patch.segments?.length ?? 0) > 0 || (patch.deletedSegments?.length ?? 0) > 0;
    if (segmentsTouched) {
      const flags = mergeByKey(base.flags, changed, deleted);
      const segments = mergeByKey(base.segments ?? [], keyed<Segment>(patch.segments), patch.deletedSegments);
      return this.install({ version: patch.version, flags, segments });
    }
    // Only flags changed: the work is the patch's size, not the rule set's (an SDK with hundreds of
    // flags applies a one-flag change in microseconds).
    const flags = replaceByKey(base.flags, this.positions, changed, deleted);
    const next: RuleSet = { version: patch.version, flags: flags.list, segments: base.segments ?? [] };
    const evaluator = compileRuleSet(next, this.compiled, { flags: changed, deletedFlags: deleted }); // throws before anything changed
    const changedKeys: string[] = [];
    let bySegments: Map<string, string> | undefined;
    for (const flag of changed) {
      const usedKeys = segmentKeysOf(flag);
      let print = jsonOf(flag);
      if (usedKeys.length > 0) {
        bySegments ??= new Map((next.segments ?? []).map((seg) => [seg.key, jsonOf(seg)]));
        print += '\u0000' + usedKeys.map((k) => bySegments!.get(k) ?? '').join('\u0000');
      }
      if (this.prints.get(flag.key) !== print) changedKeys.push(flag.key);
      this.prints.set(flag.key, print);
    }
    for (const key of deleted) if (this.prints.delete(key)) changedKeys.push(key);
    this.ruleSet = next;
    this.positions = flags.positions;
    this.compiled = evaluator;
    return { version: next.version, changedKeys };
  }

  private install(next: RuleSet): AppliedChange {
    // Against the evaluator in force: flags the update left untouched are not compiled again.
    const evaluator = compileRuleSet(next, this.compiled);
    const prints = fingerprints(next);
    const changedKeys = this.compiled === undefined ? [...prints.keys()] : diff(this.prints, prints);
    this.ruleSet = next;
    this.prints = prints;
    this.positions = positionsOf(next.flags);
    this.compiled = evaluator;
    return { version: next.version, changedKeys };
  }
}

function positionsOf(flags: readonly RuleSetFlag[]): Map<string, number> {
  const positions = new Map<string, number>();
  flags.forEach((f, i) => {
    if (!positions.has(f.key)) positions.set(f.key, i);
  });
  return positions;
}

/**
 * The flag list with changed flags replaced in place (new ones appended) and deleted ones removed:
 * a copy of the array, the rest of the work in proportion to the patch.
 */
function replaceByKey(
  list: readonly RuleSetFlag[],
  positions: Map<string, number>,
  changed: readonly RuleSetFlag[],
  deleted: readonly string[],
): { list: RuleSetFlag[]; positions: Map<string, number> } {
  if (deleted.some((k) => positions.has(k))) {
    const merged = mergeByKey(list, changed, deleted);
    return { list: merged, positions: positionsOf(merged) };
  }
  const out = list.slice();
  let added: Map<string, number> | undefined;
  for (const flag of changed) {
    const at = positions.get(flag.key) ?? added?.get(flag.key);
    if (at !== undefined) out[at] = flag;
    else {
      added ??= new Map(positions);
      added.set(flag.key, out.length);
      out.push(flag);
    }
  }
  // Maps of positions are never changed once made, so the old one serves while no flag was added.
  return { list: out, positions: added ?? positions };
}

function mergeByKey<T extends { key: string }>(base: readonly T[], changed: readonly T[], deleted: unknown): T[] {
  const byKey = new Map<string, T>();
  for (const item of base) if (!byKey.has(item.key)) byKey.set(item.key, item);
  for (const item of changed) byKey.set(item.key, item);
  if (Array.isArray(deleted)) for (const key of deleted) if (typeof key === 'string') byKey.delete(key);
  return [...byKey.values()];
}
