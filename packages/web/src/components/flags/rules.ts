import type { FlagEnvConfig } from '../../api/types';

export type Rule = NonNullable<FlagEnvConfig['rules']>[number];
export type Condition = Rule['conditions'][number];
export type Serve = FlagEnvConfig['defaultServe'];
export type ConditionValue = string | number | boolean;

/** The operators of the flag engine, with the words the rule builder shows. */
export const OPERATORS: Array<{ value: string; label: string; values: 'many' | 'one' | 'none' | 'segments'; kind: 'text' | 'number' | 'semver' | 'any' }> = [
  { value: 'in', label: 'is one of', values: 'many', kind: 'any' },
  { value: 'not_in', label: 'is not one of', values: 'many', kind: 'any' },
  { value: 'eq', label: 'equals', values: 'one', kind: 'any' },
  { value: 'neq', label: 'does not equal', values: 'one', kind: 'any' },
  { value: 'contains', label: 'contains', values: 'many', kind: 'text' },
  { value: 'starts_with', label: 'starts with', values: 'many', kind: 'text' },
  { value: 'ends_with', label: 'ends with', values: 'many', kind: 'text' },
  { value: 'matches', label: 'matches regex', values: 'one', kind: 'text' },
  { value: 'lt', label: '<', values: 'one', kind: 'number' },
  { value: 'lte', label: '≤', values: 'one', kind: 'number' },
  { value: 'gt', label: '>', values: 'one', kind: 'number' },
  { value: 'gte', label: '≥', values: 'one', kind: 'number' },
  { value: 'semver_eq', label: 'version =', values: 'one', kind: 'semver' },
  { value: 'semver_lt', label: 'version <', values: 'one', kind: 'semver' },
  { value: 'semver_gt', label: 'version >', values: 'one', kind: 'semver' },
  { value: 'semver_range', label: 'version in range', values: 'one', kind: 'semver' },
  { value: 'in_segment', label: 'is in segment', values: 'segments', kind: 'any' },
  { value: 'exists', label: 'is set', values: 'none', kind: 'any' },
];

export function operatorInfo(operator: string) {
  return OPERATORS.find((o) => o.value === operator) ?? OPERATORS[0]!;
}

/**
 * Turns what was typed into condition values: numbers for the numeric operators, `true`/`false`
 * and numbers kept as typed strings otherwise (attributes are compared by type, and "42" is the
 * company id the user typed, not a number), nothing for `exists`.
 */
export function parseValues(operator: string, typed: readonly string[]): ConditionValue[] | undefined {
  const info = operatorInfo(operator);
  if (info.values === 'none') return undefined;
  const trimmed = typed.map((t) => t.trim()).filter((t) => t.length > 0);
  const values: ConditionValue[] = info.kind === 'number' ? trimmed.map((t) => (Number.isFinite(Number(t)) ? Number(t) : t)) : trimmed.map((t) => (t === 'true' ? true : t === 'false' ? false : t));
  return info.values === 'one' ? values.slice(0, 1) : values;
}

/** Condition values back to the strings the inputs show. */
export function showValues(values: readonly ConditionValue[] | undefined): string[] {
  return (values ?? []).map((v) => String(v));
}

export function newCondition(): Condition {
  return { attribute: '', operator: 'in', values: [] };
}

export function newRule(defaultVariant: string): Rule {
  return { conditions: [newCondition()], serve: { variant: defaultVariant } };
}

/** Moves rule `from` to `to` (rules are evaluated in order: the first match wins). */
export function moveRule(rules: readonly Rule[], from: number, to: number): Rule[] {
  if (to < 0 || to >= rules.length || from === to) return [...rules];
  const next = [...rules];
  const [moved] = next.splice(from, 1);
  next.splice(to, 0, moved!);
  return next;
}

export function replaceAt<T>(list: readonly T[], index: number, value: T): T[] {
  return list.map((item, i) => (i === index ? value : item));
}

export function removeAt<T>(list: readonly T[], index: number): T[] {
  return list.filter((_, i) => i !== index);
}

/** Changing the operator keeps the values that still fit it. */
export function changeOperator(condition: Condition, operator: string): Condition {
  const info = operatorInfo(operator);
  const next: Condition = { attribute: info.values === 'segments' ? '' : condition.attribute, operator };
  const values = info.values === 'none' ? undefined : parseValues(operator, showValues(condition.values as ConditionValue[] | undefined));
  if (values !== undefined) next.values = operatorInfo(condition.operator).values === 'segments' && info.values !== 'segments' ? [] : values;
  return next;
}

/** A one-line reading of a rule ("company is one of acme, globex AND plan = pro → on"). */
export function describeRule(rule: Rule): string {
  const conditions = rule.conditions.length === 0 ? 'everyone' : rule.conditions.map(describeCondition).join(' AND ');
  return `${conditions} → ${describeServe(rule.serve)}`;
}

export function describeCondition(c: Condition): string {
  const info = operatorInfo(c.operator);
  const values = showValues(c.values as ConditionValue[] | undefined).join(', ');
  if (info.values === 'segments') return `in segment ${values}`;
  if (info.values === 'none') return `${c.attribute} is set`;
  return `${c.attribute} ${info.label} ${values}`;
}

export function describeServe(serve: Serve): string {
  if (serve.split) return serve.split.map((e) => `${e.variant} ${e.weight}%`).join(' / ');
  return serve.variant ?? '?';
}
