import type { Flag, FlagEnvConfig } from '../../api/types';

/**
 * The environment's configuration as the editor holds it: the API answers it as free-form JSON
 * (`config`), so it is read defensively into the PUT body's shape. Empty lists are dropped before
 * saving so an untouched configuration produces no diff.
 */
export function readConfig(raw: unknown, variants: Flag['variants']): FlagEnvConfig {
  const c = (raw && typeof raw === 'object' ? raw : {}) as Partial<FlagEnvConfig>;
  return {
    enabled: c.enabled === true,
    ...(c.offVariant !== undefined && { offVariant: c.offVariant }),
    targets: c.targets ?? [],
    rules: c.rules ?? [],
    defaultServe: c.defaultServe ?? { variant: variants[0]?.key ?? '' },
    prerequisites: c.prerequisites ?? [],
  };
}

export function cleanConfig(config: FlagEnvConfig): FlagEnvConfig {
  const { targets, rules, prerequisites, ...rest } = config;
  return {
    ...rest,
    ...(targets && targets.length > 0 && { targets }),
    ...(rules && rules.length > 0 && { rules }),
    ...(prerequisites && prerequisites.length > 0 && { prerequisites }),
  };
}
