import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRepository, type TestRepository } from '../testing/git-fixtures.js';
import { expectHotfixInvariants } from '../testing/release-checks.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

/** "Merged back" as engineers mean it (issue 9 §2). */
describe.each(DIALECTS)('merged back on %s', (dialect) => {
  let t: TestApp;
  let repo: TestRepository;
  const project = 'books';
  const show = async (version: string) => (await t.request({ method: 'GET', url: `/api/v1/projects/${project}/releases/${version}` })).json();
  const hotfix = async (version: string, payload: Record<string, unknown>) => {
    const res = await t.request({ method: 'POST', url: `/api/v1/projects/${project}/releases/${version}/hotfixes`, payload });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  /** A commit on the line branch only (pushed there by hand), released as the next hotfix. */
  async function lineOnly(message: string, files: Record<string, string>): Promise<{ sha: string; version: string }> {
    await repo.git('fetch', '--quiet', 'origin');
    await repo.git('checkout', '--quiet', '-B', 'line', 'origin/hotfix/1.0.x');
    const sha = await repo.commit(message, files);
    await repo.push('line:refs/heads/fix/line');
    await repo.checkout('main');
    return { sha, version: (await hotfix('1.0.0', { branch: 'fix/line' })).version };
  }

  beforeAll(async () => {
    t = await createTestApp(dialect);
    repo = await createTestRepository();
    await repo.commit('feat: ledger (BK-1)', { 'ledger.txt': 'one\ntwo\nthree\nfour\nfive\n', 'tax.txt': 'a\nb\nc\n' });
    await repo.push();
    await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: project, repository: repo.remote } });
    expect((await t.request({ method: 'POST', url: `/api/v1/projects/${project}/releases`, payload: {} })).json().version).toBe('1.0.0');
  });
  afterAll(async () => {
    expect(await expectHotfixInvariants(t, project, repo.remote)).toBe(4);
    await t.close();
    await repo.cleanup();
  });

  it('counts a commit cherry-picked from the default branch as merged back by its trailer, though the lines around it differ', async () => {
    // main changes line 3 first; the fix of line 5 carries it in its diff context, so the patch ids differ.
    await repo.commit('refactor: rename line three', { 'ledger.txt': 'one\ntwo\nTHREE\nfour\nfive\n' });
    const fix = await repo.commit('fix: line five (BK-2)', { 'ledger.txt': 'one\ntwo\nTHREE\nfour\nfive fixed\n' });
    await repo.push();
    const created = await hotfix('1.0.0', { commits: [fix] });
    expect(await repo.remoteGit('show', `${created.tag}:ledger.txt`)).toBe('one\ntwo\nthree\nfour\nfive fixed');
    const patchId = async (sha: string) => (await repo.gitWith(['patch-id', '--stable'], { input: await repo.remoteGit('show', sha) })).split(' ')[0];
    expect(await patchId(created.commit)).not.toBe(await patchId(fix));
    const shown = await show(created.version);
    expect(shown).toMatchObject({ mergedBack: true, unmergedCommits: [], mergeCommits: [{ sha: created.commit, how: 'cherry-pick', via: fix }], mergeCheckedAgainst: { branch: 'main' } });
  });

  it('reports a change only on the line as not merged back, then merged back by patch id once re-applied on main', async () => {
    const { sha, version } = await lineOnly('fix: rounding of tax (BK-3)', { 'tax.txt': 'a\nb rounded\nc\n' });
    const first = await show(version);
    expect(first).toMatchObject({ mergedBack: false, unmergedCommits: [sha], mergeCommits: [{ sha, how: null }] });
    // Asked again without main moving: the same answer, against the same head.
    expect(await show(version)).toEqual(first);

    await repo.gitWith(['cherry-pick', sha], {});
    await repo.push('main');
    const second = await show(version);
    expect(second).toMatchObject({ mergedBack: true, mergeCommits: [{ sha, how: 'patch-id' }] });
    expect(second.mergeCheckedAgainst.head).not.toBe(first.mergeCheckedAgainst.head);
  });

  it('says "by-ticket" when main only has a different commit naming the same ticket', async () => {
    const { sha, version } = await lineOnly('fix: VAT for Quebec (BK-4)', { 'vat.txt': 'qc 14.975\n' });
    expect(await show(version)).toMatchObject({ mergedBack: false });
    await repo.commit('fix(tax): compute Quebec VAT from the rate table (BK-4)', { 'rates.txt': 'qc: 14.975\n' });
    await repo.push('main');
    const shown = await show(version);
    expect(shown.mergedBack).toBe('by-ticket');
    expect(shown.mergeCommits).toEqual([{ sha, how: 'ticket', via: await repo.head() }]);
    // A ticket key that merely starts the same (BK-40) is no match.
    const other = await lineOnly('fix: totals (BK-40)', { 'totals.txt': 't\n' });
    await repo.commit('chore: mention BK-400 in the changelog tooling', { 'tooling.txt': 'x\n' });
    await repo.push('main');
    expect(await show(other.version)).toMatchObject({ mergedBack: false, unmergedCommits: [other.sha] });
  });
});
