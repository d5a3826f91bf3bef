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
/** 409: the approver's groups already have every approval they need. */
export class ApprovalNotNeededError extends DomainError {
  readonly code = 'approval_not_needed';
}
/** 409: the rollback cannot pick a version by itself (the last rollback to it failed): name one. */
export class RollbackVersionNeededError extends DomainError {
  readonly code = 'rollback_version_needed';
}
/** 409: only the environment's latest deployment can be rolled back (issue 11 §9). */
export class NotLatestDeploymentError extends DomainError {
  readonly code = 'not_latest_deployment';
}
/** 422: an explicit rollback version that never succeeded in the environment. */
export class RollbackVersionUnknownError extends DomainError {
  readonly code = 'rollback_version_unknown';
}
/** 409: an environment with a deployment in flight cannot be deleted (issue 11 §9). */
export class EnvironmentBusyError extends DomainError {
  readonly code = 'environment_busy';
}
