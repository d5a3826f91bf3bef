import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';

import { ValidationError } from '../shared/errors.js';
import { FETCH_REFSPECS, REMOTE_BRANCHES, REMOTE_TAGS, ensureBareClone } from './bare-clone.js';
import { BranchMovedError, CherryPickConflictError, PushRejectedError, RefNotFoundError, RepositoryUnreachableError, TagExistsError } from './git-errors.js';
import { LOG_FORMAT, parseLog, parseLsRemote, parsePushPorcelain, parseSymrefHead, type GitCommit, type PushStatus } from './git-output.js';
import { listMirroredTagDetails, listMirroredTags, peeledCommit, refNames, refValue, rejectMerges, resolveInClone, type MirroredTag } from './clone-queries.js';
import { GitCommandError, SLIPWAY_IDENTITY, runGit, type GitResult, type GitRunOptions } from './git-runner.js';
import { KeyedMutex } from './keyed-mutex.js';
import { patchIdsOf } from './patch-ids.js';
import { describeInvalidRemote, isValidRefName } from './ref-names.js';
import { cherryPickAll, withTemporaryWorktree, type RepoGit } from './worktree.js';

export type { GitCommit } from './git-output.js';
export type { MirroredTag } from './clone-queries.js';
export { BranchMovedError, CherryPickConflictError, PushRejectedError, RefNotFoundError, RepositoryUnreachableError, TagExistsError };

function describeStatus(status: PushStatus): string {
  return `${status.summary} ${status.reason ?? ''}`;
}

/** In an atomic push, the refs that were fine are rejected too, with this reason. */
function isAtomicCollateral(status: PushStatus): boolean {
  return /atomic/i.test(status.reason ?? '');
}

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
   * walking commits. Meant for background refreshes: it costs a walk of what is new.
   */
  writeCommitGraph(): Promise<void> {
    return this.exclusive(async () => {
      await this.ensureClone();
      await this.local(['commit-graph', 'write', '--reachable', '--split', '--size-multiple=4', '--no-progress']);
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

  /** Tags of the remote as of the last `sync()`, with their commit, date and kind; tags of non-commits apart. */
  listTagDetails(): Promise<{ tags: Map<string, MirroredTag>; notCommits: string[] }> {
    return this.exclusive(async () => {
      await this.ensureClone();
      return listMirroredTagDetails(this.local);
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

  /** Full messages of the given commits: sha → message (subject, blank line, body). */
  messages(shas: readonly string[]): Promise<Map<string, string>> {
    return this.exclusive(async () => {
      await this.ensureClone();
      if (shas.length === 0) return new Map<string, string>();
      const input = (await Promise.all(shas.map((sha) => this.toCommit(sha)))).join('\n') + '\n';
      const { stdout } = await this.local(['log', '-z', '--no-walk=unsorted', '--stdin', '--format=%H%x00%B'], { input });
      const parts = stdout.split('\0');
      const messages = new Map<string, string>();
      for (let i = 0; i + 1 < parts.length; i += 2) messages.set(parts[i]!.trim(), parts[i + 1]!);
      return messages;
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
   * With `paths`, only commits touching those files are diffed — a patch id names its files, so a commit
   * elsewhere can never share one with a change to them.
   */
  patchIds(fromExclusive: string | null, to: string, paths: readonly string[] = []): Promise<Map<string, string>> {
    return this.exclusive(async () => {
      await this.ensureClone();
      const tip = await this.toCommit(to);
      const stop = fromExclusive === null ? null : await this.toCommit(fromExclusive);
      return this.patchIdsOf([tip, ...(stop ? [`^${stop}`] : [])], null, paths);
    });
  }

  /** The files the given commits change (against their first parent, renames as delete + add), unique. */
  changedPaths(shas: readonly string[]): Promise<string[]> {
    return this.exclusive(async () => {
      await this.ensureClone();
      if (shas.length === 0) return [];
      const input = (await Promise.all(shas.map((sha) => this.toCommit(sha)))).join('\n') + '\n';
      const { stdout } = await this.local(['log', '-z', '--no-walk=unsorted', '--stdin', '--no-renames', '--name-only', '--format='], { input });
      return [...new Set(stdout.split('\0').map((p) => p.replace(/^\n+/, '')).filter(Boolean))];
    });
  }

  /** The best common ancestor of two commits, or null when they share no history. */
  mergeBase(a: string, b: string): Promise<string | null> {
    return this.exclusive(async () => {
      await this.ensureClone();
      const { stdout } = await this.local(['merge-base', await this.toCommit(a), await this.toCommit(b)], { okExitCodes: [1] });
      return stdout.trim() || null;
    });
  }

  /**
   * Non-merge commits of `fromExclusive..to` whose message contains any of `needles` (fixed strings, case
   * sensitive), newest first — a scan of messages only, no diffs.
   */
  grep(fromExclusive: string | null, to: string, needles: readonly string[]): Promise<GitCommit[]> {
    return this.exclusive(async () => {
      await this.ensureClone();
      if (needles.length === 0) return [];
      const tip = await this.toCommit(to);
      const stop = fromExclusive === null ? null : await this.toCommit(fromExclusive);
      const args = ['log', '-z', '--encoding=UTF-8', LOG_FORMAT, '--no-merges', '--fixed-strings', ...needles.map((n) => `--grep=${n}`), tip, ...(stop ? [`^${stop}`] : []), '--'];
      return parseLog((await this.local(args)).stdout);
    });
  }

  /** Patch ids of exactly the given non-merge commits: patch id → sha. */
  patchIdsOfCommits(shas: readonly string[]): Promise<Map<string, string>> {
    return this.exclusive(async () => {
      await this.ensureClone();
      if (shas.length === 0) return new Map<string, string>();
      const input = (await Promise.all(shas.map((sha) => this.toCommit(sha)))).join('\n') + '\n';
      return this.patchIdsOf(['--no-walk=unsorted', '--stdin'], input);
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

  /** `git push --atomic --porcelain origin …`: the status of every ref; transport failures become {@link RepositoryUnreachableError}. */
  private async pushAtomic(args: readonly string[]): Promise<Map<string, PushStatus>> {
    const result = await this.network(['push', '--atomic', '--porcelain', 'origin', ...args], { okExitCodes: [1] });
    const statuses = new Map(parsePushPorcelain(result.stdout).map((status) => [status.to, status]));
    if (statuses.size === 0) throw new RepositoryUnreachableError(result.stderr.trim() || 'the remote gave no answer to the push');
    return statuses;
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

  private patchIdsOf(revisions: readonly string[], input: string | null, paths: readonly string[] = []): Promise<Map<string, string>> {
    return patchIdsOf(this.dir, revisions, input, { env: this.env, timeoutMs: this.localTimeoutMs }, paths).catch((error: unknown) =>
      this.missing(error, revisions.join(' ')),
    );
  }

  /** Maps git's "no such object" failures to {@link RefNotFoundError}; rethrows anything else. */
  private missing(error: unknown, ref: string): never {
    if (error instanceof GitCommandError && MISSING_OBJECT.test(error.stderr)) throw new RefNotFoundError(ref);
    throw error;
  }
}
