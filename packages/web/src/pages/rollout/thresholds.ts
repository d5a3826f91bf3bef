/**
 * Reads the thresholds a chart can draw out of an analysis condition (CEL over `result` and
 * `baseline`, docs/rollouts.md). Only the shapes a threshold can be drawn from are understood:
 * `result > 0.01`, `0.5 <= result`, `result > baseline * 1.5`, `result >= baseline + 20`,
 * `result - baseline >= 0.001`, `result > baseline`, and those joined by `&&` / `||`. Anything
 * else gives no line (the condition is still shown as text): the server judges, the page only draws.
 */
export type Comparison = '>' | '>=' | '<' | '<=';

export type Threshold =
  /** The line is at `value`. */
  | { kind: 'constant'; op: Comparison; value: number; source: string }
  /** The line follows the baseline: `baseline * factor + offset`. */
  | { kind: 'baseline'; op: Comparison; factor: number; offset: number; source: string };

const NUMBER = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`;
const OP = String.raw`>=|<=|>|<`;
const FLIP: Record<Comparison, Comparison> = { '>': '<', '>=': '<=', '<': '>', '<=': '>=' };

/** `baseline`, `baseline * 1.5`, `1.5 * baseline`, `baseline + 20`, `baseline * 1.1 + 5`, `baseline - 3`. */
function baselineExpression(text: string): { factor: number; offset: number } | null {
  const t = text.replace(/\s+/g, '');
  let m = new RegExp(`^baseline(?:\\*(${NUMBER}))?(?:([-+])(${NUMBER}))?$`).exec(t);
  if (m) return { factor: m[1] !== undefined ? Number(m[1]) : 1, offset: m[3] !== undefined ? Number(m[3]) * (m[2] === '-' ? -1 : 1) : 0 };
  m = new RegExp(`^(${NUMBER})\\*baseline(?:([-+])(${NUMBER}))?$`).exec(t);
  if (m) return { factor: Number(m[1]), offset: m[3] !== undefined ? Number(m[3]) * (m[2] === '-' ? -1 : 1) : 0 };
  return null;
}

function single(part: string): Threshold | null {
  const source = part.trim().replace(/^\((.*)\)$/, '$1').trim();
  const m = new RegExp(`^(.+?)\\s*(${OP})\\s*(.+)$`).exec(source);
  if (!m) return null;
  const left = m[1]!.trim();
  const op = m[2] as Comparison;
  const right = m[3]!.trim();
  const isNumber = (s: string) => new RegExp(`^${NUMBER}$`).test(s);
  if (left === 'result' && isNumber(right)) return { kind: 'constant', op, value: Number(right), source };
  if (right === 'result' && isNumber(left)) return { kind: 'constant', op: FLIP[op], value: Number(left), source };
  if (left === 'result') {
    const b = baselineExpression(right);
    if (b) return { kind: 'baseline', op, ...b, source };
  }
  if (right === 'result') {
    const b = baselineExpression(left);
    if (b) return { kind: 'baseline', op: FLIP[op], ...b, source };
  }
  // result - baseline >= 0.001  →  result >= baseline + 0.001
  const diff = /^result\s*-\s*baseline$/.exec(left);
  if (diff && isNumber(right)) return { kind: 'baseline', op, factor: 1, offset: Number(right), source };
  return null;
}

/** Every drawable threshold of a condition (none when the condition is absent or not a simple comparison). */
export function thresholdsOf(condition: string | null | undefined): Threshold[] {
  if (!condition) return [];
  return condition
    .split(/&&|\|\|/)
    .map(single)
    .filter((t): t is Threshold => t !== null);
}

/** Where a threshold's line is for one measurement (null when it follows a baseline that is unknown). */
export function thresholdAt(t: Threshold, baseline: number | null): number | null {
  if (t.kind === 'constant') return t.value;
  if (baseline === null) return null;
  return baseline * t.factor + t.offset;
}
