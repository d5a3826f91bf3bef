import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { runGit, type GitRunOptions } from '../git/git-runner.js';

/** Isolates test repositories from the developer's git configuration. */
const TEST_ENV = {
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@example.com',
};

export interface CommitOptions {
  author?: { name: string; email: string };
  /** Author and committer date, anything git accepts (`2026-01-05T10:00:00Z`, `@1700000000 +0000`). */
  date?: string;
}

export interface FastCommitOptions {
  /** The message of commit i (0-based); default `fix: change <i> (TICKET-<i>)`. */
  message?: (i: number) => string;
  /** Unix time of the first commit; each next one is a second later. Default: a second after the parent (or 1,700,000,000). */
  startTime?: number;
}

/**
 * A bare "remote" and a working clone that commits and pushes to it, in a temp directory.
 *
 * @example
 * const repo = await createTestRepository();
 * await repo.commit('feat: login (API-1)', { 'login.ts': 'export {}' });
 * await repo.push();
 * await repo.cleanup();
 */
export class TestRepository {
  private fileCounter = 0;

  private constructor(
    /** Temp directory holding everything; removed by {@link cleanup}. */
    readonly root: string,
    /** The bare repository used as the project's remote. */
    readonly remote: string,
    /** The working clone. */
    readonly work: string,
    readonly defaultBranch: string,
  ) {}

  static async create(options: { defaultBranch?: string } = {}): Promise<TestRepository> {
    const defaultBranch = options.defaultBranch ?? 'main';
    const root = await mkdtemp(path.join(tmpdir(), 'slipway-git-test-'));
    const remote = path.join(root, 'remote.git');
    const work = path.join(root, 'work');
    await runGit(['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`, remote], { env: TEST_ENV });
    await runGit(['init', '--quiet', `--initial-branch=${defaultBranch}`, work], { env: TEST_ENV });
    const repo = new TestRepository(root, remote, work, defaultBranch);
    await repo.git('remote', 'add', 'origin', remote);
    return repo;
  }

  /** Runs git in the working clone and returns its trimmed stdout. */
  async git(...args: string[]): Promise<string> {
    return (await runGit(args, { cwd: this.work, env: TEST_ENV })).stdout.trim();
  }

  /** Runs git with options (stdin input, extra env) in the working clone. */
  async gitWith(args: string[], opts: GitRunOptions): Promise<string> {
    return (await runGit(args, { cwd: this.work, ...opts, env: { ...TEST_ENV, ...opts.env } })).stdout.trim();
  }

  /** Runs git in the bare remote. */
  async remoteGit(...args: string[]): Promise<string> {
    return (await runGit([`--git-dir=${this.remote}`, ...args], { env: TEST_ENV })).stdout.trim();
  }

  /**
   * Commits `files` (path → content; null deletes) — by default a new unique file — with `message`
   * (any text: read from stdin) and returns the sha.
   */
  async commit(message: string, files?: Record<string, string | null>, options: CommitOptions = {}): Promise<string> {
    const changes = files ?? { [`file-${++this.fileCounter}.txt`]: `${message}\n` };
    for (const [file, content] of Object.entries(changes)) {
      const full = path.join(this.work, file);
      if (content === null) {
        await rm(full, { force: true });
      } else {
        await mkdir(path.dirname(full), { recursive: true });
        await writeFile(full, content);
      }
    }
    await this.git('add', '--all');
    const env: Record<string, string> = {};
    if (options.author) Object.assign(env, { GIT_AUTHOR_NAME: options.author.name, GIT_AUTHOR_EMAIL: options.author.email });
    if (options.date) Object.assign(env, { GIT_AUTHOR_DATE: options.date, GIT_COMMITTER_DATE: options.date });
    await this.gitWith(['commit', '--quiet', '--allow-empty', '--cleanup=verbatim', '--file=-'], { input: message, env });
    return this.git('rev-parse', 'HEAD');
  }

  /** Creates a tag at `ref` (default HEAD): annotated when a message is given, lightweight otherwise. */
  async tag(name: string, options: { message?: string; ref?: string } = {}): Promise<void> {
    const target = options.ref ?? 'HEAD';
    if (options.message === undefined) await this.git('tag', name, target);
    else await this.git('tag', '-a', '-m', options.message, name, target);
  }

  /** Pushes refs (default: the current branch and all tags) to the remote. */
  async push(...refs: string[]): Promise<void> {
    if (refs.length === 0) {
      await this.git('push', '--quiet', 'origin', 'HEAD');
      await this.git('push', '--quiet', '--tags', 'origin');
    } else {
      await this.git('push', '--quiet', 'origin', ...refs);
    }
  }

  /** Creates branch `name` at `from` (default HEAD) and checks it out. */
  async branch(name: string, from = 'HEAD'): Promise<void> {
    await this.git('checkout', '--quiet', '-b', name, from);
  }

  async checkout(ref: string): Promise<void> {
    await this.git('checkout', '--quiet', ref);
  }

  async head(): Promise<string> {
    return this.git('rev-parse', 'HEAD');
  }

  /**
   * Appends `count` commits to the current branch with `git fast-import` (20,000 in about a second), each
   * changing one of ten files `bulk-<n>.txt`, then updates the working tree. Returns the new head.
   */
  async fastCommits(count: number, options: FastCommitOptions = {}): Promise<string> {
    const branch = await this.git('symbolic-ref', 'HEAD');
    const parent = await this.git('rev-parse', '--verify', '--quiet', 'HEAD').catch(() => '');
    const message = options.message ?? ((i: number) => `fix: change ${i} (TICKET-${i})`);
    // Dates continue from the parent: commits older than their parent would trip git's date-based shortcuts.
    const parentTime = parent ? Number(await this.git('log', '-1', '--format=%ct', parent)) : 1_700_000_000;
    const start = options.startTime ?? parentTime + 1;
    const chunks: string[] = [];
    for (let i = 0; i < count; i++) {
      const text = `${message(i)}\n`;
      const content = `change ${i}\n`;
      const when = `${start + i} +0000`;
      chunks.push(
        `commit ${branch}\n`,
        `author Test Author <author@example.com> ${when}\n`,
        `committer Test Author <author@example.com> ${when}\n`,
        `data ${Buffer.byteLength(text)}\n${text}`,
        i === 0 && parent ? `from ${parent}\n` : '',
        `M 644 inline bulk-${i % 10}.txt\n`,
        `data ${Buffer.byteLength(content)}\n${content}\n`,
      );
    }
    // glibc would otherwise shrink and regrow fast-import's heap for every commit (200,000 brk calls, 3× slower).
    const malloc = { MALLOC_TOP_PAD_: String(64 << 20), MALLOC_TRIM_THRESHOLD_: String(256 << 20) };
    await this.gitWith(['fast-import', '--quiet', '--force'], { input: chunks.join(''), env: malloc });
    await this.git('reset', '--quiet', '--hard', 'HEAD');
    return this.head();
  }

  async cleanup(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

export function createTestRepository(options: { defaultBranch?: string } = {}): Promise<TestRepository> {
  return TestRepository.create(options);
}
