import type { EnvConfig, Serve, Target, Variant } from '@slipway/flag-engine';

// Human-readable one-liners for flag.changed events and the audit trail, e.g.
// "new-checkout in production: rollout 5% → 25%". Chat rooms read them, so they stay short.

const LIST_LIMIT = 3;

function listed(items: string[]): string {
  return items.length <= LIST_LIMIT ? items.join(', ') : `${items.slice(0, LIST_LIMIT).join(', ')} and ${items.length - LIST_LIMIT} more`;
}

/** "on" or "on 25% / off 75%". */
export function describeServe(serve: Serve): string {
  if ('variant' in serve) return serve.variant;
  return serve.split.map((e) => `${e.variant} ${e.weight}%`).join(' / ');
}

/** What a configuration serves, in a few words: "off (disabled)", "on 25% / off 75%, 2 rules, 1 target". */
export function describeConfig(config: EnvConfig): string {
  if (!config.enabled) return `${config.offVariant ?? 'the caller’s default'} (disabled)`;
  const parts = [describeServe(config.defaultServe)];
  const rules = config.rules?.length ?? 0;
  const targets = (config.targets ?? []).reduce((n, t) => n + t.values.length, 0);
  if (rules > 0) parts.push(`${rules} rule${rules === 1 ? '' : 's'}`);
  if (targets > 0) parts.push(`${targets} target${targets === 1 ? '' : 's'}`);
  if ((config.prerequisites?.length ?? 0) > 0) parts.push(`${config.prerequisites!.length} prerequisite(s)`);
  return parts.join(', ');
}

function targetMap(targets: readonly Target[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const t of targets ?? []) for (const v of t.values) if (!m.has(v)) m.set(v, t.variant);
  return m;
}

/** The part of a split that is "the feature": the entry that is not the off variant. */
function rolloutWeight(serve: Serve, offVariant: string | undefined): { variant: string; weight: number } | undefined {
  if (!('split' in serve) || serve.split.length > 2) return undefined;
  const entry = serve.split.find((e) => e.variant !== offVariant) ?? serve.split[0];
  return entry === undefined ? undefined : { variant: entry.variant, weight: entry.weight };
}

function describeDefault(before: EnvConfig, after: EnvConfig): string | undefined {
  if (JSON.stringify(before.defaultServe) === JSON.stringify(after.defaultServe)) return undefined;
  // Enabling a flag with a new default: what everyone got before was the off variant.
  const was: Serve = !before.enabled && after.enabled && before.offVariant !== undefined ? { variant: before.offVariant } : before.defaultServe;
  const now = after.defaultServe;
  if (JSON.stringify(was) === JSON.stringify(now)) return undefined;
  const off = after.offVariant ?? before.offVariant;
  const a = rolloutWeight(was, off);
  const b = rolloutWeight(now, off);
  if (a && b && a.variant === b.variant) return `rollout ${a.weight}% → ${b.weight}%`;
  if (b && 'variant' in was && was.variant === off) return `rollout 0% → ${b.weight}%`;
  if (a && 'variant' in now && now.variant === a.variant) return `rollout ${a.weight}% → 100%`;
  return `default ${describeServe(was)} → ${describeServe(now)}`;
}

function describeTargets(before: EnvConfig, after: EnvConfig): string | undefined {
  const a = targetMap(before.targets);
  const b = targetMap(after.targets);
  const added: string[] = [];
  const removed: string[] = [];
  for (const [key, variant] of b) if (a.get(key) !== variant) added.push(`${key} → ${variant}`);
  for (const key of a.keys()) if (!b.has(key)) removed.push(key);
  const parts: string[] = [];
  if (added.length > 0) parts.push(`targeted ${listed(added)}`);
  if (removed.length > 0) parts.push(`untargeted ${listed(removed)}`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function describeRules(before: EnvConfig, after: EnvConfig): string | undefined {
  const a = before.rules ?? [];
  const b = after.rules ?? [];
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (a.length !== b.length) return `rules ${a.length} → ${b.length}`;
  const changed = b.flatMap((r, i) => (JSON.stringify(r) === JSON.stringify(a[i]) ? [] : [`#${i + 1}`]));
  return `rule${changed.length === 1 ? '' : 's'} ${listed(changed)} changed`;
}

/** "new-checkout in production: enabled; rollout 5% → 25%". */
export function summarizeConfigChange(flag: string, environment: string, before: EnvConfig, after: EnvConfig): string {
  const parts: string[] = [];
  if (before.enabled !== after.enabled) parts.push(after.enabled ? 'enabled' : 'disabled');
  if (before.offVariant !== after.offVariant) parts.push(`off variant ${before.offVariant ?? 'none'} → ${after.offVariant ?? 'none'}`);
  const def = describeDefault(before, after);
  if (def) parts.push(def);
  const targets = describeTargets(before, after);
  if (targets) parts.push(targets);
  const rules = describeRules(before, after);
  if (rules) parts.push(rules);
  if (JSON.stringify(before.prerequisites ?? []) !== JSON.stringify(after.prerequisites ?? [])) {
    const list = (after.prerequisites ?? []).map((p) => `${p.flag}=${p.variant}`);
    parts.push(list.length > 0 ? `prerequisites ${listed(list)}` : 'prerequisites removed');
  }
  return `${flag} in ${environment}: ${parts.length > 0 ? parts.join('; ') : 'saved without changes'}`;
}

export function variantList(variants: readonly Variant[]): string {
  return variants.map((v) => v.key).join('/');
}
