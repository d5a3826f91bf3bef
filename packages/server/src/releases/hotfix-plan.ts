import semver from 'semver';
import type { ProjectRepository } from '../git/project-repository.js';
import type { ProjectRecord } from '../projects/project-store.js';
import { DomainError } from '../shared/errors.js';
import { analyse, type ReleasePlan } from './release-plan.js';
import type { Release, ReleaseSummary } from './release-store.js';
import { maintenanceLine, nextHotfixVersion, NothingToReleaseError } from './versioning.js';

/**
 * Hotfix lines (PRODUCT.md §3 rule 3): a hotfix is the next patch of a maintenance line `X.Y`, built on the
 * line's LATEST release, so it always contains every earlier release of the line; the line's branch
 * `hotfix/X.Y.x` always holds every released hotfix of the line, because it is moved to each new hotfix in
 * the same atomic push as its tag. Nothing here touches the remote: planning only reads and cherry-picks
 * in a temporary worktree, so a refusal (conflict, empty pick, bad branch) leaves the remote as it was.
 */

export interface HotfixInput {
  /** Commits to cherry-pick onto the line, in order. */
  commits?: string[];
  /** Or: release the head of this branch (it must contain the line's latest release). */
  branch?: string;
  idempotencyKey?: string;
  dryRun?: boolean;
}

export class HotfixSourceError extends DomainError {
  readonly code = 'invalid_hotfix_source';
}

/** The request cannot be built on the line's latest release without dropping or overwriting something. */
export class HotfixLineConflictError extends DomainError {
  readonly code = 'hotfix_line_conflict';
}

export interface HotfixPlan extends ReleasePlan {
  /** The release the hotfix was asked "from" (the plan's `parent` is the line's latest release). */
  requestedFrom: string;
}

export function lineBranchOf(version: string): string {
  return `hotfix/${maintenanceLine(version)}.x`;
}

/** The highest final release of the line `X.Y`. */
function latestOfLine(all: readonly ReleaseSummary[], line: string): ReleaseSummary | null {
  const ofLine = all.filter((r) => semver.prerelease(r.version) === null && maintenanceLine(r.version) === line);
  return ofLine.sort((a, b) => semver.rcompare(a.version, b.version))[0] ?? null;
}

/** The lowest final release above every release of the line (the start of the next line), if any. */
function nextLineStart(all: readonly ReleaseSummary[], latest: ReleaseSummary): ReleaseSummary | null {
  const above = all.filter((r) => semver.prerelease(r.version) === null && semver.gt(r.version, latest.version) && maintenanceLine(r.version) !== maintenanceLine(latest.version));
  return above.sort((a, b) => semver.compare(a.version, b.version))[0] ?? null;
}

/**
 * Plans a hotfix of the line of `from`. Call with a freshly synced clone under the project's release lock.
 * @throws HotfixSourceError, HotfixLineConflictError, NothingToReleaseError, CherryPickConflictError, RefNotFoundError
 */
export async function planHotfix(repo: ProjectRepository, project: ProjectRecord, all: readonly ReleaseSummary[], from: Release, input: HotfixInput): Promise<HotfixPlan> {
  const line = maintenanceLine(from.version);
  const lineBranch = lineBranchOf(from.version);
  const latest = latestOfLine(all, line) ?? from;
  const notices: string[] = [];
  if (latest.version !== from.version) {
    notices.push(`${from.version} is not the latest release of line ${line}.x: the hotfix is built on ${latest.version}, which contains every earlier release of the line.`);
  }
  const branchHead = await repo.remoteBranch(lineBranch);
  let lineTip = latest.commit;
  if (branchHead !== null && branchHead !== latest.commit) {
    if (await repo.isAncestor(latest.commit, branchHead)) {
      lineTip = branchHead; // the branch holds the latest release, plus commits pushed to it since
    } else if (await repo.isAncestor(branchHead, latest.commit)) {
      notices.push(`${lineBranch} was behind ${latest.version}; it moves up with this hotfix.`);
    } else {
      throw new HotfixLineConflictError(
        `${lineBranch} does not contain ${latest.version} (${latest.tag}), the latest release of line ${line}.x, and has commits ${latest.tag} lacks; ` +
          `reconcile them (merge ${latest.tag} into ${lineBranch}) before making another hotfix.`,
        { branch: lineBranch, latest: latest.version, tag: latest.tag },
      );
    }
  }

  let head: string;
  let ref: string;
  if (input.commits !== undefined) {
    ref = lineBranch;
    head = await repo.cherryPick(lineTip, input.commits, lineBranch);
    if (head === lineTip) {
      throw new NothingToReleaseError(latest.version, `Every change of ${input.commits.map((c) => c.slice(0, 12)).join(', ')} is already in ${lineBranch} (${latest.version}); nothing to release.`, { branch: lineBranch });
    }
  } else {
    ref = input.branch!;
    head = await repo.resolveCommit(ref);
    const asked = latest.version !== from.version ? ` (you asked for a hotfix of ${from.version})` : '';
    if (!(await repo.isAncestor(latest.commit, head))) {
      const base = (await repo.isAncestor(from.commit, head)) ? `it is built on ${from.version}` : `it does not descend from ${latest.tag}`;
      throw new HotfixLineConflictError(
        `Branch ${ref} does not contain ${latest.version}, the latest release of line ${line}.x${asked}: ${base}, so releasing it would drop what ${latest.version} fixed. ` +
          `Rebase it onto ${latest.tag} (git rebase ${latest.tag} ${ref}) or merge ${latest.tag} into it, then try again.`,
        { branch: ref, latest: latest.version, tag: latest.tag },
      );
    }
    if (branchHead !== null && lineTip !== latest.commit && !(await repo.isAncestor(lineTip, head))) {
      throw new HotfixLineConflictError(
        `${lineBranch} has commits that branch ${ref} lacks; ${lineBranch} can only move forward. Merge ${lineBranch} into ${ref}, or release ${lineBranch} itself.`,
        { branch: ref, lineBranch },
      );
    }
    const beyond = nextLineStart(all, latest);
    if (beyond && (await repo.isAncestor(beyond.commit, head))) {
      throw new HotfixSourceError(`Branch ${ref} contains ${beyond.version}; a hotfix of line ${line}.x must not carry later releases. Branch from ${latest.tag} instead.`, {
        branch: ref,
        contains: beyond.version,
      });
    }
    if (head === latest.commit) {
      throw new NothingToReleaseError(latest.version, `Branch ${ref} has no commits after ${latest.version}; nothing to release.`, { branch: ref });
    }
  }

  const commits = await repo.log(latest.commit, head);
  const { entries, reverted } = analyse(commits, project);
  if (entries.length === 0) {
    throw new NothingToReleaseError(latest.version, `The commits after ${latest.version} on ${ref} revert each other; nothing to release.`, { branch: ref });
  }
  return {
    version: nextHotfixVersion(line, all.map((r) => r.version)),
    kind: 'hotfix',
    commit: head,
    ref,
    parent: latest.version,
    previous: latest.version,
    entries,
    reverted,
    decision: null,
    branch: { name: lineBranch, head, expected: branchHead },
    notices,
    requestedFrom: from.version,
  };
}
