import type { Bump, ChangelogEntry } from './versioning.js';

/**
 * Per-project release rules (PRODUCT.md §3 rule 2): which commits make which release. Pure.
 * A rule matches an entry when every field it sets matches; the first matching rule decides that
 * entry's release; an entry no rule matches releases nothing. The release of a set of commits is
 * the highest release among its entries.
 */

export type RuleRelease = Bump | 'none';

export interface ReleaseRule {
  /** Conventional type (`feat`, `fix`, …; `other` for a non-conventional subject), compared case-insensitively. */
  type?: string;
  /** Scope, exactly, or a pattern with `*` wildcards (`api-*`). */
  scope?: string;
  /** Matches breaking changes (`!` or a `BREAKING CHANGE:` footer) when true, other changes when false. */
  breaking?: boolean;
  /** Matches reverts of commits outside the release (a revert inside it drops out with the commit it reverts). */
  revert?: boolean;
  release: RuleRelease;
}

/**
 * What teams using semantic-release expect: a breaking change → major, `feat` → minor, `fix` and `perf`
 * → patch, anything else → no release. A revert of a commit released earlier is "anything else" (say so
 * with `{ revert: true, release: 'patch' }` to release such reverts on their own).
 */
export const DEFAULT_RELEASE_RULES: readonly ReleaseRule[] = Object.freeze([
  { breaking: true, release: 'major' },
  { type: 'feat', release: 'minor' },
  { type: 'fix', release: 'patch' },
  { type: 'perf', release: 'patch' },
] satisfies ReleaseRule[]);

const RANK: Record<RuleRelease, number> = { none: -1, patch: 0, minor: 1, major: 2 };

/** The rule that decided a bump, as the API shows it: its position (0-based) and its fields. */
export interface MatchedRule extends ReleaseRule {
  index: number;
}

export interface BumpDecision {
  /** The release the commits require by the rules (after the 0.x shift), or null when none does. */
  required: Bump | null;
  /** The rule and the commit that decided `required` (the first commit with the highest release). */
  rule: MatchedRule | null;
  entry: ChangelogEntry | null;
  /** Entries per release they make, e.g. `{ minor: 2, patch: 5, none: 3 }`. */
  counts: Record<RuleRelease, number>;
}

function scopeMatches(pattern: string, scope: string | null): boolean {
  if (scope === null) return false;
  if (!pattern.includes('*')) return pattern === scope;
  const source = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${source}$`).test(scope);
}

export function ruleMatches(rule: ReleaseRule, entry: ChangelogEntry): boolean {
  if (rule.type !== undefined && rule.type.toLowerCase() !== entry.type) return false;
  if (rule.scope !== undefined && !scopeMatches(rule.scope, entry.scope)) return false;
  if (rule.breaking !== undefined && rule.breaking !== entry.breaking) return false;
  if (rule.revert !== undefined && rule.revert !== (entry.reverts !== undefined)) return false;
  return true;
}

/** The first rule matching the entry, with its index, or null. */
export function matchRule(entry: ChangelogEntry, rules: readonly ReleaseRule[]): MatchedRule | null {
  for (let index = 0; index < rules.length; index++) {
    const rule = rules[index]!;
    if (ruleMatches(rule, entry)) return { index, ...rule };
  }
  return null;
}

/** While the major version is 0, everything moves down one step: breaking → minor, feat → patch (0.x semantics). */
function shiftForZero(release: Bump, currentMajor: number): Bump {
  if (currentMajor !== 0) return release;
  return release === 'major' ? 'minor' : 'patch';
}

export function decideBump(entries: readonly ChangelogEntry[], rules: readonly ReleaseRule[], currentMajor: number): BumpDecision {
  const counts: Record<RuleRelease, number> = { major: 0, minor: 0, patch: 0, none: 0 };
  let best: { rule: MatchedRule; entry: ChangelogEntry; release: Bump } | null = null;
  for (const entry of entries) {
    const rule = matchRule(entry, rules);
    const release = rule?.release ?? 'none';
    counts[release] += 1;
    if (release === 'none') continue;
    if (best === null || RANK[release] > RANK[best.release]) best = { rule: rule!, entry, release };
  }
  return {
    required: best ? shiftForZero(best.release, currentMajor) : null,
    rule: best?.rule ?? null,
    entry: best?.entry ?? null,
    counts,
  };
}

/** A rule as people read it: `{ type: feat } → minor`. */
export function describeRule(rule: ReleaseRule): string {
  const fields = (['type', 'scope', 'breaking', 'revert'] as const).filter((f) => rule[f] !== undefined).map((f) => `${f}: ${String(rule[f])}`);
  return `${fields.length > 0 ? `{ ${fields.join(', ')} }` : 'every commit'} → ${rule.release}`;
}

/** Problems with a rule list beyond its shape (the HTTP schema checks the shape): rules that can never match. */
export function describeRuleProblems(rules: readonly ReleaseRule[]): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  const catchAll = rules.findIndex((r) => r.type === undefined && r.scope === undefined && r.breaking === undefined && r.revert === undefined);
  if (catchAll !== -1 && catchAll < rules.length - 1) {
    problems.push({
      field: `releaseRules/${catchAll + 1}`,
      message: `can never match: releaseRules/${catchAll} (${describeRule(rules[catchAll]!)}) matches every commit first; put the catch-all last`,
    });
  }
  return problems;
}

/** Commit types counted per release, for messages: `chore ×3, docs ×1`. */
export function summariseTypes(entries: readonly ChangelogEntry[]): string {
  const counts = new Map<string, number>();
  for (const entry of entries) counts.set(entry.type, (counts.get(entry.type) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${type} ×${n}`).join(', ');
}
