import { FETCH_REFSPECS, REMOTE_BRANCHES, REMOTE_TAGS } from './bare-clone.js';
import { CloneHistory } from './clone-history.js';
import { peeledCommit, refNames, refValue, rejectMerges } from './clone-queries.js';
import { BranchMovedError, CherryPickConflictError, PushRejectedError, RefNotFoundError, RepositoryUnreachableError, TagExistsError } from './git-errors.js';
import { parseLsRemote, parsePushPorcelain, parseSymrefHead, type PushStatus } from './git-output.js';
import { GitCommandError, type GitResult, type GitRunOptions } from './git-runner.js';
import { isValidRefName } from './ref-names.js';
import { ValidationError } from '../shared/errors.js';
import { cherryPickAll, withTemporaryWorktree } from './worktree.js';

export type { GitCommit } from './git-output.js';
export type { MirroredTag } from './clone-queries.js';
export type { ProjectRepositoryOptions } from './clone-history.js';
export { BranchMovedError, CherryPickConflictError, PushRejectedError, RefNotFoundError, RepositoryUnreachableError, TagExistsError };

function describeStatus(status: PushStatus): string {
  return `${status.summary} ${status.reason ?? ''}`;
}

/** In an atomic push, the refs that were fine are rejected too, with this reason. */
function isAtomicCollateral(status: PushStatus): boolean {
  return /atomic/i.test(status.reason ?? '');
}

/**
 * The git side of one project: a bare clone of its repository kept under the data directory, and the few
 * operations releases and hotfixes need — the history questions of {@link CloneHistory}, plus fetching,
 * tagging, cherry-picking aside and publishing. Every method takes the repository's lock (re-entrant
 * inside {@link ProjectRepository.exclusive}), so two operations never share the clone.
 *
 * @example
 * const repo = new ProjectRepository({ remote: 'https://git.example.com/api.git', dir: '/data/repos/api.git' });
 * await repo.exclusive(async () => {
 *   await repo.sync();
 *   const head = await repo.resolveCommit(await repo.defaultBranch());
 *   const commits = await repo.log(lastReleaseSha, head);
 * });
 */
export class ProjectRepository extends CloneHistory {
  /**
   * Clones the remote when the clone is missing, else fetches branches and tags (forced, pruned). A fetch
   * with nothing new costs one round trip to the remote. Housekeeping (`git maintenance --auto`, which
   * may repack) runs only when asked — in background refreshes, never inside a request.
   */
  sync(options: { maintenance?: boolean } = {}): Promise<void> {
    return this.exclusive(async () => {
      await this.ensureClone();
      await this.network([
        'fetch', '--quiet', '--prune', '--no-tags', '--no-write-fetch-head', '--no-show-forced-updates',
        options.maintenance ? '--auto-maintenance' : '--no-auto-maintenance', 'origin', ...FETCH_REFSPECS,
      ]);
    });
  }

  /**
   * Writes the clone's commit-graph (incrementally), so ancestry questions use generation numbers instead of
   * walking commits, and packs its refs (a fetch writes each new ref as a file; a thousand tags then take a
   * thousand reads to list). Meant for background refreshes: it costs a walk of what is new.
   */
  tidy(): Promise<void> {
    return this.exclusive(async () => {
      await this.ensureClone();
      await this.local(['commit-graph', 'write', '--reachable', '--split', '--size-multiple=4', '--no-progress']);
      await this.local(['pack-refs', '--all', '--prune']);
    });
  }

  /** The remote's HEAD branch (`main`, …), asked from the remote; falls back to `main`, then `master`, then the only branch. */
  defaultBranch(): Promise<string> {
    return this.exclusive(async () => {
      await this.ensureClone();
      const { stdout } = await this.network(['ls-remote', '--symref', 'origin', 'HEAD']);
      const head = parseSymrefHead(stdout);
      if (head) return head;
      const branches = await refNames(this.local, REMOTE_BRANCHES);
      const fallback = ['main', 'master'].find((name) => branches.includes(name)) ?? (branches.length === 1 ? branches[0] : undefined);
      if (!fallback) throw new RefNotFoundError('HEAD', 'of the remote names no branch (is the repository empty?)');
      return fallback;
    });
  }

  /** The commit the tag points at in the remote right now (asked with `ls-remote`), or null when the remote has no such tag. */
  remoteTag(name: string): Promise<string | null> {
    return this.exclusive(async () => {
      this.assertRefName(name, 'tag');
      await this.ensureClone();
      const ref = `refs/tags/${name}`;
      const refs = parseLsRemote((await this.network(['ls-remote', 'origin', ref, `${ref}^{}`])).stdout);
      return refs.get(`${ref}^{}`) ?? refs.get(ref) ?? null;
    });
  }

  /**
   * Creates the annotated tag `name` → `commit` locally (tagger: the configured identity) and returns the
   * tag object's sha. Throws {@link TagExistsError} when the remote had the tag at the last `sync()`.
   * A local, never-pushed tag of that name left by an interrupted attempt is replaced.
   */
  createAnnotatedTag(name: string, commit: string, message: string): Promise<string> {
    return this.exclusive(async () => {
      this.assertRefName(name, 'tag');
      await this.ensureClone();
      const sha = await this.toCommit(commit);
      if ((await refValue(this.local, `${REMOTE_TAGS}${name}`)) !== null) throw new TagExistsError(name);
      const text = message.trim() === '' ? name : message;
      // --force replaces only a local leftover: refs/tags holds nothing but tags Slipway has not pushed.
      await this.local(['tag', '--force', '--annotate', '--cleanup=verbatim', '--file=-', name, sha], { input: text });
      return (await this.local(['rev-parse', '--verify', `refs/tags/${name}`])).stdout.trim();
    });
  }

  /**
   * Pushes the local tag `name` without force. Throws {@link TagExistsError} when the remote already has
   * a tag of that name (nothing is changed there), {@link PushRejectedError} for other refusals.
   */
  pushTag(name: string): Promise<void> {
    return this.publish({ tag: name });
  }

  /**
   * Publishes a release in one atomic push: the local tag `tag` (made by {@link createAnnotatedTag}) is created
   * in the remote and, when `branch` is given, that branch is moved from `branch.expected` (null: it must not
   * exist yet) to `branch.head` — both or neither. Each ref is leased on what Slipway expects to find, so a
   * tag made by hand meanwhile ({@link TagExistsError}) or a branch moved by someone else
   * ({@link BranchMovedError}) refuses the whole push and the remote stays exactly as it was.
   */
  publish(input: { tag: string; branch?: { name: string; head: string; expected: string | null } }): Promise<void> {
    return this.exclusive(async () => {
      this.assertRefName(input.tag, 'tag');
      if (input.branch) this.assertRefName(input.branch.name, 'branch');
      await this.ensureClone();
      const tagRef = `refs/tags/${input.tag}`;
      const object = await refValue(this.local, tagRef);
      if (!object) throw new RefNotFoundError(input.tag, 'is not a tag Slipway created in its clone');
      const args = [`--force-with-lease=${tagRef}:`, `${tagRef}:${tagRef}`];
      const branchRef = input.branch ? `refs/heads/${input.branch.name}` : null;
      if (input.branch) {
        const head = await this.toCommit(input.branch.head);
        args.push(`--force-with-lease=${branchRef}:${input.branch.expected ?? ''}`, `${head}:${branchRef}`);
      }
      const statuses = await this.pushAtomic(args);
      const tagStatus = statuses.get(tagRef);
      // "Up to date" means the remote already had this very tag object (another server made it): not ours to claim.
      if (tagStatus?.flag === '=' || (tagStatus?.flag === '!' && !isAtomicCollateral(tagStatus))) {
        if (tagStatus.flag === '=' || /already exists|fetch first|stale info|non-fast-forward/.test(describeStatus(tagStatus))) throw new TagExistsError(input.tag);
        throw new PushRejectedError(tagRef, tagStatus.reason ?? tagStatus.summary);
      }
      const branchStatus = branchRef ? statuses.get(branchRef) : undefined;
      if (branchRef && branchStatus?.flag === '!' && !isAtomicCollateral(branchStatus)) {
        if (/stale info|fetch first|non-fast-forward|already exists/.test(describeStatus(branchStatus))) throw new BranchMovedError(input.branch!.name);
        throw new PushRejectedError(branchRef, branchStatus.reason ?? branchStatus.summary);
      }
      for (const [ref, status] of statuses) {
        if (status.flag === '!') throw new PushRejectedError(ref, status.reason ?? status.summary);
      }
      // Published: the refs now belong to the mirror of the remote, and refs/tags keeps only unpushed tags.
      const updates = [`update ${REMOTE_TAGS}${input.tag} ${object}`, `delete ${tagRef}`];
      if (input.branch) updates.push(`update ${REMOTE_BRANCHES}${input.branch.name} ${await this.toCommit(input.branch.head)}`);
      await this.local(['update-ref', '--stdin'], { input: updates.join('\n') + '\n' });
    });
  }

  /**
   * Undoes a {@link publish} whose release could not be recorded, in one atomic push: deletes the tag only while
   * it still is exactly the tag object Slipway pushed and points at `expectedCommit`, and puts the branch back
   * to `branch.restore` (null: deletes it) only while it is still at `branch.head`. Throws
   * {@link PushRejectedError} when anything changed meanwhile (then nothing is touched), and
   * {@link RefNotFoundError} when Slipway never pushed that tag from this clone.
   */
  unpublish(input: { tag: string; expectedCommit: string; branch?: { name: string; head: string; restore: string | null } }): Promise<void> {
    return this.exclusive(async () => {
      this.assertRefName(input.tag, 'tag');
      if (input.branch) this.assertRefName(input.branch.name, 'branch');
      await this.ensureClone();
      const tagRef = `refs/tags/${input.tag}`;
      const pushed = await refValue(this.local, `${REMOTE_TAGS}${input.tag}`);
      if (!pushed) throw new RefNotFoundError(input.tag, 'is not a tag this clone knows in the remote');
      if ((await peeledCommit(this.local, `${REMOTE_TAGS}${input.tag}`, input.tag)) !== (await this.toCommit(input.expectedCommit))) {
        throw new PushRejectedError(tagRef, `the tag does not point at ${input.expectedCommit.slice(0, 12)}; left as it is`);
      }
      const args = [`--force-with-lease=${tagRef}:${pushed}`, `:${tagRef}`];
      if (input.branch) {
        const branchRef = `refs/heads/${input.branch.name}`;
        args.push(`--force-with-lease=${branchRef}:${await this.toCommit(input.branch.head)}`, input.branch.restore ? `${input.branch.restore}:${branchRef}` : `:${branchRef}`);
      }
      const statuses = await this.pushAtomic(args);
      for (const [ref, status] of statuses) {
        if (status.flag === '!') throw new PushRejectedError(ref, status.reason ?? status.summary);
      }
      const updates = [`delete ${REMOTE_TAGS}${input.tag}`];
      if (input.branch) {
        updates.push(input.branch.restore ? `update ${REMOTE_BRANCHES}${input.branch.name} ${input.branch.restore}` : `delete ${REMOTE_BRANCHES}${input.branch.name}`);
      }
      await this.local(['update-ref', '--stdin'], { input: updates.join('\n') + '\n' });
    });
  }

  /** {@link unpublish} of a tag alone. */
  deleteRemoteTag(name: string, expectedCommit: string): Promise<void> {
    return this.unpublish({ tag: name, expectedCommit });
  }

  /** Removes a local tag that was not pushed (no-op when absent). Never touches the remote. */
  deleteLocalTag(name: string): Promise<void> {
    return this.exclusive(async () => {
      this.assertRefName(name, 'tag');
      await this.ensureClone();
      await this.local(['update-ref', '-d', `refs/tags/${name}`]);
    });
  }

  /**
   * The head of a remote branch right now (asked with `ls-remote`, then fetched into the mirror when it is
   * newer), or null when the remote has no such branch.
   */
  remoteBranch(branch: string): Promise<string | null> {
    return this.exclusive(async () => {
      this.assertRefName(branch, 'branch');
      await this.ensureClone();
      const ref = `refs/heads/${branch}`;
      const sha = parseLsRemote((await this.network(['ls-remote', 'origin', ref])).stdout).get(ref) ?? null;
      if (sha === null) {
        await this.local(['update-ref', '-d', `${REMOTE_BRANCHES}${branch}`]);
        return null;
      }
      if ((await refValue(this.local, `${REMOTE_BRANCHES}${branch}`)) !== sha) await this.fetchBranch(branch);
      return sha;
    });
  }

  /**
   * The remote's default branch and its head, in one round trip (`ls-remote --symref origin HEAD`); the
   * branch is fetched into the mirror only when it moved since the last fetch.
   */
  defaultBranchHead(): Promise<{ branch: string; head: string }> {
    return this.exclusive(async () => {
      await this.ensureClone();
      const { stdout } = await this.network(['ls-remote', '--symref', 'origin', 'HEAD']);
      const branch = parseSymrefHead(stdout) ?? (await this.defaultBranch());
      const advertised = parseLsRemote(stdout).get('HEAD');
      const mirrored = await refValue(this.local, `${REMOTE_BRANCHES}${branch}`);
      if (advertised !== undefined && advertised === mirrored) return { branch, head: advertised };
      return { branch, head: await this.fetchBranch(branch) };
    });
  }

  /**
   * Cherry-picks `shas` (in order, `-x`, so each message names its source commit) onto the commit `base`, in a
   * temporary worktree, and returns the new head — a commit in the clone that no ref points at until it is
   * published. `label` (the branch it is meant for) only names it in a conflict. On a conflict:
   * {@link CherryPickConflictError}, worktree removed, remote untouched.
   */
  cherryPick(base: string, shas: readonly string[], label: string): Promise<string> {
    return this.exclusive(async () => {
      await this.ensureClone();
      const start = await this.toCommit(base);
      const commits: string[] = [];
      for (const sha of shas) commits.push(await this.toCommit(sha));
      await rejectMerges(this.local, commits);
      return withTemporaryWorktree(this.local, start, (worktree) => cherryPickAll((args, opts) => this.run(args, worktree, opts), commits, label));
    });
  }

  // --- internals ---------------------------------------------------------------------------------------

  /** A command that talks to the remote: any failure to do so becomes {@link RepositoryUnreachableError}. */
  private async network(args: readonly string[], opts: GitRunOptions = {}): Promise<GitResult> {
    try {
      return await this.local(args, { timeoutMs: this.networkTimeoutMs, ...opts, env: { ...opts.env, ...this.networkEnv() } });
    } catch (error) {
      if (error instanceof GitCommandError && !/\.lock'?: File exists|cannot lock ref/i.test(error.stderr)) {
        throw new RepositoryUnreachableError(error.timedOut ? 'timed out talking to the remote' : error.gitMessage);
      }
      throw error;
    }
  }

  /** `git push --atomic --porcelain origin …`: the status of every ref; transport failures become {@link RepositoryUnreachableError}. */
  private async pushAtomic(args: readonly string[]): Promise<Map<string, PushStatus>> {
    const result = await this.network(['push', '--atomic', '--porcelain', 'origin', ...args], { okExitCodes: [1] });
    const statuses = new Map(parsePushPorcelain(result.stdout).map((status) => [status.to, status]));
    if (statuses.size === 0) throw new RepositoryUnreachableError(result.stderr.trim() || 'the remote gave no answer to the push');
    return statuses;
  }

  private assertRefName(name: string, what: 'tag' | 'branch'): void {
    if (!isValidRefName(name)) throw new ValidationError(`${JSON.stringify(name)} is not a valid git ${what} name`, { [what]: name });
  }

  /** Fetches one remote branch into the mirror (it may be newer than the last sync) and returns its head. */
  private async fetchBranch(branch: string): Promise<string> {
    await this.network(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', 'origin', `+refs/heads/${branch}:${REMOTE_BRANCHES}${branch}`]);
    return peeledCommit(this.local, `${REMOTE_BRANCHES}${branch}`, branch);
  }
}
