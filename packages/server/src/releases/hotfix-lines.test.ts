import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRepository, type TestRepository } from '../testing/git-fixtures.js';
import { expectHotfixInvariants, listReleases, remoteRefs } from '../testing/release-checks.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

/**
 * Hotfix lines never drop a fix (issue 9 §1), whatever mix of `commits` and `branch` hotfixes and
 * whichever release of the line is named. Each test builds on the previous one, like a team's history.
 */
describe.each(DIALECTS)('hotfix lines on %s', (dialect) => {
  let t: TestApp;
  let repo: TestRepository;
  const project = 'pay';
  const hotfix = (version: string, payload: Record<string, unknown>) => t.request({ method: 'POST', url: `/api/v1/projects/${project}/releases/${version}/hotfixes`, payload });
  const release = (payload: Record<string, unknown> = {}) => t.request({ method: 'POST', url: `/api/v1/projects/${project}/releases`, payload });
  const lineHead = (line: string) => repo.remoteGit('rev-parse', `refs/heads/hotfix/${line}`);
  const fileAt = (tag: string, file: string) => repo.remoteGit('show', `${tag}:${file}`);

  /** A commit on a new branch made from `from`, pushed; returns its sha. */
  async function branchWithFix(name: string, from: string, message: string, files: Record<string, string>): Promise<string> {
    await repo.git('fetch', '--quiet', 'origin');
    await repo.git('checkout', '--quiet', '-B', name, from);
    const sha = await repo.commit(message, files);
    await repo.push(`${name}:refs/heads/${name}`);
    await repo.checkout('main');
    return sha;
  }

  async function onMain(message: string, files: Record<string, string>): Promise<string> {
    await repo.checkout('main');
    const sha = await repo.commit(message, files);
    await repo.push('main');
    return sha;
  }

  beforeAll(async () => {
    t = await createTestApp(dialect);
    repo = await createTestRepository();
    await repo.commit('feat: payments (PAY-1)', { 'pay.txt': 'a\nb\nc\n' });
    await repo.push();
    expect((await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: project, repository: repo.remote, initialVersion: '2.1.0' } })).statusCode).toBe(201);
    expect((await release()).json().version).toBe('2.1.0');
    await onMain('feat: refunds (PAY-2)', { 'refunds.txt': 'refunds\n' });
    expect((await release()).json().version).toBe('2.2.0');
  });

  afterAll(async () => {
    // git merge-base --is-ancestor parentTag newTag, for every hotfix these tests created.
    expect(await expectHotfixInvariants(t, project, repo.remote)).toBeGreaterThanOrEqual(10);
    await t.close();
    await repo.cleanup();
  });

  it('a later "--commit" hotfix keeps a fix released from a branch (the reported PAY-180 case)', async () => {
    const rounding = await onMain('fix: rounding (PAY-170)', { 'rounding.txt': 'rounded\n' });
    const first = await hotfix('2.1.0', { commits: [rounding] });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ version: '2.1.1', parent: '2.1.0', ref: 'hotfix/2.1.x' });
    expect(await lineHead('2.1.x')).toBe(first.json().commit);

    // 2.1.2 from a branch: the line branch moves to it in the same push as the tag.
    const pay180 = await branchWithFix('fix/pay-180', 'v2.1.1', 'fix: double charge (PAY-180)', { 'charge.txt': 'charged once\n' });
    const second = await hotfix('2.1.1', { branch: 'fix/pay-180' });
    expect(second.statusCode, second.body).toBe(201);
    expect(second.json()).toMatchObject({ version: '2.1.2', parent: '2.1.1', ref: 'fix/pay-180', commit: pay180, tickets: ['PAY-180'] });
    expect(await lineHead('2.1.x')).toBe(pay180);

    // 2.1.3 by cherry-pick builds on 2.1.2: it holds PAY-180, and compare shows just the new commit.
    const receipts = await onMain('fix: receipts (PAY-190)', { 'receipts.txt': 'receipts\n' });
    const third = await hotfix('2.1.2', { commits: [receipts] });
    expect(third.json()).toMatchObject({ version: '2.1.3', parent: '2.1.2', previous: '2.1.2' });
    expect(await fileAt('v2.1.3', 'charge.txt')).toBe('charged once');
    const cmp = (await t.request({ method: 'GET', url: `/api/v1/projects/${project}/compare?from=2.1.2&to=2.1.3` })).json();
    expect(cmp.commits.map((c: { subject: string }) => c.subject)).toEqual(['receipts (PAY-190)']);
  });

  it('a hotfix asked "from" an older release of the line builds on the latest and says so', async () => {
    const audit = await onMain('fix: audit trail (PAY-200)', { 'audit.txt': 'audit\n' });
    const res = await hotfix('2.1.1', { commits: [audit] });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ version: '2.1.4', parent: '2.1.3', requestedFrom: '2.1.1' });
    expect(res.json().notices[0]).toContain('2.1.1 is not the latest release of line 2.1.x: the hotfix is built on 2.1.3');
    for (const file of ['rounding.txt', 'charge.txt', 'receipts.txt', 'audit.txt']) await fileAt('v2.1.4', file);
    expect(await lineHead('2.1.x')).toBe(res.json().commit);
  });

  it('refuses with 409 a branch that lacks the latest release of the line, naming it, and changes nothing', async () => {
    await branchWithFix('fix/old-base', 'v2.1.1', 'fix: built on an old release (PAY-210)', { 'old.txt': 'old\n' });
    const before = await remoteRefs(repo.remote);
    const res = await hotfix('2.1.1', { branch: 'fix/old-base' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'hotfix_line_conflict', details: { latest: '2.1.4', tag: 'v2.1.4' } });
    expect(res.json().error.message).toContain('does not contain 2.1.4, the latest release of line 2.1.x (you asked for a hotfix of 2.1.1)');
    expect(res.json().error.message).toContain('git rebase v2.1.4 fix/old-base');
    expect(await remoteRefs(repo.remote)).toBe(before);
    expect((await listReleases(t, project)).map((r) => r.version)).not.toContain('2.1.5');
  });

  it('keeps commits pushed to the line branch by hand: a branch without them is refused, a cherry-pick carries them', async () => {
    const byHand = await branchWithFix('hotfix/2.1.x', 'origin/hotfix/2.1.x', 'fix: pushed straight to the line (PAY-220)', { 'direct.txt': 'direct\n' });
    await branchWithFix('fix/on-tag', 'v2.1.4', 'fix: on the tag only (PAY-221)', { 'ontag.txt': 'x\n' });
    const before = await remoteRefs(repo.remote);
    const refused = await hotfix('2.1.4', { branch: 'fix/on-tag' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.message).toContain('hotfix/2.1.x has commits that branch fix/on-tag lacks');
    expect(await remoteRefs(repo.remote)).toBe(before);

    const picked = await onMain('fix: settlement (PAY-222)', { 'settlement.txt': 's\n' });
    const res = await hotfix('2.1.4', { commits: [picked] });
    expect(res.json()).toMatchObject({ version: '2.1.5', parent: '2.1.4' });
    expect(res.json().changelog.map((e: { sha: string; subject: string }) => e.subject)).toEqual(['settlement (PAY-222)', 'pushed straight to the line (PAY-220)']);
    expect(res.json().changelog[1].sha).toBe(byHand);
  });

  it('leaves the remote exactly as it was after a conflict, an empty pick or a bad branch (no line branch appears)', async () => {
    await onMain('refactor: rewrite payments', { 'pay.txt': 'A\nB\nC\n' });
    const conflicting = await onMain('fix: payments edge case (PAY-230)', { 'pay.txt': 'A\nB2\nC\n' });
    const refunds = (await listReleases(t, project)).find((r) => r.version === '2.2.0')!.commit;
    const before = await remoteRefs(repo.remote);
    expect(before).not.toContain('hotfix/2.2.x');

    const conflict = await hotfix('2.2.0', { commits: [conflicting] });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error).toMatchObject({ code: 'cherry_pick_conflict', details: { commit: conflicting, files: ['pay.txt'], branch: 'hotfix/2.2.x' } });
    const empty = await hotfix('2.2.0', { commits: [refunds] });
    expect(empty.statusCode).toBe(422);
    expect(empty.json().error.code).toBe('nothing_to_release');
    const badBranch = await hotfix('2.2.0', { branch: 'no-such-branch' });
    expect(badBranch.statusCode).toBe(422);
    expect(badBranch.json().error.code).toBe('ref_not_found');
    const unknown = await hotfix('2.2.0', { commits: ['0123456789abcdef0123456789abcdef01234567'] });
    expect(unknown.statusCode).toBe(422);
    const mainAsHotfix = await hotfix('2.1.0', { branch: 'main' });
    expect(mainAsHotfix.statusCode).toBe(409);

    expect(await remoteRefs(repo.remote)).toBe(before);
    expect((await listReleases(t, project)).filter((r) => r.version.startsWith('2.2.'))).toHaveLength(1);
  });

  it('refuses a main release that would jump over a hotfix it lacks; once main holds it, main continues the line', async () => {
    const lineOnly = await branchWithFix('fix/ledger', 'v2.2.0', 'fix: ledger totals (PAY-240)', { 'ledger.txt': 'ledger\n' });
    const first = await hotfix('2.2.0', { branch: 'fix/ledger' });
    expect(first.json()).toMatchObject({ version: '2.2.1', commit: lineOnly });

    // main has only fixes since 2.2.0, so it computes 2.2.x — but 2.2.1 holds PAY-240 and main does not.
    const before = await remoteRefs(repo.remote);
    const refused = await release();
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'hotfix_not_merged', details: { version: '2.2.2', skipped: ['2.2.1'], unmerged: [lineOnly] } });
    expect(refused.json().error.message).toContain('"fix: ledger totals (PAY-240)"');
    expect(await remoteRefs(repo.remote)).toBe(before);
    const preview = (await release({ dryRun: true })).json();
    expect(preview).toMatchObject({ dryRun: true, wouldRelease: false, version: null, problems: [{ code: 'hotfix_not_merged' }] });

    // Cherry-pick the fix into main: a new commit with the same change. main may now jump over 2.2.1.
    await repo.checkout('main');
    await repo.git('cherry-pick', '-x', lineOnly);
    await repo.push('main');
    const picked = await release();
    expect(picked.statusCode, picked.body).toBe(201);
    expect(picked.json()).toMatchObject({ version: '2.2.2', kind: 'patch', previous: '2.2.0' });
    expect(picked.json().notices[0]).toContain('2.2.1 is already released on a maintenance line and main contains its change');

    // hotfix/2.2.x (at 2.2.1) and 2.2.2 have diverged: the next hotfix is refused until they are reconciled.
    const fee = await onMain('fix: fee rounding (PAY-250)', { 'fee.txt': 'fee\n' });
    const diverged = await hotfix('2.2.1', { commits: [fee] });
    expect(diverged.statusCode).toBe(409);
    expect(diverged.json().error.message).toContain('hotfix/2.2.x does not contain 2.2.2 (v2.2.2), the latest release of line 2.2.x');
    await repo.git('fetch', '--quiet', '--tags', 'origin');
    await repo.git('checkout', '--quiet', '-B', 'hotfix/2.2.x', 'origin/hotfix/2.2.x');
    await repo.git('merge', '--quiet', '--no-edit', '-X', 'theirs', 'v2.2.2');
    await repo.push('hotfix/2.2.x:refs/heads/hotfix/2.2.x');
    await repo.checkout('main');
    const next = await hotfix('2.2.1', { commits: [fee] });
    expect(next.statusCode, next.body).toBe(201);
    expect(next.json()).toMatchObject({ version: '2.2.3', parent: '2.2.2' });
    expect(await fileAt('v2.2.3', 'ledger.txt')).toBe('ledger');
    expect(await fileAt('v2.2.3', 'fee.txt')).toBe('fee');

    // Merging the line into main also works: main holds 2.2.3 by ancestry and continues from it.
    await repo.git('fetch', '--quiet', 'origin');
    await repo.git('merge', '--quiet', '--no-edit', '-X', 'theirs', 'origin/hotfix/2.2.x');
    await repo.push('main');
    await onMain('fix: statement dates (PAY-260)', { 'statement.txt': 's\n' });
    const merged = await release();
    expect(merged.json()).toMatchObject({ version: '2.2.4', previous: '2.2.3' });
  });

  it('numbers parallel hotfixes mixing commits and branches in order; a branch overtaken by another hotfix is refused', async () => {
    await onMain('feat: payouts (PAY-300)', { 'payouts.txt': 'payouts\n' });
    const minor = await release();
    expect(minor.json().version).toBe('2.3.0');
    const picks: string[] = [];
    for (const n of [1, 2, 3]) picks.push(await onMain(`fix: payout fix ${n} (PAY-31${n})`, { [`payout-${n}.txt`]: `${n}\n` }));
    for (const n of [1, 2, 3]) await branchWithFix(`fix/payout-${n}`, 'v2.3.0', `fix: branch fix ${n} (PAY-32${n})`, { [`branch-${n}.txt`]: `${n}\n` });

    const results = await Promise.all([
      hotfix('2.3.0', { commits: [picks[0]] }),
      hotfix('2.3.0', { branch: 'fix/payout-1' }),
      hotfix('2.3.0', { commits: [picks[1]] }),
      hotfix('2.3.0', { branch: 'fix/payout-2' }),
      hotfix('2.3.0', { commits: [picks[2]] }),
      hotfix('2.3.0', { branch: 'fix/payout-3' }),
    ]);
    for (const r of results) {
      expect([201, 409], r.body).toContain(r.statusCode);
      if (r.statusCode === 409) expect(r.json().error.code).toBe('hotfix_line_conflict');
    }
    const made = results.filter((r) => r.statusCode === 201).map((r) => r.json());
    expect(made.length).toBeGreaterThanOrEqual(3);
    expect(made.map((r) => r.version).sort()).toEqual(made.map((_, i) => `2.3.${i + 1}`));
    // Each was built on the one before it.
    for (const r of made) expect(r.parent).toBe(r.version === '2.3.1' ? '2.3.0' : `2.3.${Number(r.version.split('.')[2]) - 1}`);
    const last = made.find((r) => r.version === `2.3.${made.length}`);
    expect(await lineHead('2.3.x')).toBe(last.commit);
    for (const n of [1, 2, 3]) expect(await fileAt(last.tag, `payout-${n}.txt`)).toBe(String(n));
  });
});
