import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { CherryPickConflictError } from './git-errors.js';
import { GitCommandError, type GitResult, type GitRunOptions } from './git-runner.js';

/** Runs git against one repository: `--git-dir` or a worktree `cwd` already applied. */
export type RepoGit = (args: readonly string[], opts?: GitRunOptions) => Promise<GitResult>;

/**
 * Checks `base` out into a fresh temporary worktree of the bare clone, runs `fn` in it, and always
 * removes the worktree — directory and administrative entry — whatever `fn` did.
 */
export async function withTemporaryWorktree<T>(
  git: RepoGit,
  base: string,
  fn: (worktree: string) => Promise<T>,
): Promise<T> {
  // Administrative entries left by a crash in an earlier run would otherwise accumulate.
  await git(['worktree', 'prune']).catch(() => undefined);
  const worktree = await mkdtemp(path.join(tmpdir(), 'slipway-worktree-'));
  try {
    await git(['worktree', 'add', '--detach', '--quiet', worktree, base]);
    return await fn(worktree);
  } finally {
    await git(['worktree', 'remove', '--force', '--force', worktree]).catch(() => undefined);
    await rm(worktree, { recursive: true, force: true });
    await git(['worktree', 'prune']).catch(() => undefined);
  }
}

/** Files left unmerged in a worktree (NUL-separated output, so any file name survives). */
async function unmergedFiles(inWorktree: RepoGit): Promise<string[]> {
  const { stdout } = await inWorktree(['diff', '--name-only', '--diff-filter=U', '-z']);
  return [...new Set(stdout.split('\0').filter(Boolean))];
}

function isEmptyPick(error: GitCommandError): boolean {
  return /previous cherry-pick is now empty|nothing to commit|--allow-empty/i.test(error.stderr);
}

/**
 * Cherry-picks `shas` in order onto the worktree's HEAD with `-x` (the message records the source
 * commit). A commit whose changes are already there is skipped. On a conflict the pick is aborted and
 * {@link CherryPickConflictError} names the commit and the files. Returns the new HEAD.
 */
export async function cherryPickAll(inWorktree: RepoGit, shas: readonly string[], branch: string): Promise<string> {
  for (const sha of shas) {
    try {
      await inWorktree(['cherry-pick', '-x', '--allow-empty-message', sha]);
    } catch (error) {
      if (!(error instanceof GitCommandError)) throw error;
      const files = await unmergedFiles(inWorktree).catch(() => []);
      if (files.length === 0 && isEmptyPick(error)) {
        await inWorktree(['cherry-pick', '--skip']);
        continue;
      }
      await inWorktree(['cherry-pick', '--abort']).catch(() => undefined);
      if (files.length > 0 || /conflict/i.test(error.stderr)) throw new CherryPickConflictError(sha, files, branch);
      throw error;
    }
  }
  const { stdout } = await inWorktree(['rev-parse', '--verify', 'HEAD']);
  return stdout.trim();
}
