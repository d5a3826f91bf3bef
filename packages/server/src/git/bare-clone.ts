import { randomUUID } from 'node:crypto';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

import { RefNotFoundError } from './git-errors.js';
import { runGit } from './git-runner.js';
import { isFullObjectName, isHexObjectName, isValidRefName } from './ref-names.js';

/**
 * Layout of the server's bare clone of a project repository:
 * - remote branches → `refs/remotes/origin/*` (fetched forced and pruned: a mirror of the remote);
 * - remote tags → `refs/slipway/remote-tags/*` (fetched forced and pruned: a mirror of the remote), kept
 *   apart from `refs/tags/*` so a fetch can never overwrite or delete a tag Slipway made and has not
 *   pushed yet, and a tag moved or deleted by hand in the remote shows up as such instead of being hidden;
 * - `refs/tags/*` → only tags Slipway created and has not pushed (a successful push moves them to the mirror);
 * - `refs/heads/*` → only hotfix branch heads Slipway prepared and has not pushed.
 */
export const REMOTE_BRANCHES = 'refs/remotes/origin/';
export const REMOTE_TAGS = 'refs/slipway/remote-tags/';
export const FETCH_REFSPECS: readonly string[] = [`+refs/heads/*:${REMOTE_BRANCHES}*`, `+refs/tags/*:${REMOTE_TAGS}*`];

/**
 * Where a user-given ref may live in the clone, in the order tried: a full sha as is; `refs/heads/x`,
 * `refs/tags/x`, `origin/x` in their mirror; else tag, then branch (git's own order), then an abbreviated sha.
 * Anything that is not a valid ref name is refused here, so no input can reach git as an option or as
 * revision syntax (`:/text`, `a..b`, `x^{tree}`).
 */
export function resolutionCandidates(ref: string): string[] {
  if (isFullObjectName(ref)) return [ref];
  if (!isValidRefName(ref)) throw new RefNotFoundError(ref, 'is not a valid git ref name or commit id');
  if (ref.startsWith('refs/heads/')) return [REMOTE_BRANCHES + ref.slice('refs/heads/'.length)];
  if (ref.startsWith('refs/tags/')) return [REMOTE_TAGS + ref.slice('refs/tags/'.length)];
  if (ref.startsWith(REMOTE_BRANCHES)) return [ref];
  const remoteForm = ref.startsWith('origin/') ? [`refs/remotes/${ref}`] : [];
  const hex = isHexObjectName(ref) ? [ref] : [];
  return [...remoteForm, REMOTE_TAGS + ref, REMOTE_BRANCHES + ref, ...hex];
}

/**
 * Creates the bare clone at `dir` when missing (initialised aside and renamed into place, so a crash never
 * leaves a half-made clone) and points `origin` at `remote`, updating it when the project's repository changed.
 * The URL never carries credentials: those reach git through askpass (docs/decisions/0027).
 */
export async function ensureBareClone(
  dir: string,
  remote: string,
  opts: { env: Record<string, string>; timeoutMs: number },
): Promise<void> {
  const exists = await access(path.join(dir, 'HEAD')).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await mkdir(path.dirname(dir), { recursive: true });
    const staging = `${dir}.init-${randomUUID()}`;
    try {
      await runGit(['init', '--bare', '--quiet', staging], opts);
      await runGit([`--git-dir=${staging}`, 'config', 'remote.origin.url', remote], opts);
      await rename(staging, dir).catch((error: NodeJS.ErrnoException) => {
        // Another process made it first: use theirs.
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  const { stdout } = await runGit([`--git-dir=${dir}`, 'config', '--get', 'remote.origin.url'], { ...opts, okExitCodes: [1] });
  if (stdout.trim() !== remote) await runGit([`--git-dir=${dir}`, 'config', 'remote.origin.url', remote], opts);
}
