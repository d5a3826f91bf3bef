import { afterEach, beforeAll, afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestRepository, type TestRepository } from '../testing/git-fixtures.js';
import { listReleases, remoteRefs } from '../testing/release-checks.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

/** Release rules, reverts, squash-merge bodies (issue 9 §4) and previews (§5), through the HTTP API. */
describe.each(DIALECTS)('release rules and dry runs on %s', (dialect) => {
  let t: TestApp;
  let repo: TestRepository;
  let project: string;
  let counter = 0;
  const create = (payload: Record<string, unknown> = {}, token?: string) =>
    t.request({ method: 'POST', url: `/api/v1/projects/${project}/releases`, payload, ...(token !== undefined && { token }) });
  const patch = (payload: Record<string, unknown>) => t.request({ method: 'PATCH', url: `/api/v1/projects/${project}`, payload });
  async function commits(...messages: string[]): Promise<string[]> {
    const shas: string[] = [];
    for (const message of messages) shas.push(await repo.commit(message));
    await repo.push();
    return shas;
  }

  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    repo = await createTestRepository();
    project = `rules-${++counter}`;
    await repo.commit('chore: initial commit');
    await repo.push();
    expect((await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: project, repository: repo.remote, initialVersion: '13.0.0' } })).statusCode).toBe(201);
    expect((await create()).json().version).toBe('13.0.0');
  });
  afterEach(() => repo.cleanup());

  it('follows a project\'s release rules, validated on PATCH, and goes back to the defaults', async () => {
    const shown = (await t.request({ method: 'GET', url: `/api/v1/projects/${project}` })).json();
    expect(shown).toMatchObject({ releaseRulesAreDefault: true, releaseRules: [{ breaking: true, release: 'major' }, { type: 'feat', release: 'minor' }, { type: 'fix', release: 'patch' }, { type: 'perf', release: 'patch' }] });

    for (const [rules, field] of [
      [[{ type: 'feat' }], 'body/releaseRules/0'],
      [[{ type: 'feat', release: 'huge' }], 'body/releaseRules/0/release'],
      [[{ type: 'feat', release: 'minor', when: 'always' }], 'body/releaseRules/0'],
      [[{ type: 'has space', release: 'minor' }], 'body/releaseRules/0/type'],
      [[{ release: 'patch' }, { type: 'feat', release: 'minor' }], 'releaseRules/1'],
      ['feat', 'body/releaseRules'],
    ] as const) {
      const res = await patch({ releaseRules: rules });
      expect(res.statusCode, JSON.stringify(rules)).toBe(400);
      expect(res.json().error.message).toContain(field);
    }
    expect((await t.request({ method: 'GET', url: `/api/v1/projects/${project}` })).json().releaseRulesAreDefault).toBe(true);

    // The old behaviour: every commit releases at least a patch.
    const oldWay = await patch({ releaseRules: [{ breaking: true, release: 'major' }, { type: 'feat', release: 'minor' }, { type: 'docs', scope: 'api-*', release: 'minor' }, { release: 'patch' }] });
    expect(oldWay.statusCode, oldWay.body).toBe(200);
    expect(oldWay.json()).toMatchObject({ releaseRulesAreDefault: false, releaseRules: [{}, {}, { scope: 'api-*' }, { release: 'patch' }] });
    await commits('chore: bump deps');
    expect((await create()).json()).toMatchObject({ version: '13.0.1', decision: { rule: { index: 3, release: 'patch' } } });
    await commits('docs(api-users): document paging');
    expect((await create()).json()).toMatchObject({ version: '13.1.0', decision: { rule: { index: 2, type: 'docs', scope: 'api-*' } } });

    expect((await patch({ releaseRules: null })).json().releaseRulesAreDefault).toBe(true);
    await commits('chore: tidy', 'docs: typo', 'ci: cache');
    const refused = await create();
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.code).toBe('nothing_to_release');
    expect(refused.json().error.message).toMatch(/^Only commits that release nothing are pending since 13\.1\.0 \(3: ci ×1, docs ×1, chore ×1\).*Send bump "patch"/);
    expect((await create({ bump: 'patch' })).json().version).toBe('13.1.1');
  });

  it('drops a commit and its revert out of the bump and the notes (a reverted BREAKING CHANGE makes a minor)', async () => {
    const [breaking] = await commits('refactor(api): new auth\n\nBREAKING CHANGE: tokens from v1 are refused (API-1)');
    await commits(`Revert "refactor(api): new auth"\n\nThis reverts commit ${breaking}.`, 'feat: saved searches (API-2)');
    const preview = (await create({ dryRun: true })).json();
    expect(preview).toMatchObject({ version: '13.1.0', reverted: [{ reverted: { sha: breaking } }], tickets: ['API-2'] });
    const res = await create();
    expect(res.json()).toMatchObject({ version: '13.1.0', kind: 'minor', tickets: ['API-2'] });
    expect(res.json().changelog.map((e: { subject: string }) => e.subject)).toEqual(['saved searches (API-2)']);
    const notes = (await t.request({ method: 'GET', url: `/api/v1/projects/${project}/releases/13.1.0/notes` })).body;
    expect(notes).not.toContain('new auth');
    expect(notes).not.toContain('API-1');

    // A revert of something already released is not in the range: it stays, and releases nothing by the
    // default rules (422 naming it); a bump releases it, or a rule { revert: true, release: patch } does.
    const saved = res.json().changelog[0].sha;
    const [revert] = await commits(`Revert "feat: saved searches (API-2)"\n\nThis reverts commit ${saved}.`);
    const lone = await create();
    expect(lone.statusCode).toBe(422);
    expect(lone.json().error).toMatchObject({ code: 'nothing_to_release', details: { pending: 1, revertsOfReleased: [saved] } });
    expect(lone.json().error.message).toContain(`a revert of ${saved.slice(0, 7)}, released earlier`);
    expect((await listReleases(t, project)).map((r) => r.version)).not.toContain('13.1.1');
    const patchRelease = (await create({ bump: 'patch' })).json();
    expect(patchRelease).toMatchObject({ version: '13.1.1', changelog: [{ sha: revert, reverts: saved }] });
    await patch({ releaseRules: [{ revert: true, release: 'patch' }, { type: 'feat', release: 'minor' }] });
    const [again] = await commits(`Revert "a change"\n\nThis reverts commit ${saved}.`);
    expect((await create()).json()).toMatchObject({ version: '13.1.2', decision: { rule: { index: 0, revert: true } }, changelog: [{ sha: again }] });
    await patch({ releaseRules: null });
    // Commits that only revert each other release nothing.
    const [a] = await commits('feat: experiment');
    await commits(`Revert "feat: experiment"\n\nThis reverts commit ${a}.`);
    expect((await create()).json().error).toMatchObject({ code: 'nothing_to_release', message: expect.stringContaining('revert each other') });
  });

  it('reads further conventional commits in a squash-merge body, and prints no ticket twice', async () => {
    await patch({ ticketPattern: '#\\d+' });
    await commits(['chore: merge pull request #2069 (#2069)', '', 'fix(api): retry on 503 (#2069)', '', 'feat(web): show retry status', '  Refs #2070'].join('\n'));
    const res = await create();
    expect(res.json()).toMatchObject({ version: '13.1.0', commitCount: 1, tickets: ['#2069', '#2070'] });
    expect(res.json().changelog.map((e: { type: string; subject: string; part?: number }) => [e.type, e.subject, e.part ?? 0])).toEqual([
      ['chore', 'merge pull request #2069 (#2069)', 0],
      ['fix', 'retry on 503 (#2069)', 1],
      ['feat', 'show retry status', 2],
    ]);
    const notes = (await t.request({ method: 'GET', url: `/api/v1/projects/${project}/releases/13.1.0/notes` })).body;
    expect(notes).toContain('retry on 503 (\\#2069) (`');
    expect(notes).not.toMatch(/\(\\#2069\) \(\\#2069\)/);
  });

  it('previews a release (dryRun): what it would be and why, with nothing tagged, pushed or recorded', async () => {
    await commits('fix: null check (API-7)', 'feat(search): facets (API-8)', 'docs: search guide');
    const before = { refs: await remoteRefs(repo.remote), releases: await listReleases(t, project), audit: (await t.request({ method: 'GET', url: '/api/v1/audit?limit=200' })).json().items.length };
    const res = await create({ dryRun: true });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      dryRun: true,
      wouldRelease: true,
      problems: [],
      project,
      version: '13.1.0',
      tag: 'v13.1.0',
      kind: 'minor',
      commit: await repo.head(),
      ref: 'main',
      previous: '13.0.0',
      commitCount: 3,
      tickets: ['API-8', 'API-7'],
      decision: { required: 'minor', requested: 'auto', applied: 'minor', rule: { index: 1, type: 'feat', release: 'minor' }, commit: { subject: 'facets (API-8)' }, counts: { minor: 1, patch: 1, none: 1 } },
    });
    expect(res.json().decision.reason).toMatch(/^minor because feat "facets \(API-8\)" \(\w{7}\) matched release rule 1/);
    expect(res.json().changelog).toHaveLength(3);
    expect(await remoteRefs(repo.remote)).toBe(before.refs);
    expect(await listReleases(t, project)).toEqual(before.releases);
    expect((await t.request({ method: 'GET', url: '/api/v1/audit?limit=200' })).json().items.length).toBe(before.audit);
    // The real release is what the preview said.
    expect((await create()).json()).toMatchObject({ version: '13.1.0', tag: 'v13.1.0', commit: res.json().commit });
  });

  it('lists every reason a release would be refused, and answers bad input like the real request', async () => {
    await commits('chore: deps', 'docs: readme');
    const nothing = (await create({ dryRun: true })).json();
    expect(nothing).toMatchObject({ wouldRelease: false, version: null, tag: null, problems: [{ code: 'nothing_to_release' }], commitCount: 2 });
    expect(nothing.changelog.map((e: { subject: string }) => e.subject)).toEqual(['readme', 'deps']);

    await commits('feat!: new config');
    await repo.tag('v14.0.0');
    await repo.push('--tags');
    expect((await create({ dryRun: true, bump: 'minor' })).json().problems.map((p: { code: string }) => p.code)).toEqual(['bump_too_low']);
    const taken = (await create({ dryRun: true })).json();
    expect(taken).toMatchObject({ wouldRelease: false, version: '14.0.0', tag: 'v14.0.0', problems: [{ code: 'tag_exists' }] });

    expect((await create({ dryRun: true, ref: 'no-such-branch' })).statusCode).toBe(422);
    expect((await create({ dryRun: 'yes' })).statusCode).toBe(400);
    expect((await create({ dryRun: true }, await t.tokenFor('viewer'))).statusCode).toBe(403);
  });

  it('previews a hotfix: the cherry-pick is tried aside, nothing reaches the remote', async () => {
    const [fix] = await commits('fix: urgent (API-9)');
    const before = await remoteRefs(repo.remote);
    const preview = await t.request({ method: 'POST', url: `/api/v1/projects/${project}/releases/13.0.0/hotfixes`, payload: { commits: [fix], dryRun: true } });
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toMatchObject({ dryRun: true, wouldRelease: true, version: '13.0.1', kind: 'hotfix', parent: '13.0.0', ref: 'hotfix/13.0.x', tickets: ['API-9'] });
    expect(await remoteRefs(repo.remote)).toBe(before);
    await commits('feat: next minor');
    expect((await create()).json().version).toBe('13.1.0');
    const refused = await t.request({ method: 'POST', url: `/api/v1/projects/${project}/releases/13.0.0/hotfixes`, payload: { branch: 'main', dryRun: true } });
    expect(refused.json()).toMatchObject({ wouldRelease: false, version: null, commit: null, problems: [{ code: 'invalid_hotfix_source' }] });
  });
});
