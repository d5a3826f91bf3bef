import { spawn } from 'node:child_process';

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
    // Never ask a human: an empty GIT_ASKPASS also stops git from falling back to SSH_ASKPASS.
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
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

/**
 * Runs `git <args>` (never through a shell) and resolves with its output; rejects with
 * {@link GitCommandError} on a non-zero exit (unless listed in `okExitCodes`) or a timeout.
 *
 * @example
 * const { stdout } = await runGit(['rev-parse', '--verify', 'HEAD^{commit}'], { cwd: repoDir });
 */
export function runGit(args: readonly string[], opts: GitRunOptions = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...CONFIG_PRELUDE, ...args], {
      cwd: opts.cwd,
      env: gitEnv(opts.env),
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      killSignal: 'SIGTERM',
      windowsHide: true,
    });
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
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      const exitCode = code ?? -1;
      if (code === 0 || (code !== null && opts.okExitCodes?.includes(code))) {
        resolve({ stdout, stderr, exitCode });
      } else {
        reject(new GitCommandError(args, code, stderr, signal !== null));
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
    const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const env = gitEnv(opts.env);
    const first = spawn('git', [...CONFIG_PRELUDE, ...producer], {
      cwd: opts.cwd,
      env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout,
      windowsHide: true,
    });
    const second = spawn('git', [...CONFIG_PRELUDE, ...consumer], {
      cwd: opts.cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout,
      windowsHide: true,
    });
    const firstErr: Buffer[] = [];
    const out: Buffer[] = [];
    const secondErr: Buffer[] = [];
    collect(first.stderr, firstErr);
    collect(second.stdout, out);
    collect(second.stderr, secondErr);
    second.stdin?.on('error', () => undefined);
    first.stdout?.pipe(second.stdin!);
    if (opts.input !== undefined && first.stdin) {
      first.stdin.on('error', () => undefined);
      first.stdin.end(opts.input);
    }

    let pending = 2;
    let failure: GitCommandError | null = null;
    const done = (): void => {
      if (--pending > 0) return;
      if (failure) reject(failure);
      else resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(secondErr).toString('utf8'), exitCode: 0 });
    };
    const onExit = (args: readonly string[], stderr: Buffer[], other: typeof first) => (code: number | null, signal: NodeJS.Signals | null) => {
      if (code !== 0 && !failure) {
        failure = new GitCommandError(args, code, Buffer.concat(stderr).toString('utf8'), signal !== null && signal !== 'SIGPIPE');
        if (other.exitCode === null) other.kill('SIGTERM');
      }
      done();
    };
    first.on('error', (error) => {
      failure ??= new GitCommandError(producer, null, error.message);
    });
    second.on('error', (error) => {
      failure ??= new GitCommandError(consumer, null, error.message);
    });
    first.on('close', onExit(producer, firstErr, second));
    second.on('close', onExit(consumer, secondErr, first));
  });
}
