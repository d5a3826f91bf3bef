/**
 * The public data model of Slipway flags. These JSON shapes are a contract: the
 * server API stores and serves them verbatim, and the SDKs receive them in the
 * rule set. Add optional fields freely; never rename or repurpose one.
 */

/** A JSON value, as stored in a variant of type `object`. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object or array: the value of a variant of type `object`. */
export type JsonStructure = JsonValue[] | { [key: string]: JsonValue };

/** The value a flag variant carries. All variants of one flag share one {@link VariantType}. */
export type FlagValue = boolean | string | number | JsonStructure;

/** The type of a variant value; arrays and objects are both `object`. */
export type VariantType = 'boolean' | 'string' | 'number' | 'object';

/** What a flag is for (informational; evaluation does not depend on it). */
export type FlagKind = 'release' | 'experiment' | 'kill-switch' | 'operational' | 'permission';

/** One named value of a flag, e.g. `{ "key": "on", "value": true }`. */
export interface Variant {
  key: string;
  value: FlagValue;
}

/** A flag definition, shared by all environments. */
export interface FlagDefinition {
  key: string;
  type?: FlagKind;
  variants: Variant[];
}

/** Every operator a condition may use. */
export const OPERATORS = [
  'in',
  'not_in',
  'eq',
  'neq',
  'contains',
  'starts_with',
  'ends_with',
  'matches',
  'lt',
  'lte',
  'gt',
  'gte',
  'semver_eq',
  'semver_lt',
  'semver_gt',
  'semver_range',
  'in_segment',
  'exists',
] as const;

/** A condition operator; see {@link OPERATORS}. */
export type Operator = (typeof OPERATORS)[number];

/** A primitive value listed in a condition. */
export type ConditionValue = string | number | boolean;

/**
 * A test on one context attribute, e.g.
 * `{ "attribute": "company", "operator": "in", "values": ["acme", "globex"] }`.
 * `values` may be omitted for `exists`; for `in_segment` it lists segment keys and
 * `attribute` is ignored.
 */
export interface Condition {
  attribute: string;
  operator: Operator;
  values?: ConditionValue[];
}

/** A reusable, named set of conditions; a context is in the segment when all of them match. */
export interface Segment {
  key: string;
  conditions: Condition[];
}

/** One slice of a percentage split; `weight` is a percentage with at most two decimals. */
export interface SplitEntry {
  variant: string;
  weight: number;
}

/** Serve one fixed variant. */
export interface VariantServe {
  variant: string;
}

/**
 * Serve a variant picked by bucketing the context's `stickiness` attribute
 * (default `targetingKey`). Weights must add up to exactly 100.
 */
export interface SplitServe {
  split: SplitEntry[];
  stickiness?: string;
}

/** What a rule or the default serves: a fixed variant or a percentage split. */
export type Serve = VariantServe | SplitServe;

/** Individual targeting: contexts whose `targetingKey` is listed get `variant`. */
export interface Target {
  variant: string;
  values: string[];
}

/** An ordered targeting rule; all conditions must match (an empty list matches everyone). */
export interface Rule {
  id?: string;
  conditions: Condition[];
  serve: Serve;
}

/** The flag `flag` must evaluate, for the same context, to `variant`. */
export interface Prerequisite {
  flag: string;
  variant: string;
}

/** The configuration of one flag in one environment. */
export interface EnvConfig {
  enabled: boolean;
  offVariant?: string;
  targets?: Target[];
  rules?: Rule[];
  defaultServe: Serve;
  prerequisites?: Prerequisite[];
}

/** A flag as it appears in a rule set: its definition plus one environment's configuration. */
export interface RuleSetFlag extends FlagDefinition {
  environment: EnvConfig;
}

/** What the server sends server-side SDKs, and what {@link compileRuleSet} compiles. */
export interface RuleSet {
  version?: string;
  flags: RuleSetFlag[];
  segments?: Segment[];
}

/**
 * The attributes of whoever a flag is evaluated for. Flat keys only;
 * `targetingKey` is the attribute used by individual targets and, by default, by splits.
 */
export type EvaluationContext = Readonly<Record<string, unknown>>;

/** OpenFeature resolution reasons used by the engine. */
export type Reason = 'STATIC' | 'DEFAULT' | 'TARGETING_MATCH' | 'SPLIT' | 'DISABLED' | 'ERROR';

/** OpenFeature error codes used by the engine. */
export type ErrorCode =
  | 'FLAG_NOT_FOUND'
  | 'TYPE_MISMATCH'
  | 'TARGETING_KEY_MISSING'
  | 'INVALID_CONTEXT'
  | 'PARSE_ERROR'
  | 'GENERAL';

/** Metadata attached to a result, e.g. `ruleId` or `prerequisiteFailed`. */
export type FlagMetadata = Readonly<Record<string, string | number | boolean>>;

/**
 * The outcome of one evaluation. `value` is the caller's default (possibly
 * `undefined`) whenever `errorCode` is set, and `variant` is then absent.
 * Results may be shared between calls and are frozen: copy before changing one.
 */
export interface EvaluationResult {
  readonly value: FlagValue | undefined;
  readonly variant?: string;
  readonly reason: Reason;
  readonly errorCode?: ErrorCode;
  readonly errorMessage?: string;
  readonly flagMetadata?: FlagMetadata;
}

/** One problem found by validation: a JSON path and a sentence saying what is wrong. */
export interface ValidationProblem {
  path: string;
  message: string;
}
