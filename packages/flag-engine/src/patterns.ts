/**
 * Regular expressions of `matches` conditions, run by RE2JS: a linear-time engine (no
 * backtracking), so no pattern — whoever wrote it — can make an evaluation take longer than a
 * pass over the input, and the input is at most MAX_MATCH_INPUT characters. The syntax is
 * RE2's: what JavaScript accepts minus backreferences and lookaround
 * (docs/decisions/0023-linear-time-regular-expressions.md).
 */
import { RE2JS } from 're2js';

/** Longest accepted `matches` pattern. */
export const MAX_PATTERN_LENGTH = 256;
/** `matches` tests at most this many leading characters of the attribute. */
export const MAX_MATCH_INPUT = 1024;
/**
 * Largest accepted RE2 program, in instructions. Linear time is time proportional to the input
 * times the program: long counted repetitions ([a-z]{0,1000}[a-z]{0,1000}, ~4,000 instructions)
 * outgrow RE2JS's DFA cache and fall back to its NFA at ~0.1 s per 1,024 characters.
 */
export const MAX_PATTERN_PROGRAM = 500;

/** A compiled pattern: `test` is true when it matches anywhere in the text. */
export interface Pattern {
  test(text: string): boolean;
}

function parse(pattern: string): Pattern | string {
  try {
    const compiled = RE2JS.compile(pattern);
    const size = compiled.programSize();
    if (size > MAX_PATTERN_PROGRAM) {
      return `too complex: it compiles to ${size} instructions, the limit is ${MAX_PATTERN_PROGRAM} (shorten counted repetitions such as {0,1000})`;
    }
    return compiled;
  } catch (e) {
    const message = e instanceof Error ? e.message.replace(/^error parsing regexp: /, '') : String(e);
    return message;
  }
}

/**
 * Why a pattern is refused (too long, or not valid RE2 syntax), or undefined when it is fine.
 *
 * @example
 * patternProblem('^user-\\d+$'); // undefined
 * patternProblem('(a)\\1');      // 'does not compile (RE2 syntax: no backreferences or lookaround): invalid escape sequence: `\\1`'
 */
export function patternProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string') return 'a regular expression must be a string';
  if (pattern.length > MAX_PATTERN_LENGTH) return `regular expression is ${pattern.length} characters long; the limit is ${MAX_PATTERN_LENGTH}`;
  const parsed = parse(pattern);
  if (typeof parsed !== 'string') return undefined;
  return parsed.startsWith('too complex')
    ? `regular expression is ${parsed}`
    : `regular expression does not compile (RE2 syntax: no backreferences or lookaround): ${parsed}`;
}

/** Compiles a `matches` pattern, or returns undefined when it is too long or invalid. */
export function compilePattern(pattern: unknown): Pattern | undefined {
  if (typeof pattern !== 'string' || pattern.length > MAX_PATTERN_LENGTH) return undefined;
  const parsed = parse(pattern);
  return typeof parsed === 'string' ? undefined : parsed;
}
