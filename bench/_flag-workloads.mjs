// The two flag workloads of `npm run bench -- flags`, each configured in every library (Slipway's
// rule set, flagd JSON logic, Unleash strategies, GrowthBook rules), with the people they are
// evaluated for and the answer every library must give to anyone a rule decides.

export const COMPANIES = ['acme', 'globex', 'initech', 'hooli', 'umbrella', 'soylent', 'wayne', 'stark', 'tyrell', 'wonka', 'cyberdyne', 'aperture'];
const PLANS = ['free', 'pro', 'team', 'enterprise'];
const COUNTRIES = ['US', 'DE', 'FR', 'JP', 'BR'];
const DOMAINS = ['example.com', 'corp.test', 'mail.test', 'shop.test', 'dev.test', 'beta.test'];

/** The same people for every library and both workloads. */
export function people(count) {
  return Array.from({ length: count }, (_, i) => ({
    user: `user-${i}`,
    company: COMPANIES[(i * 7) % COMPANIES.length],
    plan: PLANS[(i * 3) % PLANS.length],
    country: COUNTRIES[(i * 11) % COUNTRIES.length],
    age: 18 + ((i * 13) % 63),
    email: `user-${i}@${DOMAINS[(i * 5) % DOMAINS.length]}`,
  }));
}

// ---------------------------------------------------------------------------------------------
// Workload 1: one flag, "on for company in [acme, globex], else a 25 % rollout by user".

export const ONE_RULE = {
  title: 'one flag: on for company in [acme, globex], else 25 % rollout by user',
  flags: [{ key: 'new-checkout', companies: ['acme', 'globex'] }],
};

// ---------------------------------------------------------------------------------------------
// Workload 2: 200 flags × 5 rules, then a 25 % rollout. Rule k of flag i, first match wins:
//   1. plan in [2 plans] and country in [2 countries] → on
//   2. company in [3 companies]                         → on
//   3. age >= 60 + i % 15                               → off
//   4. email ends with "@<domain>"                      → on
//   5. company == <one company>                         → on
//   else 25 % of users (by targetingKey)                → on

function rotate(list, start, n) {
  return Array.from({ length: n }, (_, k) => list[(start + k) % list.length]);
}

export function fiveRuleFlags(count) {
  return Array.from({ length: count }, (_, i) => ({
    key: `flag-${i}`,
    plans: rotate(PLANS, i, 2),
    countries: rotate(COUNTRIES, i * 2, 2),
    companies: rotate(COMPANIES, i * 5, 3),
    minAge: 60 + (i % 15),
    domain: DOMAINS[i % DOMAINS.length],
    company: COMPANIES[(i * 7 + 3) % COMPANIES.length],
  }));
}

/** What the rules of a five-rule flag say for a person: true, false, or undefined (the rollout decides). */
export function fiveRuleExpected(f, p) {
  if (f.plans.includes(p.plan) && f.countries.includes(p.country)) return true;
  if (f.companies.includes(p.company)) return true;
  if (p.age >= f.minAge) return false;
  if (p.email.endsWith(`@${f.domain}`)) return true;
  if (p.company === f.company) return true;
  return undefined;
}

export function oneRuleExpected(f, p) {
  return f.companies.includes(p.company) ? true : undefined;
}

const VARIANTS = [
  { key: 'on', value: true },
  { key: 'off', value: false },
];
const ROLLOUT = { split: [{ variant: 'on', weight: 25 }, { variant: 'off', weight: 75 }], stickiness: 'targetingKey' };

// --- Slipway rule sets -------------------------------------------------------------------------

export function slipwayOneRule(f) {
  return {
    key: f.key,
    variants: VARIANTS,
    environment: {
      enabled: true,
      offVariant: 'off',
      rules: [{ conditions: [{ attribute: 'company', operator: 'in', values: f.companies }], serve: { variant: 'on' } }],
      defaultServe: ROLLOUT,
    },
  };
}

export function slipwayFiveRule(f) {
  return {
    key: f.key,
    variants: VARIANTS,
    environment: {
      enabled: true,
      offVariant: 'off',
      rules: [
        {
          conditions: [
            { attribute: 'plan', operator: 'in', values: f.plans },
            { attribute: 'country', operator: 'in', values: f.countries },
          ],
          serve: { variant: 'on' },
        },
        { conditions: [{ attribute: 'company', operator: 'in', values: f.companies }], serve: { variant: 'on' } },
        { conditions: [{ attribute: 'age', operator: 'gte', values: [f.minAge] }], serve: { variant: 'off' } },
        { conditions: [{ attribute: 'email', operator: 'ends_with', values: [`@${f.domain}`] }], serve: { variant: 'on' } },
        { conditions: [{ attribute: 'company', operator: 'eq', values: [f.company] }], serve: { variant: 'on' } },
      ],
      defaultServe: ROLLOUT,
    },
  };
}

// --- flagd (JSON logic) --------------------------------------------------------------------------
// At its fastest: compiled JSON logic (the default), and `fractional` bucketing on
// {"var": "targetingKey"} rather than the default "$flagd.flagKey + targetingKey", which would
// build a string per evaluation.

const FRACTIONAL = { fractional: [{ var: 'targetingKey' }, ['on', 25], ['off', 75]] };

export function flagdOneRule(f) {
  return {
    state: 'ENABLED',
    variants: { on: true, off: false },
    defaultVariant: 'off',
    targeting: { if: [{ in: [{ var: 'company' }, f.companies] }, 'on', FRACTIONAL] },
  };
}

export function flagdFiveRule(f) {
  return {
    state: 'ENABLED',
    variants: { on: true, off: false },
    defaultVariant: 'off',
    targeting: {
      if: [
        { and: [{ in: [{ var: 'plan' }, f.plans] }, { in: [{ var: 'country' }, f.countries] }] },
        'on',
        { in: [{ var: 'company' }, f.companies] },
        'on',
        { '>=': [{ var: 'age' }, f.minAge] },
        'off',
        { ends_with: [{ var: 'email' }, `@${f.domain}`] },
        'on',
        { '==': [{ var: 'company' }, f.company] },
        'on',
        FRACTIONAL,
      ],
    },
  };
}

// --- Unleash (strategies in order; the first enabled one turns the flag on) ---------------------
// A rule serving "off" is written as the inverted constraint on every later strategy.

function rollout(percent, constraints = []) {
  return { name: 'flexibleRollout', parameters: { rollout: String(percent), stickiness: 'userId', groupId: 'rollout' }, constraints };
}

export function unleashOneRule(f) {
  return {
    name: f.key,
    enabled: true,
    strategies: [rollout(100, [{ contextName: 'company', operator: 'IN', values: f.companies }]), rollout(25)],
  };
}

export function unleashFiveRule(f) {
  const notOld = { contextName: 'age', operator: 'NUM_GTE', value: String(f.minAge), inverted: true };
  return {
    name: f.key,
    enabled: true,
    strategies: [
      rollout(100, [
        { contextName: 'plan', operator: 'IN', values: f.plans },
        { contextName: 'country', operator: 'IN', values: f.countries },
      ]),
      rollout(100, [{ contextName: 'company', operator: 'IN', values: f.companies }]),
      rollout(100, [notOld, { contextName: 'email', operator: 'STR_ENDS_WITH', values: [`@${f.domain}`] }]),
      rollout(100, [notOld, { contextName: 'company', operator: 'IN', values: [f.company] }]),
      rollout(25, [notOld]),
    ],
  };
}

// --- GrowthBook (force rules in order; a rollout rule with coverage 0.25) ------------------------

function escapeRegex(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function growthbookOneRule(f) {
  return {
    defaultValue: false,
    rules: [{ condition: { company: { $in: f.companies } }, force: true }, { force: true, coverage: 0.25, hashAttribute: 'id' }],
  };
}

export function growthbookFiveRule(f) {
  return {
    defaultValue: false,
    rules: [
      { condition: { plan: { $in: f.plans }, country: { $in: f.countries } }, force: true },
      { condition: { company: { $in: f.companies } }, force: true },
      { condition: { age: { $gte: f.minAge } }, force: false },
      { condition: { email: { $regex: `@${escapeRegex(f.domain)}$` } }, force: true },
      { condition: { company: f.company }, force: true },
      { force: true, coverage: 0.25, hashAttribute: 'id' },
    ],
  };
}
