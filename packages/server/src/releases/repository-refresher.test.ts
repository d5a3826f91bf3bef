import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGit } from '../git/git-runner.js';
import { createTestRepository, type TestRepository } from '../testing/git-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { RepositoryRefresher } from './repository-refresher.js';

/** Warm clones (docs/decisions/0007): what a push brings is fetched before anyone releases. */
describe('keeping the clones warm', () => {
  let t: TestApp;
  let repo: TestRepository;
  const cloneHead = async () => {
    const project = (await t.services.uow.reads.projects.get('warm'))!;
    const { stdout } = await runGit([`--git-dir=${t.services.repositories.forProject(project).dir}`, 'rev-parse', '--verify', '--quiet', 'refs/remotes/origin/main'], { okExitCodes: [1] });
    return stdout.trim();
  };

  beforeAll(async () => {
    t = await createTestApp('sqlite');
    repo = await createTestRepository();
    await repo.commit('feat: first');
    await repo.push();
    expect((await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'warm', repository: repo.remote } })).statusCode).toBe(201);
    await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'gone', repository: `${repo.root}/missing.git`, verify: false } });
  });
  afterAll(async () => {
    await t.close();
    await repo.cleanup();
  });

  it('fetches a project on demand after a push (POST …/repository/refresh), at once or waiting for it', async () => {
    const head = await repo.commit('fix: pushed');
    await repo.push();
    expect(await cloneHead()).not.toBe(head);
    const waited = await t.request({ method: 'POST', url: '/api/v1/projects/warm/repository/refresh?wait=true' });
    expect(waited.statusCode, waited.body).toBe(200);
    expect(waited.json()).toMatchObject({ project: 'warm', branch: 'main', head });
    expect(await cloneHead()).toBe(head);

    const queued = await t.request({ method: 'POST', url: '/api/v1/projects/warm/repository/refresh' });
    expect(queued.statusCode).toBe(202);
    expect((await t.request({ method: 'POST', url: '/api/v1/projects/ghost/repository/refresh' })).statusCode).toBe(404);
    expect((await t.request({ method: 'POST', url: '/api/v1/projects/warm/repository/refresh?wait=yes' })).statusCode).toBe(400);
    expect((await t.request({ method: 'POST', url: '/api/v1/projects/warm/repository/refresh', token: await t.tokenFor('viewer') })).statusCode).toBe(403);
    expect((await t.request({ method: 'POST', url: '/api/v1/projects/gone/repository/refresh?wait=true' })).json().error.code).toBe('repository_unreachable');
  });

  it('fetches every project in the background, skipping unreachable ones quietly', async () => {
    const errors: unknown[] = [];
    const refresher = new RepositoryRefresher(t.services.uow, t.services.repositories, { intervalMs: 20, onError: (e) => errors.push(e) });
    const head = await repo.commit('fix: pushed while nobody looks');
    await repo.push();
    refresher.start();
    try {
      const deadline = Date.now() + 20_000;
      while ((await cloneHead()) !== head && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    } finally {
      await refresher.stop();
    }
    expect(await cloneHead()).toBe(head);
    expect(errors).toEqual([]);
  });
});
