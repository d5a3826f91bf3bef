import { spawn, type ChildProcess } from 'node:child_process';

/** Who Slipway commits and tags as, unless a caller says otherwise. */
export const SLIPWAY_IDENTITY = Object.freeze({ name: 'Slipway', email: 'slipway@localhost' });

const DEFAULT_TIMEOUT_MS = 120_000;

/**
 * Configuration forced on every git command. Each entry closes a way in which a user's or the
 * machine's git configuration could change output we parse or make git wait for a human:
 * colours in `log -p` would change patch ids, signing would prompt for a passphrase, and client-side
 * hooks (a global `core.hooksPath`, husky, …) have no business running in the server's machine
 * clone — not on commit, not on push. Server-side hooks of the remote still run and may reject a push,
 * which is what a protected remote wants.
 */
const FORCED_CONFIG = [
  'color.ui=false',
  'core.hooksPath=/dev/null',
  'commit.gpgSign=false',
  'tag.gpgSign=false',
  'tag.forceSignAnnotated=false',
  'log.showSignature=false',
  'core.quotePath=false',
  'advice.detachedHead=false',
  'gc.autoDetach=false',
];

const CONFIG_PRELUDE: readonly string[] = FORCED_CONFIG.flatMap((entry) => ['-c', entry]);

export interface GitRunOptions {
  /** Working directory (a repository or a worktree). */
  cwd?: string;
  /** Extra environment; wins over the defaults below (e.g. another committer identity). */
  env?: Record<string, string>;
  /** Kill git (SIGTERM) after this long; default 120 s. */
  timeoutMs?: number;
  /** Written to git's stdin; without it stdin is closed so git can never wait on it. */
  input?: string | Buffer;
  /** Exit codes that are answers rather than failures (e.g. 1 for `merge-base --is-ancestor`). */
  okExitCodes?: readonly number[];
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Userinfo in URLs (`https://user:token@host`) becomes `***`; everything else is left alone. */
export function redactCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/'"]+@/gi, '$1***@');
}

/** A git command that failed (non-zero exit, timeout, or git could not be started). Args and stderr are redacted. */
export class GitCommandError extends Error {
  readonly args: string[];
  readonly stderr: string;

  constructor(
    args: readonly string[],
    readonly exitCode: number | null,
    stderr: string,
    readonly timedOut = false,
  ) {
    const safeArgs = args.map(redactCredentials);
    const safeStderr = redactCredentials(stderr).trim();
    const what = timedOut ? 'timed out' : exitCode === null ? 'could not run' : `exited with ${exitCode}`;
    super(`git ${safeArgs.join(' ')} ${what}${safeStderr ? `: ${safeStderr}` : ''}`);
    this.name = 'GitCommandError';
    this.args = safeArgs;
    this.stderr = safeStderr;
  }

  /** The first meaningful line git printed, for messages shown to users. */
  get gitMessage(): string {
    const lines = this.stderr.split('\n').map((line) => line.trim()).filter(Boolean);
    return lines.find((line) => /^(fatal|error):/.test(line)) ?? lines[0] ?? this.message;
  }
}

/**
 * The environment every git child gets: the server's own environment passed through (so an ssh agent,
 * `GIT_SSH_COMMAND` or a credential helper configured by the operator keep working), made
 * non-interactive and locale-independent, with Slipway as the default identity.
 */
function gitEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_AUTHOR_NAME: SLIPWAY_IDENTITY.name,
    GIT_AUTHOR_EMAIL: SLIPWAY_IDENTITY.email,
    GIT_COMMITTER_NAME: SLIPWAY_IDENTITY.name,
    GIT_COMMITTER_EMAIL: SLIPWAY_IDENTITY.email,
    ...extra,
    // Never ask a human: an empty GIT_ASKPASS also stops git from falling back to SSH_ASKPASS. A caller
    // may name its own askpass helper (a program, not a person: repository credentials, docs/decisions/0027).
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: extra?.GIT_ASKPASS ?? '',
    SSH_ASKPASS: '',
    GCM_INTERACTIVE: 'never',
    LC_ALL: 'C',
    LANGUAGE: '',
    GIT_PAGER: 'cat',
    PAGER: 'cat',
    GIT_EDITOR: 'true',
  };
}

function collect(stream: NodeJS.ReadableStream | null, into: Buffer[]): void {
  stream?.on('data', (chunk: Buffer) => into.push(chunk));
}

interface StartedGit {
  child: ChildProcess;
  /** Whether the time limit killed it. */
  timedOut(): boolean;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Spawns git in a process group of its own (a new session: no controlling terminal, so not even ssh can
 * prompt) and enforces the time limit on the whole group — git's helpers (ssh, git-remote-https) included,
 * which would otherwise keep the pipes, and this promise, open after git itself was killed.
 */
function startGit(args: readonly string[], opts: GitRunOptions, stdin: 'pipe' | 'ignore'): StartedGit {
  const child = spawn('git', [...CONFIG_PRELUDE, ...args], {
    cwd: opts.cwd,
    env: gitEnv(opts.env),
    stdio: [stdin, 'pipe', 'pipe'],
    detached: true,
    windowsHide: true,
  });
  let timedOut = false;
  let forceKill: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child, 'SIGTERM');
    forceKill = setTimeout(() => killGroup(child, 'SIGKILL'), 2_000);
  }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  child.on('close', () => {
    clearTimeout(timer);
    if (forceKill) clearTimeout(forceKill);
  });
  return { child, timedOut: () => timedOut };
}

/**
 * Runs `git <args>` (never through a shell) and resolves with its output; rejects with
 * {@link GitCommandError} on a non-zero exit (unless listed in `okExitCodes`) or a timeout.
 *
 * @example
 * const { stdout } = await runGit(['rev-parse', '--verify', 'HEAD^{commit}'], { cwd: repoDir });
 */
export function runGit(args: readonly string[], opts: GitRunOptions = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const { child, timedOut } = startGit(args, opts, opts.input === undefined ? 'ignore' : 'pipe');
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    collect(child.stdout, out);
    collect(child.stderr, err);
    if (opts.input !== undefined && child.stdin) {
      // git may exit before reading all of stdin (e.g. on a bad argument); that is reported by the exit code.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
    child.on('error', (error) => reject(new GitCommandError(args, null, error.message)));
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (!timedOut() && code !== null && (code === 0 || opts.okExitCodes?.includes(code))) {
        resolve({ stdout, stderr, exitCode: code });
      } else {
        reject(new GitCommandError(args, code, stderr, timedOut()));
      }
    });
  });
}

/**
 * Runs `git <producer> | git <consumer>` with the pipe made in Node (no shell) and resolves with the
 * consumer's output. Either side failing rejects with that side's {@link GitCommandError}.
 */
export function pipeGit(
  producer: readonly string[],
  consumer: readonly string[],
  opts: GitRunOptions = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const first = startGit(producer, opts, opts.input === undefined ? 'ignore' : 'pipe');
    const second = startGit(consumer, opts, 'pipe');
    const firstErr: Buffer[] = [];
    const out: Buffer[] = [];
    const secondErr: Buffer[] = [];
    collect(first.child.stderr, firstErr);
    collect(second.child.stdout, out);
    collect(second.child.stderr, secondErr);
    second.child.stdin?.on('error', () => undefined);
    if (first.child.stdout && second.child.stdin) first.child.stdout.pipe(second.child.stdin);
    if (opts.input !== undefined && first.child.stdin) {
      first.child.stdin.on('error', () => undefined);
      first.child.stdin.end(opts.input);
    }

    let pending = 2;
    let failure: GitCommandError | null = null;
    const settle = (): void => {
      if (--pending > 0) return;
      if (failure) reject(failure);
      else resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(secondErr).toString('utf8'), exitCode: 0 });
    };
    const watch = (side: StartedGit, args: readonly string[], stderr: Buffer[], other: StartedGit): void => {
      side.child.on('error', (error) => {
        failure ??= new GitCommandError(args, null, error.message);
      });
      side.child.on('close', (code) => {
        if ((code !== 0 || side.timedOut()) && !failure) {
          failure = new GitCommandError(args, code, Buffer.concat(stderr).toString('utf8'), side.timedOut());
          if (other.child.exitCode === null) killGroup(other.child, 'SIGTERM');
        }
        settle();
      });
    };
    watch(first, producer, firstErr, second);
    watch(second, consumer, secondErr, first);
  });
}
