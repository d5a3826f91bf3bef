import { expect } from 'vitest';
import { runGit } from '../git/git-runner.js';
import type { TestApp } from './test-app.js';

/** Every release of a project as the API lists it (all pages). */
export async function listReleases(t: TestApp, project: string): Promise<Array<{ version: string; tag: string; commit: string; kind: string; parent: string | null; createdBy: string }>> {
  const items: Array<{ version: string; tag: string; commit: string; kind: string; parent: string | null; createdBy: string }> = [];
  let cursor: string | null = null;
  do {
    const res = await t.request({ method: 'GET', url: `/api/v1/projects/${project}/releases?limit=200${cursor ? `&cursor=${cursor}` : ''}` });
    expect(res.statusCode, res.body).toBe(200);
    items.push(...res.json().items);
    cursor = res.json().nextCursor;
  } while (cursor);
  return items;
}

async function isAncestorInRemote(remote: string, a: string, b: string): Promise<boolean> {
  const { exitCode } = await runGit([`--git-dir=${remote}`, 'merge-base', '--is-ancestor', a, b], { okExitCodes: [1] });
  return exitCode === 0;
}

/**
 * What must hold for every hotfix, checked in the real remote (PRODUCT.md §3 rule 3): its tag points at its
 * commit; `git merge-base --is-ancestor parentTag newTag`; and the line branch `hotfix/X.Y.x` contains
 * every hotfix of its line. Returns how many hotfixes were checked.
 */
export async function expectHotfixInvariants(t: TestApp, project: string, remote: string): Promise<number> {
  const releases = await listReleases(t, project);
  const byVersion = new Map(releases.map((r) => [r.version, r]));
  const hotfixes = releases.filter((r) => r.kind === 'hotfix');
  for (const hotfix of hotfixes) {
    const parent = byVersion.get(hotfix.parent!);
    expect(parent, `${hotfix.version} names parent ${hotfix.parent}`).toBeDefined();
    const tagged = (await runGit([`--git-dir=${remote}`, 'rev-parse', `refs/tags/${hotfix.tag}^{commit}`])).stdout.trim();
    expect(tagged, `tag ${hotfix.tag} in the remote`).toBe(hotfix.commit);
    expect(await isAncestorInRemote(remote, `refs/tags/${parent!.tag}`, `refs/tags/${hotfix.tag}`), `git merge-base --is-ancestor ${parent!.tag} ${hotfix.tag}`).toBe(true);
    const [major, minor] = hotfix.version.split('.');
    if (hotfix.createdBy === 'import') continue;
    const line = `refs/heads/hotfix/${major}.${minor}.x`;
    expect(await isAncestorInRemote(remote, `refs/tags/${hotfix.tag}`, line), `${line} contains ${hotfix.tag}`).toBe(true);
  }
  return hotfixes.length;
}

/** Every ref of the remote and what it points at: compare before and after a refusal. */
export async function remoteRefs(remote: string): Promise<string> {
  return (await runGit([`--git-dir=${remote}`, 'for-each-ref', '--format=%(refname) %(objectname)'])).stdout;
}
