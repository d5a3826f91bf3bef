import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { createTestRepository, type TestRepository } from '../testing/git-fixtures.js';
import { DIALECTS } from '../testing/test-database.js';
import { expectHotfixInvariants } from '../testing/release-checks.js';

describe.each(DIALECTS)('hotfixes on %s', (dialect) => {
  let t: TestApp;
  let repo: TestRepository;
  const project = 'shop';
  const release = (payload: Record<string, unknown> = {}) => t.request({ method: 'POST', url: `/api/v1/projects/${project}/releases`, payload });
  const hotfix = (version: string, payload: Record<string, unknown>) => t.request({ method: 'POST', url: `/api/v1/projects/${project}/releases/${version}/hotfixes`, payload });
  const show = (version: string) => t.request({ method: 'GET', url: `/api/v1/projects/${project}/releases/${version}` });

  beforeAll(async () => {
    t = await createTestApp(dialect);
    repo = await createTestRepository();
    await repo.commit('feat: shop (SHOP-1)', { 'cart.txt': 'cart v1\n' });
    await repo.push();
    await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: project, repository: repo.remote, initialVersion: '1.3.0' } });
    expect((await release()).json().version).toBe('1.3.0');
    await repo.commit('feat: wishlist (SHOP-2)', { 'wishlist.txt': 'wishlist\n' });
    await repo.push();
    expect((await release()).json().version).toBe('1.4.0');
  });
  afterAll(async () => {
    // git merge-base --is-ancestor parentTag newTag, for every hotfix made here.
    expect(await expectHotfixInvariants(t, project, repo.remote)).toBeGreaterThanOrEqual(7);
    await t.close();
    await repo.cleanup();
  });

  it('cherry-picks onto hotfix/1.4.x, pushes the branch and releases 1.4.1 then 1.4.2; 1.3.x stays on its line', async () => {
    await repo.commit('fix: rounding in totals (SHOP-9)', { 'totals.txt': 'rounded\n' });
    await repo.push();
    const fix = await repo.head();
    const first = await hotfix('1.4.0', { commits: [fix] });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ version: '1.4.1', kind: 'hotfix', parent: '1.4.0', tag: 'v1.4.1', ref: 'hotfix/1.4.x', tickets: ['SHOP-9'] });
    expect(await repo.remoteGit('rev-parse', 'refs/heads/hotfix/1.4.x')).toBe(first.json().commit);

    await repo.commit('fix: tax for Quebec (SHOP-10)', { 'tax.txt': 'qc\n' });
    await repo.push();
    const second = await hotfix('1.4.0', { commits: [await repo.head()] });
    expect(second.json()).toMatchObject({ version: '1.4.2', previous: '1.4.1' });
    expect(second.json().changelog).toHaveLength(1);

    const old = await hotfix('1.3.0', { commits: [fix] });
    expect(old.json()).toMatchObject({ version: '1.3.1', parent: '1.3.0', ref: 'hotfix/1.3.x' });
  });

  it('gives parallel hotfix requests on one line consecutive numbers', async () => {
    const shas: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      await repo.commit(`fix: parallel ${name}`, { [`parallel-${name}.txt`]: name });
      shas.push(await repo.head());
    }
    await repo.push();
    const results = await Promise.all(shas.map((sha) => hotfix('1.4.0', { commits: [sha] })));
    expect(results.map((r) => r.statusCode)).toEqual([201, 201, 201]);
    expect(results.map((r) => r.json().version).sort()).toEqual(['1.4.3', '1.4.4', '1.4.5']);
  });

  it('refuses a conflicting cherry-pick with 409 naming the commit and files, leaving the remote untouched', async () => {
    await repo.commit('refactor: rewrite cart', { 'cart.txt': 'cart v2 rewritten\n' });
    await repo.commit('fix: cart rounding', { 'cart.txt': 'cart v2 rewritten, rounded\n' });
    await repo.push();
    const conflicting = await repo.head();
    const before = await repo.remoteGit('for-each-ref', '--format=%(refname) %(objectname)');
    const res = await hotfix('1.3.0', { commits: [conflicting] });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'cherry_pick_conflict', details: { commit: conflicting, files: ['cart.txt'] } });
    expect(await repo.remoteGit('for-each-ref', '--format=%(refname) %(objectname)')).toBe(before);
  });

  it('says mergedBack: false until the fix is on the default branch, comparing by patch id', async () => {
    // A fix made on the maintenance line only.
    await repo.git('fetch', 'origin');
    await repo.checkout('origin/hotfix/1.3.x');
    await repo.git('checkout', '-B', 'hotfix/1.3.x');
    await repo.commit('fix: only on 1.3 (SHOP-20)', { 'legacy.txt': 'legacy fix\n' });
    const onlyOnLine = await repo.head();
    await repo.push('hotfix/1.3.x');
    const res = await hotfix('1.3.0', { branch: 'hotfix/1.3.x' });
    expect(res.statusCode).toBe(201);
    const version = res.json().version;
    // The list says it too, without a page per hotfix: null until the first check (which the list starts in the background).
    const listed = async () => (await t.request({ method: 'GET', url: `/api/v1/projects/${project}/releases?limit=100` })).json().items as Array<{ version: string; kind: string; mergedBack?: unknown }>;
    const mergedInList = async () => (await listed()).find((r) => r.version === version)!.mergedBack;
    expect([null, false]).toContain(await mergedInList());
    for (let i = 0; i < 200 && (await mergedInList()) === null; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await mergedInList()).toBe(false);
    const items = await listed();
    expect(items.filter((r) => r.kind !== 'hotfix').every((r) => !('mergedBack' in r))).toBe(true);
    expect(items.filter((r) => r.kind === 'hotfix').every((r) => 'mergedBack' in r)).toBe(true);
    const shown = (await show(version)).json();
    expect(shown).toMatchObject({ kind: 'hotfix', mergedBack: false, unmergedCommits: [onlyOnLine] });

    await repo.checkout('main');
    await repo.git('cherry-pick', onlyOnLine);
    await repo.push('main');
    expect((await show(version)).json()).toMatchObject({ mergedBack: true, unmergedCommits: [] });
    // The list shows the latest answer: the one just computed against the new head.
    expect(await mergedInList()).toBe(true);
  });

  it('refuses bad hotfix input', async () => {
    expect((await hotfix('9.9.9', { commits: ['abcdef1'] })).statusCode).toBe(404);
    expect((await hotfix('1.4.0', { commits: ['not-a-sha'] })).statusCode).toBe(400);
    expect((await hotfix('1.4.0', {})).statusCode).toBe(400);
    expect((await hotfix('1.4.0', { commits: ['abc1234'], branch: 'x' })).statusCode).toBe(400);
    const unknown = await hotfix('1.4.0', { commits: ['deadbeefdeadbeefdeadbeefdeadbeefdeadbeef'] });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error.code).toBe('ref_not_found');
    const notDescendant = await hotfix('1.4.0', { branch: 'hotfix/1.3.x' });
    expect(notDescendant.statusCode).toBe(409);
    expect(notDescendant.json().error.code).toBe('hotfix_line_conflict');

  });
});
