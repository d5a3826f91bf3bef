import type { RuleSet, RuleSetFlag } from '@slipway/flag-engine';

/** "On for company in [acme, globex], else 25 % rollout by user", with an individual target. */
export function newCheckout(overrides: Partial<RuleSetFlag['environment']> = {}): RuleSetFlag {
  return {
    key: 'new-checkout',
    type: 'release',
    variants: [
      { key: 'on', value: true },
      { key: 'off', value: false },
    ],
    environment: {
      enabled: true,
      offVariant: 'off',
      targets: [{ variant: 'on', values: ['user-vip'] }],
      rules: [{ conditions: [{ attribute: 'company', operator: 'in', values: ['acme', 'globex'] }], serve: { variant: 'on' } }],
      defaultServe: { split: [{ variant: 'on', weight: 25 }, { variant: 'off', weight: 75 }], stickiness: 'targetingKey' },
      ...overrides,
    },
  };
}

/** A string flag picking an infrastructure flavor per company, with one user overridden. */
export function flavor(): RuleSetFlag {
  return {
    key: 'flavor',
    type: 'operational',
    variants: [
      { key: 'standard', value: 'standard' },
      { key: 'dedicated', value: 'dedicated' },
      { key: 'eu', value: 'eu-sovereign' },
    ],
    environment: {
      enabled: true,
      offVariant: 'standard',
      targets: [{ variant: 'dedicated', values: ['superadmin-1'] }],
      rules: [
        { conditions: [{ attribute: 'company', operator: 'in', values: ['acme'] }], serve: { variant: 'dedicated' } },
        { conditions: [{ attribute: 'company', operator: 'in_segment', values: ['eu-companies'] }], serve: { variant: 'eu' } },
      ],
      defaultServe: { variant: 'standard' },
    },
  };
}

export function limits(): RuleSetFlag {
  return {
    key: 'limits',
    variants: [{ key: 'default', value: { uploadMb: 10, regions: ['eu'] } }],
    environment: { enabled: true, defaultServe: { variant: 'default' } },
  };
}

export function retries(): RuleSetFlag {
  return {
    key: 'retries',
    variants: [
      { key: 'few', value: 2 },
      { key: 'many', value: 5 },
    ],
    environment: { enabled: true, defaultServe: { variant: 'few' } },
  };
}

export function sampleRuleSet(version = 'bootstrap-1'): RuleSet {
  return {
    version,
    flags: [newCheckout(), flavor(), limits(), retries()],
    segments: [{ key: 'eu-companies', conditions: [{ attribute: 'company', operator: 'in', values: ['initech', 'umbrella'] }] }],
  };
}

/** A logger that keeps what it was told, for assertions and quiet test output. */
export function memoryLogger() {
  const lines: string[] = [];
  return {
    lines,
    error: (m: string) => void lines.push(`error ${m}`),
    warn: (m: string) => void lines.push(`warn ${m}`),
  };
}
