import path from 'node:path';

import { ValidationError } from '../shared/errors.js';
import { HeldKeys } from '../shared/held-keys.js';
import { ensureBareClone } from './bare-clone.js';
import { listMirroredTagDetails, listMirroredTags, resolveInClone, type MirroredTag } from './clone-queries.js';
import { RefNotFoundError } from './git-errors.js';
import { LOG_FORMAT, parseLog, type GitCommit } from './git-output.js';
import { GitCommandError, SLIPWAY_IDENTITY, runGit, type GitResult, type GitRunOptions } from './git-runner.js';
import { KeyedMutex } from './keyed-mutex.js';
import { patchIdsOf } from './patch-ids.js';
import { describeInvalidRemote } from './ref-names.js';
import type { RepoGit } from './worktree.js';

/** Transports a project's repository may use (also applies to anything git is told to fetch on its behalf). */
const ALLOWED_PROTOCOLS = 'file:git:http:https:ssh';

const MISSING_OBJECT = /unknown revision|bad revision|bad object|not a valid (?:object|commit) name|invalid object name|no such commit|not a commit|Needed a single revision/i;

const locks = new KeyedMutex();
const heldLocks = new HeldKeys();

export interface ProjectRepositoryOptions {
  /** The project's repository: an absolute path (bare or not) or a git URL, without credentials (see `askpass`). */
  remote: string;
  /** The askpass helper's path (made on first use): git asks it for the credentials given to `useCredentials`. */
  askpass?: () => string;
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
 * The read-only half of a project's clone: questions about its history (log, ancestry, patch ids, tags as
 * last fetched), each under the clone's lock. {@link ProjectRepository} adds what talks to the remote and
 * what changes refs.
 */
export abstract class CloneHistory {
  readonly remote: string;
  readonly dir: string;
  protected readonly env: Record<string, string>;
  private readonly askpass: (() => string) | null;
  private credentials: { username: string; password: string } | null = null;
  protected readonly networkTimeoutMs: number;
  protected readonly localTimeoutMs: number;
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
    this.askpass = options.askpass ?? null;
    this.networkTimeoutMs = options.networkTimeoutMs ?? 300_000;
    this.localTimeoutMs = options.localTimeoutMs ?? 120_000;
  }

  /**
   * Runs `fn` holding this repository's lock (keyed by the clone's directory, FIFO). Calls made inside
   * `fn` — including this class's own methods — do not wait for the lock again.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const held = heldLocks.current();
    if (held?.has(this.dir)) return fn();
    return locks.runExclusive(this.dir, () => heldLocks.run(held, this.dir, fn));
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

  /** Credentials for an http(s) remote (null: none); handed to git through askpass on each network command. */
  useCredentials(credentials: { username: string; password: string } | null): void {
    if (credentials && !this.askpass) throw new Error('credentials need an askpass helper');
    this.credentials = credentials;
  }

  // --- internals shared with ProjectRepository -----------------------------------------------------

  /**
   * The environment of a command that talks to the remote: with credentials, the askpass helper and the
   * credentials for it, and no credential helper (one configured by the operator, such as `store`, would
   * otherwise be handed the password to save in a file).
   */
  protected networkEnv(): Record<string, string> {
    if (!this.credentials || !this.askpass) return {};
    return {
      GIT_ASKPASS: this.askpass(),
      SLIPWAY_GIT_USERNAME: this.credentials.username,
      SLIPWAY_GIT_PASSWORD: this.credentials.password,
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'credential.helper',
      GIT_CONFIG_VALUE_0: '',
    };
  }

  protected run(args: readonly string[], cwd: string | null, opts: GitRunOptions = {}): Promise<GitResult> {
    const full = cwd === null ? [`--git-dir=${this.dir}`, ...args] : args;
    return runGit(full, { timeoutMs: this.localTimeoutMs, ...opts, ...(cwd ? { cwd } : {}), env: { ...this.env, ...opts.env } });
  }

  protected readonly local: RepoGit = (args, opts) => this.run(args, null, opts);

  protected async ensureClone(): Promise<void> {
    if (this.cloned) return;
    await ensureBareClone(this.dir, this.remote, { env: this.env, timeoutMs: this.localTimeoutMs });
    this.cloned = true;
  }

  /** A checked full commit sha for anything `resolveCommit` accepts (one `cat-file`, even for a full sha). */
  protected toCommit(ref: string): Promise<string> {
    return this.resolveCommit(ref);
  }

  protected patchIdsOf(revisions: readonly string[], input: string | null, paths: readonly string[] = []): Promise<Map<string, string>> {
    return patchIdsOf(this.dir, revisions, input, { env: this.env, timeoutMs: this.localTimeoutMs }, paths).catch((error: unknown) =>
      this.missing(error, revisions.join(' ')),
    );
  }

  /** Maps git's "no such object" failures to {@link RefNotFoundError}; rethrows anything else. */
  protected missing(error: unknown, ref: string): never {
    if (error instanceof GitCommandError && MISSING_OBJECT.test(error.stderr)) throw new RefNotFoundError(ref);
    throw error;
  }}
