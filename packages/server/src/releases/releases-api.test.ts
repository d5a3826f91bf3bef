import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { createTestRepository, type TestRepository } from '../testing/git-fixtures.js';
import { DIALECTS } from '../testing/test-database.js';

describe.each(DIALECTS)('releases API on %s', (dialect) => {
  let t: TestApp;
  let repo: TestRepository;
  let project: string;
  let counter = 0;

  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(() => t.close());

  beforeEach(async () => {
    repo = await createTestRepository();
    project = `svc-${++counter}`;
    await repo.commit('chore: initial commit');
    await repo.push();
    const res = await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: project, repository: repo.remote } });
    expect(res.statusCode).toBe(201);
  });
  afterEach(() => repo.cleanup());

  const create = (payload: Record<string, unknown> = {}, token?: string) =>
    t.request({ method: 'POST', url: `/api/v1/projects/${project}/releases`, payload, ...(token !== undefined && { token }) });

  async function commitAndPush(...messages: string[]): Promise<void> {
    for (const message of messages) await repo.commit(message);
    await repo.push();
  }

  async function remoteTags(): Promise<Record<string, string>> {
    const out = await repo.remoteGit('for-each-ref', '--format=%(refname:strip=2) %(objecttype) %(*objectname)', 'refs/tags');
    return Object.fromEntries(out.split('\n').filter(Boolean).map((l) => { const [name, type, target] = l.split(' '); return [name!, `${type} ${target}`]; }));
  }

  it('makes the first release at the initial version with an annotated, pushed tag and a changelog with tickets', async () => {
    await commitAndPush('feat(auth): login with SSO (API-12)', 'fix: crash on empty cart\n\nCloses SHOP-7 and API-12.');
    const head = await repo.head();
    const res = await create();
    expect(res.statusCode).toBe(201);
    const release = res.json();
    expect(release).toMatchObject({ project, version: '1.0.0', tag: 'v1.0.0', commit: head, kind: 'major', parent: null, createdBy: 'admin' });
    expect([...release.tickets].sort()).toEqual(['API-12', 'SHOP-7']);
    expect(release.changelog).toHaveLength(3);
    expect(release.changelog[0]).toMatchObject({ type: 'fix', subject: 'crash on empty cart', tickets: ['SHOP-7', 'API-12'] });
    expect(release.changelog[1]).toMatchObject({ type: 'feat', scope: 'auth', subject: 'login with SSO (API-12)', breaking: false, author: { name: 'Test Author' } });
    expect((await remoteTags())['v1.0.0']).toBe(`tag ${head}`);
  });

  it('follows the version rules: fix → patch, feat → minor, breaking → major', async () => {
    expect((await create()).json().version).toBe('1.0.0');
    await commitAndPush('fix: a bug');
    expect((await create()).json()).toMatchObject({ version: '1.0.1', kind: 'patch' });
    await commitAndPush('docs: readme', 'feat: search');
    expect((await create()).json()).toMatchObject({ version: '1.1.0', kind: 'minor' });
    await commitAndPush('feat(api)!: drop v1 endpoints');
    expect((await create()).json()).toMatchObject({ version: '2.0.0', kind: 'major' });
    await commitAndPush('refactor: rename\n\nBREAKING CHANGE: the config key moved');
    const major = (await create()).json();
    expect(major).toMatchObject({ version: '3.0.0', kind: 'major' });
    expect(major.changelog[0]).toMatchObject({ breaking: true, breakingNote: 'the config key moved' });
    await commitAndPush('perf: faster search');
    expect((await create()).json()).toMatchObject({ version: '3.0.1', kind: 'patch' });
    // Anything else releases nothing by default (semantic-release's rules), unless a bump is asked for.
    await commitAndPush('not a conventional commit at all', 'chore: tidy', 'docs: readme');
    const nothing = await create();
    expect(nothing.statusCode).toBe(422);
    expect(nothing.json().error).toMatchObject({ code: 'nothing_to_release', details: { since: '3.0.1', pending: 3, types: { other: 1, chore: 1, docs: 1 } } });
    expect(nothing.json().error.message).toContain('Send bump "patch"');
    expect((await create({ bump: 'patch' })).json()).toMatchObject({ version: '3.0.2', kind: 'patch', decision: { required: null, applied: 'patch' } });
  });

  it('keeps 0.x versions below 1.0: breaking → minor, everything else → patch', async () => {
    await t.request({ method: 'PATCH', url: `/api/v1/projects/${project}`, payload: { initialVersion: '0.1.0' } });
    expect((await create()).json().version).toBe('0.1.0');
    await commitAndPush('feat: something');
    expect((await create()).json().version).toBe('0.1.1');
    await commitAndPush('feat!: break it');
    expect((await create()).json().version).toBe('0.2.0');
  });

  it('lets an explicit bump raise the computed one but never lower it', async () => {
    await create();
    await commitAndPush('fix: small');
    expect((await create({ bump: 'minor' })).json().version).toBe('1.1.0');
    await commitAndPush('feat: big');
    const low = await create({ bump: 'patch' });
    expect(low.statusCode).toBe(422);
    expect(low.json().error.code).toBe('bump_too_low');
    expect(low.json().error.message).toContain('minor');
    expect((await create({ bump: 'major' })).json().version).toBe('2.0.0');
  });

  it('refuses a release without new commits', async () => {
    await create();
    const res = await create();
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('nothing_to_release');
  });

  it('numbers prereleases rc.1, rc.2, then the final lists everything since the previous final', async () => {
    await create();
    await commitAndPush('feat: one (API-1)');
    expect((await create({ prerelease: 'rc' })).json()).toMatchObject({ version: '1.1.0-rc.1', kind: 'prerelease' });
    await commitAndPush('fix: two (API-2)');
    expect((await create({ prerelease: 'rc' })).json().version).toBe('1.1.0-rc.2');
    await commitAndPush('fix: three (API-3)');
    const final = (await create()).json();
    expect(final).toMatchObject({ version: '1.1.0', previous: '1.0.0' });
    expect(final.changelog.map((c: { subject: string }) => c.subject)).toEqual(['three (API-3)', 'two (API-2)', 'one (API-1)']);
    expect(final.tickets).toEqual(expect.arrayContaining(['API-1', 'API-2', 'API-3']));
  });

  it('names tags from the project template', async () => {
    await t.request({ method: 'PATCH', url: `/api/v1/projects/${project}`, payload: { tagTemplate: '{project}-v{version}' } });
    const res = await create();
    expect(res.json().tag).toBe(`${project}-v1.0.0`);
    expect(Object.keys(await remoteTags())).toEqual([`${project}-v1.0.0`]);
  });

  it('refuses with 409 tag_exists when the tag was made by hand, and records nothing', async () => {
    await repo.tag('v1.0.0', { message: 'made by hand' });
    await repo.push('--tags');
    const res = await create();
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('tag_exists');
    expect((await t.request({ method: 'GET', url: `/api/v1/projects/${project}/releases` })).json().items).toEqual([]);
    expect((await t.request({ method: 'GET', url: `/api/v1/projects/${project}/releases/1.0.0` })).statusCode).toBe(404);
  });

  it('never makes the same version twice under 10 concurrent requests; remote tags match rows exactly', async () => {
    await create();
    for (let i = 0; i < 3; i++) await commitAndPush(`fix: change ${i}`);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => create(i % 2 === 0 ? { prerelease: 'rc' } : {})));
    const ok = results.filter((r) => r.statusCode === 201).map((r) => r.json().version);
    for (const r of results.filter((x) => x.statusCode !== 201)) {
      expect([409, 422]).toContain(r.statusCode);
    }
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ok).size).toBe(ok.length);
    const rows = (await t.request({ method: 'GET', url: `/api/v1/projects/${project}/releases?limit=200` })).json().items.map((r: { tag: string }) => r.tag).sort();
    expect(Object.keys(await remoteTags()).sort()).toEqual(rows);
  });

  it('returns the first result when the same idempotency key is sent again', async () => {
    await commitAndPush('feat: x');
    const first = await create({ idempotencyKey: 'deploy-42' });
    expect(first.statusCode).toBe(201);
    await commitAndPush('feat: y');
    const again = await create({ idempotencyKey: 'deploy-42' });
    expect(again.statusCode).toBe(200);
    expect(again.json().version).toBe(first.json().version);
    expect((await t.request({ method: 'GET', url: `/api/v1/projects/${project}/releases` })).json().items).toHaveLength(1);
  });

  it('lists newest first with a kind filter, shows one release, renders notes and compares versions', async () => {
    await commitAndPush('feat: a (API-1)');
    await create();
    await commitAndPush('fix: b (API-2)');
    await create();
    await commitAndPush('feat: c (API-3)');
    await create();
    const list = (await t.request({ method: 'GET', url: `/api/v1/projects/${project}/releases` })).json();
    expect(list.items.map((r: { version: string }) => r.version)).toEqual(['1.1.0', '1.0.1', '1.0.0']);
    expect(list.items[0]).not.toHaveProperty('changelog');
    const patches = (await t.request({ method: 'GET', url: `/api/v1/projects/${project}/releases?kind=patch` })).json();
    expect(patches.items.map((r: { version: string }) => r.version)).toEqual(['1.0.1']);

    const md = await t.request({ method: 'GET', url: `/api/v1/projects/${project}/releases/1.1.0/notes` });
    expect(md.headers['content-type']).toContain('text/markdown');
    expect(md.body).toContain('## Features');
    expect(md.body).toContain('API-3');
    const json = (await t.request({ method: 'GET', url: `/api/v1/projects/${project}/releases/1.1.0/notes?format=json` })).json();
    expect(json).toMatchObject({ version: '1.1.0', previousVersion: '1.0.1', tickets: ['API-3'] });
    expect(json.features).toHaveLength(1);

    const cmp = (await t.request({ method: 'GET', url: `/api/v1/projects/${project}/compare?from=1.0.0&to=1.1.0` })).json();
    expect(cmp.commits.map((c: { subject: string }) => c.subject)).toEqual(['c (API-3)', 'b (API-2)']);
    expect(cmp.tickets.sort()).toEqual(['API-2', 'API-3']);
    const unknown = await t.request({ method: 'GET', url: `/api/v1/projects/${project}/compare?from=1.0.0&to=9.9.9` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.message).toContain('9.9.9');
  });

  it('answers bad input with 4xx: unknown version, unknown ref, unreachable repository, low role', async () => {
    expect((await t.request({ method: 'GET', url: `/api/v1/projects/${project}/releases/4.5.6` })).statusCode).toBe(404);
    const ref = await create({ ref: 'no-such-branch' });
    expect(ref.statusCode).toBe(422);
    expect(ref.json().error.code).toBe('ref_not_found');
    expect((await create({ bump: 'huge' })).statusCode).toBe(400);
    expect((await create({ prerelease: 'rc.1/..' })).statusCode).toBe(400);
    expect((await t.request({ method: 'POST', url: '/api/v1/projects/ghost/releases', payload: {} })).statusCode).toBe(404);
    const viewer = await t.tokenFor('viewer');
    expect((await create({}, viewer)).statusCode).toBe(403);

    const refused = await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: `${project}-gone`, repository: '/nonexistent/repository.git' } });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error).toMatchObject({ code: 'repository_unreachable' });
    expect(refused.json().error.message).toMatch(/nonexistent\/repository\.git/);
    expect((await t.request({ method: 'GET', url: `/api/v1/projects/${project}-gone` })).statusCode).toBe(404);
    await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: `${project}-gone`, repository: '/nonexistent/repository.git', verify: false } });
    const gone = await t.request({ method: 'POST', url: `/api/v1/projects/${project}-gone/releases`, payload: {} });
    expect(gone.statusCode).toBe(422);
    expect(gone.json().error.code).toBe('repository_unreachable');
    expect(gone.json().error.message.length).toBeGreaterThan(40);
  });
});
