import { pipeGit } from './git-runner.js';

/**
 * Patch ids of non-merge commits: `git log -p <revisions> | git patch-id --stable`, piped in Node. Stable
 * patch ids ignore whitespace and line numbers but not the context lines of the diff, so a change
 * re-applied next to different surrounding lines gets a different id. Renames are off so both sides of a
 * comparison are diffed the same way. Returns patch id → sha (the first commit listed when several share one).
 */
export async function patchIdsOf(
  dir: string,
  revisions: readonly string[],
  input: string | null,
  opts: { env: Record<string, string>; timeoutMs: number },
  paths: readonly string[] = [],
): Promise<Map<string, string>> {
  // Literal pathspecs: a file name is never read as a glob or as pathspec magic.
  const pathspecs = paths.map((p) => `:(literal)${p}`);
  const producer = [`--git-dir=${dir}`, 'log', '-p', '--no-merges', '--no-renames', '--no-ext-diff', '--no-color', '--format=commit %H', ...revisions, '--', ...pathspecs];
  const { stdout } = await pipeGit(producer, [`--git-dir=${dir}`, 'patch-id', '--stable'], {
    ...opts,
    ...(input === null ? {} : { input }),
  });
  const ids = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [patchId, sha] = line.split(' ');
    if (patchId && sha && !ids.has(patchId)) ids.set(patchId, sha);
  }
  return ids;
}
