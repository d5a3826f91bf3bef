import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRepository, type TestRepository } from '../testing/git-fixtures.js';
import { listReleases, remoteRefs } from '../testing/release-checks.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

/** Adopting a repository that already has tags (issue 9 §3). */
describe.each(DIALECTS)('importing existing tags on %s', (dialect) => {
  let t: TestApp;
  let repo: TestRepository;
  const project = 'legacy';
  const release = (payload: Record<string, unknown> = {}) => t.request({ method: 'POST', url: `/api/v1/projects/${project}/releases`, payload });
  const importTags = (key = project) => t.request({ method: 'POST', url: `/api/v1/projects/${key}/releases/import` });

  beforeAll(async () => {
    t = await createTestApp(dialect);
    repo = await createTestRepository();
    await repo.commit('feat: first version (LEG-1)', { 'app.txt': '1\n' });
    await repo.tag('v1.0.0', { message: 'Release 1.0.0' });
    await repo.commit('feat: search (LEG-2)');
    await repo.tag('v1.1.0');
    await repo.commit('docs: notes');
    await repo.tag('release-2020');
    await repo.tag('v1.3');
    await repo.tag('v01.2.3');
    await repo.push();
    // 1.1.1 was made on a maintenance branch that never went back to main.
    await repo.branch('maint/1.1', 'v1.1.0');
    await repo.commit('fix: crash on empty query (LEG-3)');
    await repo.tag('v1.1.1', { message: 'Hotfix 1.1.1' });
    await repo.push('maint/1.1', '--tags');
    await repo.checkout('main');
    await repo.commit('feat: export (LEG-4)');
    await repo.tag('v1.2.0-rc.1', { message: 'rc' });
    await repo.commit('fix: export encoding (LEG-5)');
    await repo.tag('v1.2.0', { message: 'Release 1.2.0' });
    await repo.tag('api-v0.9.0', { ref: 'v1.0.0' });
    await repo.tag('api-v1.0.0', { ref: 'v1.0.0' });
    const blob = await repo.gitWith(['hash-object', '-w', '--stdin'], { input: 'not a commit' });
    await repo.git('tag', 'v9.9.9', blob);
    await repo.push();
  });
  afterAll(async () => {
    await t.close();
    await repo.cleanup();
  });

  it('imports matching semver tags at creation, before answering, without touching a tag, and reports what it skipped', async () => {
    const before = await remoteRefs(repo.remote);
    const res = await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: project, repository: repo.remote } });
    expect(res.statusCode, res.body).toBe(201);
    const report = res.json().import;
    expect(report).toMatchObject({ imported: 5, versions: ['1.0.0', '1.1.0', '1.1.1', '1.2.0-rc.1', '1.2.0'], latest: '1.2.0', alreadyRecorded: 0, skippedCount: 6 });
    const skipped = Object.fromEntries(report.skipped.map((s: { tag: string; reason: string }) => [s.tag, s.reason]));
    expect(skipped).toEqual({
      'v9.9.9': 'not_a_commit',
      'api-v0.9.0': 'template_mismatch',
      'api-v1.0.0': 'template_mismatch',
      'release-2020': 'template_mismatch',
      'v01.2.3': 'not_semver',
      'v1.3': 'not_semver',
    });
    expect(await remoteRefs(repo.remote)).toBe(before);

    const listed = await listReleases(t, project);
    expect(listed.map((r) => [r.version, r.kind, r.parent, r.createdBy])).toEqual([
      ['1.2.0', 'minor', null, 'import'],
      ['1.2.0-rc.1', 'prerelease', null, 'import'],
      ['1.1.1', 'hotfix', '1.1.0', 'import'],
      ['1.1.0', 'minor', null, 'import'],
      ['1.0.0', 'major', null, 'import'],
    ]);
    const one = (await t.request({ method: 'GET', url: `/api/v1/projects/${project}/releases/1.2.0` })).json();
    expect(one).toMatchObject({ tag: 'v1.2.0', commit: await repo.git('rev-parse', 'v1.2.0^{commit}'), importedAt: expect.any(String), changelog: [], previous: '1.1.1' });
    // An imported hotfix has no recorded changelog: merged-back looks at the commits between the two tags.
    const maintFix = await repo.git('rev-parse', 'v1.1.1^{commit}');
    expect((await t.request({ method: 'GET', url: `/api/v1/projects/${project}/releases/1.1.1` })).json()).toMatchObject({ kind: 'hotfix', mergedBack: false, unmergedCommits: [maintFix] });
    const notes = await t.request({ method: 'GET', url: `/api/v1/projects/${project}/releases/1.2.0/notes` });
    expect(notes.body).toContain('Adopted from the existing tag `v1.2.0`');
    const audit = (await t.request({ method: 'GET', url: `/api/v1/audit?action=release.imported&resourceId=${project}` })).json();
    expect(audit.items[0].after).toMatchObject({ imported: 5, latest: '1.2.0' });
  });

  it('continues from the latest imported version, with a changelog only since it', async () => {
    await repo.commit('feat: webhooks (LEG-6)');
    await repo.push();
    const res = await release();
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ version: '1.3.0', previous: '1.2.0', tickets: ['LEG-6'] });
    expect(res.json().changelog.map((e: { subject: string }) => e.subject)).toEqual(['webhooks (LEG-6)']);
  });

  it('re-runs the import idempotently', async () => {
    const again = await importTags();
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ imported: 0, versions: [], alreadyRecorded: 6, latest: '1.3.0' });
    expect(await listReleases(t, project)).toHaveLength(6);
  });

  it('still refuses a tag made by hand after adoption (409 tag_exists), until it is imported on purpose', async () => {
    await repo.commit('fix: retries (LEG-7)');
    await repo.tag('v1.3.1');
    await repo.push();
    const refused = await release();
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('tag_exists');
    expect(refused.json().error.message).toContain(`POST /api/v1/projects/${project}/releases/import`);
    expect((await listReleases(t, project)).map((r) => r.version)).not.toContain('1.3.1');

    expect((await importTags()).json()).toMatchObject({ imported: 1, versions: ['1.3.1'] });
    await repo.commit('fix: timeouts (LEG-8)');
    await repo.push();
    expect((await release()).json()).toMatchObject({ version: '1.3.2', previous: '1.3.1', tickets: ['LEG-8'] });
  });

  it('imports again when the tag template changes, skipping versions already recorded under another tag', async () => {
    const res = await t.request({ method: 'PATCH', url: `/api/v1/projects/${project}`, payload: { tagTemplate: 'api-v{version}' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().tagTemplate).toBe('api-v{version}');
    expect(res.json().import).toMatchObject({ imported: 1, versions: ['0.9.0'] });
    expect(res.json().import.skipped).toEqual(expect.arrayContaining([{ tag: 'api-v1.0.0', reason: 'version_recorded', message: '1.0.0 is already a release of legacy, with tag v1.0.0' }]));
    // Without verification, a template change imports nothing.
    const quiet = await t.request({ method: 'PATCH', url: `/api/v1/projects/${project}`, payload: { tagTemplate: 'v{version}', verify: false } });
    expect(quiet.json().import).toBeUndefined();
  });

  it('refuses an import that adopts nothing (422 naming the template and a better one), and an unreachable repository', async () => {
    const key = 'legacy-svc';
    expect((await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key, repository: repo.remote, tagTemplate: 'svc-{version}' } })).json().import).toMatchObject({
      imported: 0,
      suggestion: expect.stringContaining('set tagTemplate to "v{version}"'),
    });
    const res = await importTags(key);
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: 'nothing_to_import', details: { tagTemplate: 'svc-{version}' } });
    expect(res.json().error.message).toMatch(/None of the repository's \d+ tags can be adopted with the tag template svc-\{version\}/);
    expect(await listReleases(t, key)).toEqual([]);

    const gone = 'legacy-gone';
    expect((await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: gone, repository: `${repo.root}/missing.git`, verify: false } })).statusCode).toBe(201);
    const unreachable = await importTags(gone);
    expect(unreachable.statusCode).toBe(422);
    expect(unreachable.json().error.code).toBe('repository_unreachable');
    expect(await listReleases(t, gone)).toEqual([]);
    expect((await importTags('ghost')).statusCode).toBe(404);
    expect((await t.request({ method: 'POST', url: `/api/v1/projects/${project}/releases/import`, token: await t.tokenFor('engineer') })).statusCode).toBe(403);
  });

  it('imports from the new repository when the repository changes', async () => {
    const key = 'moved';
    const other = await createTestRepository();
    try {
      await other.commit('feat: start');
      await other.push();
      expect((await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key, repository: other.remote } })).json().import).toMatchObject({ imported: 0 });
      const res = await t.request({ method: 'PATCH', url: `/api/v1/projects/${key}`, payload: { repository: repo.remote } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().import).toMatchObject({ imported: 8, latest: '1.3.2' });
      expect((await t.request({ method: 'PATCH', url: `/api/v1/projects/${key}`, payload: { repository: `${other.root}/nope.git` } })).json().error.code).toBe('repository_unreachable');
      expect((await t.request({ method: 'GET', url: `/api/v1/projects/${key}` })).json().repository).toBe(repo.remote);
    } finally {
      await other.cleanup();
    }
  });
});
