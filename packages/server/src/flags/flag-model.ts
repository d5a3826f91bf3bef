import type { Condition, EnvConfig, RuleSetFlag, Segment, Serve, Variant } from '@slipway/flag-engine';
import type { Flag } from './flag-store.js';
import type { SegmentRecord } from './segment-store.js';

/**
 * The configuration of a flag in an environment nobody has configured yet: disabled, serving
 * the variant whose value is `false` when there is one (else the first), and ready to serve the
 * `true` variant (else the first) once enabled. It is computed, not stored, so it follows the
 * flag's variants and covers environments created after the flag.
 */
export function implicitConfig(variants: readonly Variant[]): EnvConfig {
  const off = variants.find((v) => v.value === false) ?? variants[0];
  const on = variants.find((v) => v.value === true) ?? variants[0];
  return {
    enabled: false,
    ...(off !== undefined && { offVariant: off.key }),
    defaultServe: { variant: on?.key ?? '' },
  };
}

/** A flag as it appears in an environment's rule set (the SDK delivery contract). */
export function ruleSetFlag(flag: Flag, config: EnvConfig | undefined): RuleSetFlag {
  return { key: flag.key, type: flag.type, variants: flag.variants, environment: config ?? implicitConfig(flag.variants) };
}

export function ruleSetSegment(segment: SegmentRecord): Segment {
  return { key: segment.key, conditions: segment.conditions };
}

/** Keeps only the fields of the contract, in a stable order (bodies may carry `undefined`s). */
export function normalizeConfig(config: EnvConfig): EnvConfig {
  const serve = (s: Serve): Serve =>
    'split' in s && s.split !== undefined
      ? { split: s.split.map((e) => ({ variant: e.variant, weight: e.weight })), ...(s.stickiness !== undefined && { stickiness: s.stickiness }) }
      : { variant: (s as { variant: string }).variant };
  const condition = (c: Condition): Condition => ({
    attribute: c.attribute ?? '',
    operator: c.operator,
    ...(c.values !== undefined && { values: [...c.values] }),
  });
  return {
    enabled: config.enabled,
    ...(config.offVariant !== undefined && { offVariant: config.offVariant }),
    ...(config.targets !== undefined && { targets: config.targets.map((t) => ({ variant: t.variant, values: [...t.values] })) }),
    ...(config.rules !== undefined && {
      rules: config.rules.map((r) => ({ ...(r.id !== undefined && { id: r.id }), conditions: r.conditions.map(condition), serve: serve(r.serve) })),
    }),
    defaultServe: serve(config.defaultServe),
    ...(config.prerequisites !== undefined && { prerequisites: config.prerequisites.map((p) => ({ flag: p.flag, variant: p.variant })) }),
  };
}

/** The variants a configuration can serve at all, or undefined when it depends on prerequisites. */
function reachableVariants(config: EnvConfig): Set<string> | undefined {
  if (!config.enabled) return new Set(config.offVariant === undefined ? [] : [config.offVariant]);
  if ((config.prerequisites ?? []).length > 0) return undefined;
  const out = new Set<string>();
  const add = (s: Serve) => {
    if ('variant' in s) out.add(s.variant);
    else for (const e of s.split) if (e.weight > 0) out.add(e.variant);
  };
  for (const t of config.targets ?? []) if (t.values.length > 0) out.add(t.variant);
  for (const r of config.rules ?? []) add(r.serve);
  add(config.defaultServe);
  return out;
}

/** The one variant this configuration serves to everyone, or null when it can serve more than one. */
export function constantVariant(config: EnvConfig): string | null {
  const reachable = reachableVariants(config);
  return reachable !== undefined && reachable.size === 1 ? [...reachable][0]! : null;
}

/** Which segments a configuration refers to. */
export function segmentsUsed(config: EnvConfig): string[] {
  const keys = new Set<string>();
  for (const r of config.rules ?? []) {
    for (const c of r.conditions) if (c.operator === 'in_segment') for (const v of c.values ?? []) keys.add(String(v));
  }
  return [...keys];
}
