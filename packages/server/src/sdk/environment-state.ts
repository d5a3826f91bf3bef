import { compileRuleSet } from '@slipway/flag-engine';
import type { Evaluator, RuleSetFlag, Segment } from '@slipway/flag-engine';
import type { RuleSetChange } from '../flags/flag-change-store.js';

/** The rule set SDKs receive: the engine's RuleSet plus where it comes from. */
export interface DeliveredRuleSet {
  project: string;
  environment: string;
  version: string;
  flags: RuleSetFlag[];
  segments: Segment[];
}

/**
 * One environment's rule set held in memory, at a version. Its JSON, its compiled evaluator and
 * the OFREP bulk answers are derived once per version and shared by every request.
 */
export class EnvironmentState {
  private json: string | undefined;
  private compiled: Evaluator | undefined;
  /** The evaluator of the version before: flags a change left alone are reused, not compiled again. */
  private previous: Evaluator | undefined;

  constructor(
    readonly project: string,
    readonly environment: string,
    public version: number,
    private readonly flags: Map<string, RuleSetFlag>,
    private readonly segments: Map<string, Segment>,
  ) {}

  get versionString(): string {
    return String(this.version);
  }

  ruleSet(): DeliveredRuleSet {
    return {
      project: this.project,
      environment: this.environment,
      version: this.versionString,
      flags: [...this.flags.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
      segments: [...this.segments.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    };
  }

  /** The rule set as JSON, serialised once per version. */
  toJSON(): string {
    return (this.json ??= JSON.stringify(this.ruleSet()));
  }

  /** The compiled rule set, compiled once per version (never per request). */
  evaluator(): Evaluator {
    if (this.compiled === undefined) {
      this.compiled = compileRuleSet(this.ruleSet(), this.previous);
      this.previous = undefined;
    }
    return this.compiled;
  }

  /** Applies one logged change (patches are whole definitions, so applying one twice is harmless). */
  apply(change: RuleSetChange): void {
    const p = change.patch;
    for (const f of (p.flags ?? []) as RuleSetFlag[]) this.flags.set(f.key, f);
    for (const key of p.deletedFlags ?? []) this.flags.delete(key);
    for (const s of (p.segments ?? []) as Segment[]) this.segments.set(s.key, s);
    for (const key of p.deletedSegments ?? []) this.segments.delete(key);
    this.version = Math.max(this.version, change.version);
    this.json = undefined;
    this.previous = this.compiled ?? this.previous;
    this.compiled = undefined;
  }
}

/** The `data` of a `patch` event. */
export function patchJson(change: RuleSetChange): string {
  return JSON.stringify({ version: String(change.version), ...change.patch });
}
