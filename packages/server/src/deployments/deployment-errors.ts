import { DomainError } from '../shared/errors.js';

// The refusals of PRODUCT.md §3 rule 4: each a 422 whose message says what to do.
export class ReleaseUnknownError extends DomainError {
  readonly code = 'release_unknown';
}
export class NotInLifecycleError extends DomainError {
  readonly code = 'not_in_lifecycle';
}
export class PromotionOrderError extends DomainError {
  readonly code = 'promotion_order';
}
export class SignoffMissingError extends DomainError {
  readonly code = 'signoff_missing';
}
export class SignoffNoGoError extends DomainError {
  readonly code = 'signoff_no_go';
}
export class OutsideDeployWindowError extends DomainError {
  readonly code = 'outside_deploy_window';
}
export class FrozenError extends DomainError {
  readonly code = 'frozen';
}
export class TagMismatchError extends DomainError {
  readonly code = 'tag_mismatch';
}
/** 409: one deployment in flight per project and environment (rule 5). */
export class DeploymentInProgressError extends DomainError {
  readonly code = 'deployment_in_progress';
}
/** 422: nothing succeeded before in this environment to roll back to. */
export class NothingToRollBackError extends DomainError {
  readonly code = 'nothing_to_roll_back';
}
