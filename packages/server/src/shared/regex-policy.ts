/**
 * What the server accepts as a user-written regular expression (flag and segment `matches`
 * rules, project ticket patterns), checked when it is saved. Evaluation runs every pattern in
 * linear time anyway (RE2JS, in the flag engine and in ticket extraction); this refuses, with
 * a message naming the field, the patterns that would backtrack catastrophically in any
 * backtracking engine — a repetition inside a repetition such as `^(a+)+$`, or more than 25
 * repetitions — so that no such rule is stored for another tool or an older SDK to choke on
 * (docs/decisions/0023-linear-time-regular-expressions.md).
 */
import { patternProblem } from '@slipway/flag-engine';
import type { Condition, ValidationProblem } from '@slipway/flag-engine';
import safeRegex from 'safe-regex2';

const NESTED =
  'may backtrack catastrophically: it repeats a repetition (such as (a+)+ or (\\w+\\s?)*) or has more than 25 repetitions; write it without a repetition inside a repetition';

/**
 * Why a regular expression is refused, or undefined when it is accepted: not valid RE2 syntax,
 * too long, or catastrophic backtracking.
 *
 * @example
 * regexProblem('^(a+)+$'); // 'may backtrack catastrophically: …'
 * regexProblem('[A-Z][A-Z0-9]+-\\d+'); // undefined
 */
export function regexProblem(pattern: string): string | undefined {
  return patternProblem(pattern) ?? (safeRegex(pattern) ? undefined : `regular expression ${JSON.stringify(pattern)} ${NESTED}`);
}

/** The catastrophic `matches` patterns of a list of conditions, with their JSON paths under `base`. */
export function unsafeConditionPatterns(base: string, conditions: readonly Condition[] | undefined): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  (conditions ?? []).forEach((c, i) => {
    if (c?.operator !== 'matches' || !Array.isArray(c.values)) return;
    c.values.forEach((value, j) => {
      // Syntax problems are the engine validation's to report; only the backtracking ones here.
      if (typeof value === 'string' && patternProblem(value) === undefined && !safeRegex(value)) {
        problems.push({ path: `${base}[${i}].values[${j}]`, message: `regular expression ${JSON.stringify(value)} ${NESTED}` });
      }
    });
  });
  return problems;
}
