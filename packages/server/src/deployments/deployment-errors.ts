import { DomainError } from '../shared/errors.js';

// The guard refusals of PRODUCT.md §3 rule 4 (not_in_lifecycle, promotion_order, signoff_missing,
// signoff_no_go, frozen, outside_deploy_window, tag_mismatch) are produced by guardrails.ts as
// GuardrailRefusedError with the guard's code; each is a 422 whose message says what to do.
export class ReleaseUnknownError extends DomainError {
  readonly code = 'release_unknown';
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
/** 422: a canary that cannot run: `no_stable_version` (nothing to compare with) or `already_deployed`. */
export class CanaryRefusedError extends DomainError {
  constructor(
    readonly code: string,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(message, details);
  }
}
