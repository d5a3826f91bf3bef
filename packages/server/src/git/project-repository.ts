import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';

import { ValidationError } from '../shared/errors.js';
import { FETCH_REFSPECS, REMOTE_BRANCHES, REMOTE_TAGS, ensureBareClone } from './bare-clone.js';
import { CherryPickConflictError, PushRejectedError, RefNotFoundError, RepositoryUnreachableError, TagExistsError } from './git-errors.js';
import { LOG_FORMAT, parseLog, parseLsRemote, parsePushPorcelain, parseSymrefHead, type GitCommit, type PushStatus } from './git-output.js';
import { listMirroredTags, peeledCommit, refNames, refValue, rejectMerges, resolveInClone } from './clone-queries.js';
import { GitCommandError, SLIPWAY_IDENTITY, runGit, type GitResult, type GitRunOptions } from './git-runner.js';
import { KeyedMutex } from './keyed-mutex.js';
import { patchIdsOf } from './patch-ids.js';
import { describeInvalidRemote, isValidRefName } from './ref-names.js';
import { cherryPickAll, withTemporaryWorktree, type RepoGit } from './worktree.js';

export type { GitCommit } from './git-output.js';
export { CherryPickConflictError, PushRejectedError, RefNotFoundError, RepositoryUnreachableError, TagExistsError };

/** Transports a project's repository may use (also applies to anything git is told to fetch on its behalf). */
const ALLOWED_PROTOCOLS = 'file:git:http:https:ssh';

const MISSING_OBJECT = /unknown revision|bad revision|bad object|not a valid (?:object|commit) name|invalid object name|no such commit|not a commit|Needed a single revision/i;

const locks = new KeyedMutex();
const heldLocks = new AsyncLocalStorage<ReadonlySet<string>>();

export interface ProjectRepositoryOptions {
  /** The project's repository: an absolute path (bare or not) or a git URL; credentials may be in the URL. */
  remote: string;
  /** The server's own bare clone, e.g. `<dataDir>/repos/<projectKey>.git`; created on the first `sync()`. */
  dir: string;
  /** Tagger and committer of what Slipway creates; default `Slipway <slipway@localhost>`. */
  identity?: { name: string; email: string };
  /** Limit for commands that talk to the remote; default 5 minutes. */
  networkTimeoutMs?: number;
  /** Limit for local commands; default 2 minutes. */
  localTimeoutMs?: number;
}

/**
 * The git side of one project: a bare clone of its repository kept under the data directory, and the few
 * operations releases and hotfixes need. Every method takes the repository's lock (re-entrant inside
 * {@link ProjectRepository.exclusive}), so two operations never share the clone.
 *
 * @example
 * const repo = new ProjectRepository({ remote: 'https://git.example.com/api.git', dir: '/data/repos/api.git' });
 * await repo.exclusive(async () => {
 *   await repo.sync();
 *   const head = await repo.resolveCommit(await repo.defaultBranch());
 *   const commits = await repo.log(lastReleaseSha, head);
 * });
 */
export class ProjectRepository {
  readonly remote: string;
  readonly dir: string;
  private readonly env: Record<string, string>;
  private readonly networkTimeoutMs: number;
  private readonly localTimeoutMs: number;
  private cloned = false;

  constructor(options: ProjectRepositoryOptions) {
    const problem = describeInvalidRemote(options.remote);
    if (problem) throw new ValidationError(`The repository ${problem}`, { field: 'repository' });
    if (!path.isAbsolute(options.dir)) throw new Error(`ProjectRepository dir must be absolute, got ${options.dir}`);
    this.remote = options.remote;
    this.dir = path.resolve(options.dir);
    const identity = options.identity ?? SLIPWAY_IDENTITY;
    this.env = {
      GIT_AUTHOR_NAME: identity.name,
      GIT_AUTHOR_EMAIL: identity.email,
      GIT_COMMITTER_NAME: identity.name,
      GIT_COMMITTER_EMAIL: identity.email,
      GIT_ALLOW_PROTOCOL: ALLOWED_PROTOCOLS,
    };
    this.networkTimeoutMs = options.networkTimeoutMs ?? 300_000;
    this.localTimeoutMs = options.localTimeoutMs ?? 120_000;
  }

  /**
   * Runs `fn` holding this repository's lock (keyed by the clone's directory, FIFO). Calls made inside
   * `fn` — including this class's own methods — do not wait for the lock again.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const held = heldLocks.getStore();
    if (held?.has(this.dir)) return fn();
    return locks.runExclusive(this.dir, () => heldLocks.run(new Set([...(held ?? []), this.dir]), fn));
  }

  /**
   * Clones the remote when the clone is missing, else fetches branches and tags (forced, pruned). A fetch
   * with nothing new costs one round trip to the remote.
   */
  sync(): Promise<void> {
    return this.exclusive(async () => {
      await this.ensureClone();
      await this.network([
        'fetch', '--quiet', '--prune', '--no-tags', '--no-write-fetch-head', '--no-show-forced-updates', 'origin', ...FETCH_REFSPECS,
      ]);
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

  /**
   * Resolves a branch name (`main`, `origin/main`, `refs/heads/main`), a tag name (`v1.4.0`) or a full or
   * abbreviated sha to a full commit sha, as of the last `sync()`. Tags win over branches of the same name,
   * as in git. Throws {@link RefNotFoundError} when nothing matches or the match is not a commit.
   */
  resolveCommit(ref: string): Promise<string> {
    return this.exclusive(async () => {
      await this.ensureClone();
      return resolveInClone(this.local, ref);
    });
  }

  /** Tags of the remote as of the last `sync()`: tag name → commit sha (annotated tags peeled). Tags of non-commits are left out. */
  listTags(): Promise<Map<string, string>> {
    return this.exclusive(async () => {
      await this.ensureClone();
      return listMirroredTags(this.local);
    });
  }

  /**
   * Names of the remote's tags (as of the last `sync()` or push) whose commit is reachable from `commit`.
   * Walks the whole history once (`rev-list`) rather than `for-each-ref --merged`, whose date-based
   * shortcuts miss tags below commits with skewed clocks (seen with git 2.39).
   */
  mergedTags(commit: string): Promise<Set<string>> {
    return this.exclusive(async () => {
      await this.ensureClone();
      const head = await this.toCommit(commit);
      const tags = await this.listTags();
      if (tags.size === 0) return new Set<string>();
      const reachable = new Set((await this.local(['rev-list', head, '--'])).stdout.split('\n'));
      return new Set([...tags].filter(([, sha]) => reachable.has(sha)).map(([name]) => name));
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
   * Commits reachable from `to` and not from `fromExclusive` (everything when null), newest first, merge
   * commits left out. One `git log`, whatever the number of commits.
   */
  log(fromExclusive: string | null, to: string, options: { includeMerges?: boolean } = {}): Promise<GitCommit[]> {
    return this.exclusive(async () => {
      await this.ensureClone();
      const tip = await this.toCommit(to);
      const stop = fromExclusive === null ? null : await this.toCommit(fromExclusive);
      const args = ['log', '-z', '--encoding=UTF-8', LOG_FORMAT];
      if (!options.includeMerges) args.push('--no-merges');
      args.push(tip);
      if (stop) args.push(`^${stop}`);
      args.push('--');
      return parseLog((await this.local(args).catch((error: unknown) => this.missing(error, stop ?? tip))).stdout);
    });
  }

  /** How many non-merge commits `log(fromExclusive, to)` would return, without reading them. */
  countCommits(fromExclusive: string | null, to: string): Promise<number> {
    return this.exclusive(async () => {
      await this.ensureClone();
      const tip = await this.toCommit(to);
      const stop = fromExclusive === null ? null : await this.toCommit(fromExclusive);
      const { stdout } = await this.local(['rev-list', '--count', '--no-merges', tip, ...(stop ? [`^${stop}`] : []), '--']);
      return Number(stdout.trim());
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
      await this.local(['update-ref', '-d', `refs/tags/${name}`]);
      const text = message.trim() === '' ? name : message;
      await this.local(['tag', '--annotate', '--cleanup=verbatim', '--file=-', name, sha], { input: text });
      return (await this.local(['rev-parse', '--verify', `refs/tags/${name}`])).stdout.trim();
    });
  }

  /**
   * Pushes the local tag `name` without force. Throws {@link TagExistsError} when the remote already has
   * a tag of that name (nothing is changed there), {@link PushRejectedError} for other refusals.
   */
  pushTag(name: string): Promise<void> {
    return this.exclusive(async () => {
      this.assertRefName(name, 'tag');
      await this.ensureClone();
      const ref = `refs/tags/${name}`;
      const object = await refValue(this.local, ref);
      if (!object) throw new RefNotFoundError(name, 'is not a tag Slipway created in its clone');
      const status = await this.push([`${ref}:${ref}`], ref);
      if (status.flag === '!') {
        if (/already exists|fetch first|stale info|non-fast-forward/.test(`${status.summary} ${status.reason ?? ''}`)) {
          throw new TagExistsError(name);
        }
        throw new PushRejectedError(ref, status.reason ?? status.summary);
      }
      // Published: it now belongs to the mirror of the remote's tags, and refs/tags keeps only unpushed ones.
      await this.local(['update-ref', '--stdin'], { input: `update ${REMOTE_TAGS}${name} ${object}\ndelete ${ref}\n` });
    });
  }

  /**
   * Deletes a tag Slipway pushed moments ago, only while it still is exactly the tag object Slipway pushed
   * and points at `expectedCommit` (a leased push). For one purpose: undoing a push whose release could not
   * be recorded. Throws {@link PushRejectedError} when the remote tag changed meanwhile, and
   * {@link RefNotFoundError} when Slipway never pushed that tag from this clone.
   */
  deleteRemoteTag(name: string, expectedCommit: string): Promise<void> {
    return this.exclusive(async () => {
      this.assertRefName(name, 'tag');
      await this.ensureClone();
      const ref = `refs/tags/${name}`;
      const pushed = await refValue(this.local, `${REMOTE_TAGS}${name}`);
      if (!pushed) throw new RefNotFoundError(name, 'is not a tag this clone knows in the remote');
      if ((await peeledCommit(this.local, `${REMOTE_TAGS}${name}`, name)) !== (await this.toCommit(expectedCommit))) {
        throw new PushRejectedError(ref, `the tag does not point at ${expectedCommit.slice(0, 12)}; left as it is`);
      }
      const status = await this.push([`--force-with-lease=${ref}:${pushed}`, `:${ref}`], ref);
      if (status.flag === '!') throw new PushRejectedError(ref, status.reason ?? status.summary);
      await this.local(['update-ref', '-d', `${REMOTE_TAGS}${name}`]);
    });
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
   * Makes sure `branch` exists in the remote, creating it at the commit of `tag` when missing (a push that
   * only creates, never updates). Returns the branch's head in the remote and whether it was created.
   */
  ensureBranchFromTag(branch: string, tag: string): Promise<{ head: string; created: boolean }> {
    return this.exclusive(async () => {
      this.assertRefName(branch, 'branch');
      this.assertRefName(tag, 'tag');
      await this.ensureClone();
      const ref = `refs/heads/${branch}`;
      const existing = parseLsRemote((await this.network(['ls-remote', 'origin', ref])).stdout).get(ref);
      if (existing) return { head: await this.fetchBranch(branch), created: false };
      const start = await peeledCommit(this.local, `${REMOTE_TAGS}${tag}`, tag);
      const status = await this.push([`--force-with-lease=${ref}:`, `${start}:${ref}`], ref);
      if (status.flag === '!') {
        if (/stale info|already exists|fetch first/.test(`${status.summary} ${status.reason ?? ''}`)) {
          return { head: await this.fetchBranch(branch), created: false };
        }
        throw new PushRejectedError(ref, status.reason ?? status.summary);
      }
      await this.local(['update-ref', `${REMOTE_BRANCHES}${branch}`, start]);
      return { head: start, created: true };
    });
  }

  /**
   * Cherry-picks `shas` (in order, `-x`) onto the remote branch's head as of the last fetch, in a temporary
   * worktree, and keeps the result as the local branch `refs/heads/<branch>` for {@link pushBranch}.
   * Returns the new head. On a conflict: {@link CherryPickConflictError}, worktree removed, remote untouched.
   */
  cherryPickOnto(branch: string, shas: readonly string[]): Promise<string> {
    return this.exclusive(async () => {
      this.assertRefName(branch, 'branch');
      await this.ensureClone();
      const base = await peeledCommit(this.local, `${REMOTE_BRANCHES}${branch}`, branch);
      const commits: string[] = [];
      for (const sha of shas) commits.push(await this.toCommit(sha));
      await rejectMerges(this.local, commits);
      const head = await withTemporaryWorktree(this.local, base, (worktree) =>
        cherryPickAll((args, opts) => this.run(args, worktree, opts), commits, branch),
      );
      await this.local(['update-ref', `refs/heads/${branch}`, head]);
      return head;
    });
  }

  /**
   * Pushes the local `refs/heads/<branch>` (prepared by {@link cherryPickOnto}) as a fast-forward only,
   * leased on `expectedOldSha` (default: the remote head as of the last fetch), so a branch that moved in
   * the remote meanwhile is never overwritten. Returns the pushed head.
   */
  pushBranch(branch: string, expectedOldSha?: string): Promise<string> {
    return this.exclusive(async () => {
      this.assertRefName(branch, 'branch');
      await this.ensureClone();
      const ref = `refs/heads/${branch}`;
      const head = await refValue(this.local, ref);
      if (!head) throw new RefNotFoundError(branch, 'has no prepared local head to push');
      const expected = expectedOldSha ?? (await refValue(this.local, `${REMOTE_BRANCHES}${branch}`));
      if (expected && !(await this.isAncestor(expected, head))) {
        throw new PushRejectedError(ref, `${head.slice(0, 12)} does not descend from ${expected.slice(0, 12)}; Slipway never force-pushes`);
      }
      const status = await this.push([`--force-with-lease=${ref}:${expected ?? ''}`, `${ref}:${ref}`], ref);
      if (status.flag === '!') {
        const moved = /stale info|fetch first|non-fast-forward/.test(`${status.summary} ${status.reason ?? ''}`);
        throw new PushRejectedError(ref, moved ? 'the branch moved in the remote since it was fetched; retry' : (status.reason ?? status.summary));
      }
      await this.local(['update-ref', '--stdin'], { input: `update ${REMOTE_BRANCHES}${branch} ${head}\ndelete ${ref}\n` });
      return head;
    });
  }

  /** Whether commit `a` is an ancestor of (or equal to) commit `b`. */
  isAncestor(a: string, b: string): Promise<boolean> {
    return this.exclusive(async () => {
      await this.ensureClone();
      const [first, second] = [await this.toCommit(a), await this.toCommit(b)];
      const { exitCode } = await this.local(['merge-base', '--is-ancestor', first, second], { okExitCodes: [1] });
      return exitCode === 0;
    });
  }

  /**
   * Patch ids (`git patch-id --stable`: whitespace and line numbers ignored) of the non-merge commits
   * reachable from `to` and not from `fromExclusive`: patch id → sha (the newest commit when several share one).
   */
  patchIds(fromExclusive: string | null, to: string): Promise<Map<string, string>> {
    return this.exclusive(async () => {
      await this.ensureClone();
      const tip = await this.toCommit(to);
      const stop = fromExclusive === null ? null : await this.toCommit(fromExclusive);
      return this.patchIdsOf([tip, ...(stop ? [`^${stop}`] : [])], null);
    });
  }

  /**
   * The hotfix commits whose changes are not on the default branch: neither an ancestor of
   * `defaultBranchHead` nor equal, by patch id, to a commit in `since..defaultBranchHead` (so a fix
   * cherry-picked either way counts as merged back). Input order is kept; commits without changes count as merged.
   */
  unmergedCommits(hotfixCommits: readonly string[], defaultBranchHead: string, since: string): Promise<string[]> {
    return this.exclusive(async () => {
      await this.ensureClone();
      const head = await this.toCommit(defaultBranchHead);
      const candidates: string[] = [];
      for (const commit of hotfixCommits) {
        const sha = await this.toCommit(commit);
        if (!(await this.isAncestor(sha, head))) candidates.push(sha);
      }
      if (candidates.length === 0) return [];
      const own = await this.patchIdsOf(['--no-walk=unsorted', '--stdin'], candidates.join('\n') + '\n');
      const ownBySha = new Map([...own].map(([patchId, sha]) => [sha, patchId]));
      const onDefault = await this.patchIds(since, head);
      return candidates.filter((sha) => {
        const patchId = ownBySha.get(sha);
        return patchId !== undefined && !onDefault.has(patchId);
      });
    });
  }

  // --- internals ---------------------------------------------------------------------------------------

  private run(args: readonly string[], cwd: string | null, opts: GitRunOptions = {}): Promise<GitResult> {
    const full = cwd === null ? [`--git-dir=${this.dir}`, ...args] : args;
    return runGit(full, { timeoutMs: this.localTimeoutMs, ...opts, ...(cwd ? { cwd } : {}), env: { ...this.env, ...opts.env } });
  }

  private readonly local: RepoGit = (args, opts) => this.run(args, null, opts);

  /** A command that talks to the remote: any failure to do so becomes {@link RepositoryUnreachableError}. */
  private async network(args: readonly string[], opts: GitRunOptions = {}): Promise<GitResult> {
    try {
      return await this.local(args, { timeoutMs: this.networkTimeoutMs, ...opts });
    } catch (error) {
      if (error instanceof GitCommandError && !/\.lock'?: File exists|cannot lock ref/i.test(error.stderr)) {
        throw new RepositoryUnreachableError(error.timedOut ? 'timed out talking to the remote' : error.gitMessage);
      }
      throw error;
    }
  }

  /** `git push --porcelain origin …` and the status line of `ref`; transport failures become {@link RepositoryUnreachableError}. */
  private async push(args: readonly string[], ref: string): Promise<PushStatus> {
    const result = await this.network(['push', '--porcelain', 'origin', ...args], { okExitCodes: [1] });
    const status = parsePushPorcelain(result.stdout).find((line) => line.to === ref);
    if (!status) throw new RepositoryUnreachableError(result.stderr.trim() || `the remote gave no answer for ${ref}`);
    return status;
  }

  private async ensureClone(): Promise<void> {
    if (this.cloned) return;
    await ensureBareClone(this.dir, this.remote, { env: this.env, timeoutMs: this.localTimeoutMs });
    this.cloned = true;
  }

  private assertRefName(name: string, what: 'tag' | 'branch'): void {
    if (!isValidRefName(name)) throw new ValidationError(`${JSON.stringify(name)} is not a valid git ${what} name`, { [what]: name });
  }

  /** A checked full commit sha for anything `resolveCommit` accepts (one `cat-file`, even for a full sha). */
  private toCommit(ref: string): Promise<string> {
    return this.resolveCommit(ref);
  }

  /** Fetches one remote branch into the mirror (it may be newer than the last sync) and returns its head. */
  private async fetchBranch(branch: string): Promise<string> {
    await this.network(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', 'origin', `+refs/heads/${branch}:${REMOTE_BRANCHES}${branch}`]);
    return peeledCommit(this.local, `${REMOTE_BRANCHES}${branch}`, branch);
  }

  private patchIdsOf(revisions: readonly string[], input: string | null): Promise<Map<string, string>> {
    return patchIdsOf(this.dir, revisions, input, { env: this.env, timeoutMs: this.localTimeoutMs }).catch((error: unknown) =>
      this.missing(error, revisions.join(' ')),
    );
  }

  /** Maps git's "no such object" failures to {@link RefNotFoundError}; rethrows anything else. */
  private missing(error: unknown, ref: string): never {
    if (error instanceof GitCommandError && MISSING_OBJECT.test(error.stderr)) throw new RefNotFoundError(ref);
    throw error;
  }
}
