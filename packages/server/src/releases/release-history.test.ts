import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGit } from '../git/git-runner.js';
import { bump, expectedRelease, HistoryGenerator, type CommitSpec, type Window } from '../testing/generated-history.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

/**
 * Replays a realistic generated history (a few hundred commits with merges, reverts, squash-merge bodies
 * and hand-made tags) and checks every version Slipway gives against an independent model of the rules.
 */
describe.each(DIALECTS)('a replayed repository history on %s', (dialect) => {
  let t: TestApp;
  let history: HistoryGenerator;
  const tagged: string[] = [];
  const later: Window[] = [];
  let adoptedLatest = '';

  beforeAll(async () => {
    t = await createTestApp(dialect);
    history = await HistoryGenerator.create(9);
    // Before Slipway: another tool released and tagged by hand, annotated and lightweight tags alike.
    let version: string | null = null;
    let pending: CommitSpec[] = [];
    for (let i = 0; i < 8; i++) {
      const window = await history.window(10 + (i % 4) * 2);
      pending.push(...window.commits);
      const expected = expectedRelease(pending);
      if (version !== null && expected.bump === null) continue;
      version = version === null ? '1.0.0' : bump(version, expected.bump!);
      await history.tag(`v${version}`, window.end, i % 2 === 0);
      tagged.push(version);
      pending = [];
    }
    adoptedLatest = version!;
    await history.tag('nightly-2024-05-01', history.head, false);
    await history.tag('v2', history.head, false);
    for (let i = 0; i < 14; i++) later.push(i === 6 || i === 10 ? await history.quiet(3) : await history.window(8 + (i % 5)));
  }, 120_000);
  afterAll(async () => {
    await t.close();
    await rm(path.dirname(history.dir), { recursive: true, force: true });
  });

  it('generates what it claims: merges, reverts in and across windows, squash bodies, a few hundred commits', async () => {
    const merges = Number((await runGit([`--git-dir=${history.dir}`, 'rev-list', '--merges', '--count', 'main'])).stdout.trim());
    expect(merges).toBeGreaterThan(10);
    const commits = history.all;
    expect(commits.length).toBeGreaterThan(250);
    expect(commits.filter((c) => c.parts.length > 0).length).toBeGreaterThan(5);
    const position = new Map(commits.map((c, i) => [c.sha, i]));
    const reverts = commits.filter((c) => c.revertOf);
    expect(reverts.length).toBeGreaterThan(5);
    // Some revert a commit of their own window, some one released long before.
    expect(reverts.some((r) => position.get(r.sha)! - position.get(r.revertOf!)! > 40)).toBe(true);
    expect(reverts.some((r) => position.get(r.sha)! - position.get(r.revertOf!)! < 10)).toBe(true);
    expect(tagged.length).toBeGreaterThanOrEqual(5);
  });

  it('adopts the hand-made tags, then gives every later release the version the rules give', async () => {
    const created = await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'history', repository: history.dir } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().import).toMatchObject({ imported: tagged.length, versions: tagged, latest: adoptedLatest });
    expect(created.json().import.skipped.map((s: { tag: string; reason: string }) => `${s.tag}:${s.reason}`).sort()).toEqual(['nightly-2024-05-01:template_mismatch', 'v2:not_semver']);

    let version = adoptedLatest;
    let pending: CommitSpec[] = [];
    let made = 0;
    let nothing = 0;
    for (const [i, window] of later.entries()) {
      pending.push(...window.commits);
      const expected = expectedRelease(pending);
      if (i === 4 && expected.bump) {
        // A tag made by hand after adoption is refused, not adopted behind anyone's back.
        const name = `v${bump(version, expected.bump)}`;
        await runGit([`--git-dir=${history.dir}`, 'tag', name, window.end]);
        const refused = await t.request({ method: 'POST', url: '/api/v1/projects/history/releases', payload: { ref: window.end } });
        expect(refused.statusCode, refused.body).toBe(409);
        expect(refused.json().error.code).toBe('tag_exists');
        await runGit([`--git-dir=${history.dir}`, 'tag', '-d', name]);
      }
      const res = await t.request({ method: 'POST', url: '/api/v1/projects/history/releases', payload: { ref: window.end } });
      if (expected.bump === null) {
        expect(res.statusCode, `window ${i}: ${res.body}`).toBe(422);
        expect(res.json().error.code).toBe('nothing_to_release');
        nothing += 1;
        continue;
      }
      expect(res.statusCode, `window ${i}: ${res.body}`).toBe(201);
      const previous = version;
      version = bump(version, expected.bump);
      expect(res.json(), `window ${i}`).toMatchObject({ version, previous, commit: window.end });
      expect(res.json().changelog, `window ${i}`).toHaveLength(expected.entries);
      made += 1;
      pending = [];
    }
    expect(made).toBeGreaterThanOrEqual(8);
    expect(nothing).toBeGreaterThanOrEqual(2);
    const listed = (await t.request({ method: 'GET', url: '/api/v1/projects/history/releases?limit=200' })).json().items;
    expect(listed).toHaveLength(tagged.length + made);
    expect(listed[0].version).toBe(version);
    console.log(`[history] ${history.all.length} commits; adopted ${tagged.length} tags up to ${adoptedLatest}; ${made} releases up to ${version}; ${nothing} windows with nothing to release`);
  });
});
