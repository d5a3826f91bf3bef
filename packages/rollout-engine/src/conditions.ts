import { Environment } from '@marcbachmann/cel-js';

/**
 * Analysis conditions are CEL expressions (Common Expression Language, as Kubernetes and Envoy use
 * it) over `result` and `baseline`, both numbers: `result > 0.01`, `result > baseline * 1.5`.
 * `@marcbachmann/cel-js` parses and interprets them itself: no `eval`, no `new Function`
 * (docs/decisions/0017-analysis-conditions.md). CEL keeps integers and doubles apart; conditions
 * are about measurements, so an integer literal next to a double (`result == 0`, `baseline * 2`)
 * is taken as the double it means.
 */
const env = new Environment({ limits: { maxAstNodes: 500, maxDepth: 32, maxListElements: 100, maxMapEntries: 100, maxCallArguments: 8 } })
  .registerVariable('result', 'double')
  .registerVariable('baseline', 'double');

const num = (v: unknown): number => Number(v);
const arithmetic: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
};
for (const [op, fn] of Object.entries(arithmetic)) {
  env.registerOperator(`double ${op} int`, (a: unknown, b: unknown) => fn(num(a), num(b)));
  env.registerOperator(`int ${op} double`, (a: unknown, b: unknown) => fn(num(a), num(b)));
}
// Equality is symmetric: registering one direction covers `0 == result` too.
env.registerOperator('double == int', (a: unknown, b: unknown) => num(a) === num(b));

/** Where an expression went wrong: 1-based column and the parser's sentence. */
export interface ConditionError {
  column: number;
  message: string;
}

export interface CompiledCondition {
  readonly source: string;
  /** True or false, or throws when the expression cannot be evaluated for these values. */
  (values: { result: number; baseline: number }): boolean;
}

const cache = new Map<string, CompiledCondition | ConditionError>();
const MAX_CACHED = 2000;
export const MAX_CONDITION_LENGTH = 1000;

function describe(error: unknown): ConditionError {
  const e = error as { summary?: unknown; message?: unknown; range?: { start?: number }; node?: { start?: number; pos?: number } };
  const start = e.range?.start ?? e.node?.start ?? e.node?.pos ?? 0;
  const text = typeof e.summary === 'string' ? e.summary : typeof e.message === 'string' ? e.message.split('\n')[0]! : 'not a valid expression';
  return { column: start + 1, message: text };
}

/**
 * Compiles a condition once (cached by its text); an expression that does not parse, refers to
 * anything but `result` and `baseline`, or is not a boolean comes back as an error with its column.
 */
export function compileCondition(source: string): CompiledCondition | ConditionError {
  const hit = cache.get(source);
  if (hit) return hit;
  let out: CompiledCondition | ConditionError;
  if (source.length > MAX_CONDITION_LENGTH) out = { column: MAX_CONDITION_LENGTH + 1, message: `longer than ${MAX_CONDITION_LENGTH} characters` };
  else if (source.trim() === '') out = { column: 1, message: 'is empty' };
  else {
    try {
      const parsed = env.parse(source);
      const checked = parsed.check();
      if (!checked.valid) out = describe(checked.error);
      else if (checked.type !== 'bool') out = { column: 1, message: `must be true or false, but gives a ${checked.type}` };
      else {
        const fn = ((values: { result: number; baseline: number }) => {
          const value: unknown = parsed(values);
          if (typeof value !== 'boolean') throw new Error(`gave ${String(value)}, not true or false`);
          return value;
        }) as CompiledCondition;
        Object.defineProperty(fn, 'source', { value: source });
        out = fn;
      }
    } catch (error) {
      out = describe(error);
    }
  }
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(source, out);
  return out;
}

export function isConditionError(value: CompiledCondition | ConditionError): value is ConditionError {
  return typeof value !== 'function';
}

/** The problem with a condition, as a sentence naming the column, or null when it compiles. */
export function conditionProblem(source: string): string | null {
  const compiled = compileCondition(source);
  return isConditionError(compiled) ? `does not parse at column ${compiled.column}: ${compiled.message}` : null;
}
