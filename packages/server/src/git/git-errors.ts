import { DomainError } from '../shared/errors.js';
import { redactCredentials } from './git-runner.js';

/** The remote cannot be reached, refuses us, or is not a git repository. `gitMessage` is git's own words, redacted. */
export class RepositoryUnreachableError extends DomainError {
  readonly code = 'repository_unreachable';

  constructor(readonly gitMessage: string) {
    const safe = redactCredentials(gitMessage);
    super(`The project's repository cannot be reached: ${safe}`, { gitMessage: safe });
  }
}

/** A ref, tag or commit that does not exist in the repository, or is not a commit. */
export class RefNotFoundError extends DomainError {
  readonly code = 'ref_not_found';

  constructor(
    readonly ref: string,
    reason = 'does not exist in the repository',
  ) {
    super(`${JSON.stringify(ref)} ${reason}`, { ref });
  }
}

/** The tag name is already taken in the remote (made by hand, or by an earlier release). Tags are never moved. */
export class TagExistsError extends DomainError {
  readonly code = 'tag_exists';

  constructor(
    readonly tag: string,
    /** Whose tag it is and what to do, when the caller knows. */
    reason?: string,
  ) {
    super(`Tag ${JSON.stringify(tag)} already exists in the remote; Slipway never moves or reuses a tag${reason ? `: ${reason}` : ''}`, { tag });
  }
}

/** A cherry-pick stopped on a conflict. The remote was not touched. */
export class CherryPickConflictError extends DomainError {
  readonly code = 'cherry_pick_conflict';

  constructor(
    readonly commit: string,
    readonly files: string[],
    readonly branch: string,
  ) {
    const list = files.length > 0 ? files.join(', ') : 'no file reported';
    super(
      `Cherry-picking ${commit.slice(0, 12)} onto ${branch} conflicts in ${list}; ` +
        'resolve it on a branch and release that branch instead',
      { commit, files, branch },
    );
  }
}

/** The remote refused a push for a reason other than an existing tag (a protected branch, a hook, a moved branch). */
export class PushRejectedError extends DomainError {
  readonly code = 'push_rejected';

  constructor(
    readonly ref: string,
    readonly reason: string,
  ) {
    const safe = redactCredentials(reason);
    super(`The remote rejected the push of ${ref}: ${safe}`, { ref, reason: safe });
  }
}

/** A branch Slipway was about to move changed in the remote meanwhile (someone pushed to it). Nothing was pushed. */
export class BranchMovedError extends DomainError {
  readonly code = 'branch_moved';

  constructor(readonly branch: string) {
    super(`Branch ${branch} moved in the remote while Slipway was working on it; nothing was pushed. Try again.`, { branch });
  }
}
