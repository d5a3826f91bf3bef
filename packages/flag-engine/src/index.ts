/**
 * @slipway/flag-engine — pure flag evaluation, shared by the Slipway server and
 * its SDKs. No I/O, no dependencies, no Node or DOM APIs.
 *
 * @example
 * import { compileRuleSet } from '@slipway/flag-engine';
 * const evaluator = compileRuleSet(ruleSet);
 * const { value, reason } = evaluator.evaluate('new-checkout', { targetingKey: 'user-1' }, false, 'boolean');
 */
export { compileRuleSet, MAX_PREREQUISITE_DEPTH } from './evaluator.js';
export type { Evaluator, RuleSetChanges } from './evaluator.js';
export { validateFlagConfig, validateSegment, variantType } from './validate.js';
export { bucketFor, murmur3, BUCKETS } from './murmur3.js';
export { compilePattern, MAX_MATCH_INPUT, MAX_PATTERN_LENGTH, MAX_PATTERN_PROGRAM, patternProblem } from './patterns.js';
export type { Pattern } from './patterns.js';
export { OPERATORS } from './types.js';
export type {
  Condition,
  ConditionValue,
  EnvConfig,
  ErrorCode,
  EvaluationContext,
  EvaluationResult,
  FlagDefinition,
  FlagKind,
  FlagMetadata,
  FlagValue,
  JsonStructure,
  JsonValue,
  Operator,
  Prerequisite,
  Reason,
  Rule,
  RuleSet,
  RuleSetFlag,
  Segment,
  Serve,
  SplitEntry,
  SplitServe,
  Target,
  ValidationProblem,
  Variant,
  VariantServe,
  VariantType,
} from './types.js';
