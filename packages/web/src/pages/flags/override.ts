import type { FlagEnvConfig } from '../../api/types';

/**
 * A per-user override: the user's id becomes an individual target of `variant` (individual
 * targets win over every rule, so over company settings), and leaves any other variant's list.
 * `variant: null` removes the override.
 */
export function withUserOverride(config: FlagEnvConfig, userId: string, variant: string | null): FlagEnvConfig {
  const others = (config.targets ?? []).map((t) => ({ ...t, values: t.values.filter((v) => v !== userId) })).filter((t) => t.values.length > 0);
  if (variant === null) return { ...config, targets: others };
  const existing = others.find((t) => t.variant === variant);
  const targets = existing ? others.map((t) => (t === existing ? { ...t, values: [...t.values, userId] } : t)) : [...others, { variant, values: [userId] }];
  return { ...config, targets };
}

/** The variant a user is individually targeted with, or null. */
export function userOverride(config: FlagEnvConfig | undefined, userId: string): string | null {
  return config?.targets?.find((t) => t.values.includes(userId))?.variant ?? null;
}
