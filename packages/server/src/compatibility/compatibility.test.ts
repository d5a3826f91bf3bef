import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drain } from '../deployments/deploy-fixtures.js';
import { createTestRepository, type TestRepository } from '../testing/git-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

// web (a front-end) declares in its repository that it needs api ^2.3.0; Slipway reads the file at the
// release's commit and refuses deployments that would break that in production — from either side.
describe.each(DIALECTS)('version compatibility and the deploy guards on %s', (dialect) => {
  let t: TestApp;
  const repos: TestRepository[] = [];

  beforeAll(async () => {
    t = await createTestApp(dialect);
    expect((await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'staging', rank: 30 } })).statusCode).toBe(201);
    expect((await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'production', rank: 50 } })).statusCode).toBe(201);
  });
  afterAll(async () => {
    for (const r of repos) await r.cleanup();
    await t.close();
  });

  async function project(key: string, initialVersion: string, files: Record<string, string> = {}): Promise<TestRepository> {
    const repo = await createTestRepository();
    repos.push(repo);
    await repo.commit('chore: initial commit', { 'README.md': key, ...files });
    await repo.push();
    const res = await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key, repository: repo.remote, lifecycle: ['staging', 'production'], initialVersion } });
    expect(res.statusCode, res.body).toBe(201);
    return repo;
  }
  async function release(key: string, repo: TestRepository, message: string, files?: Record<string, string>): Promise<string> {
    await repo.commit(message, files);
    await repo.push();
    const res = await t.request({ method: 'POST', url: `/api/v1/projects/${key}/releases`, payload: {} });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().version;
  }
  async function deploy(key: string, version: string, environment: string, extra: Record<string, unknown> = {}, token?: string) {
    return t.request({ method: 'POST', url: `/api/v1/projects/${key}/deployments`, payload: { version, environment, ...extra }, ...(token !== undefined && { token }) });
  }
  async function ship(key: string, version: string, environment: string, extra: Record<string, unknown> = {}) {
    const res = await deploy(key, version, environment, extra);
    expect(res.statusCode, res.body).toBe(201);
    const d = res.json();
    await drain(t);
    for (const target of d.targets) await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/status`, token: d.callbackToken, payload: { target: target.key, status: 'succeeded' } });
    await drain(t);
    expect((await t.request({ method: 'GET', url: `/api/v1/deployments/${d.id}` })).json().status).toBe('succeeded');
    return d;
  }
  const check = async (project: string, version: string, environment = 'production') => {
    const res = await t.request({ method: 'GET', url: `/api/v1/compatibility?project=${project}&version=${version}&environment=${environment}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  it('refuses an incompatible deployment in both directions; a release-manager may override', async () => {
    const api = await project('api', '2.2.0');
    const web = await project('web', '1.0.0', { '.slipway.json': JSON.stringify({ requires: { api: '^2.3.0' } }) });
    const api220 = await release('api', api, 'fix: first api');
    expect(api220).toBe('2.2.0');
    const web100 = await release('web', web, 'fix: first web');
    await ship('api', api220, 'staging');
    await ship('api', api220, 'production');
    await ship('web', web100, 'staging', { override: { reason: 'staging has api 2.2.0 only' } });

    // web 1.0.0 needs api ^2.3.0; production runs 2.2.0.
    const answer = await check('web', web100);
    expect(answer).toMatchObject({ compatible: false, requires: [{ project: 'api', range: '^2.3.0', origin: 'file', actual: '2.2.0', satisfied: false }] });
    expect(answer.problems).toEqual([expect.objectContaining({ code: 'unsatisfied', direction: 'requires', project: 'api', version: '2.2.0', range: '^2.3.0' })]);
    const refused = await deploy('web', web100, 'production');
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error).toMatchObject({ code: 'incompatible', details: { project: 'web', version: web100, environment: 'production' } });
    expect(refused.json().error.message).toContain('requires api ^2.3.0, but production runs api 2.2.0');
    const requires = (await t.request({ method: 'GET', url: `/api/v1/projects/web/releases/${web100}/requires` })).json();
    expect(requires).toEqual({ project: 'web', version: web100, origin: 'file', file: '.slipway.json', requires: [{ project: 'api', range: '^2.3.0' }] });

    const api230 = await release('api', api, 'feat: new endpoint');
    expect(api230).toBe('2.3.0');
    await ship('api', api230, 'staging');
    await ship('api', api230, 'production');
    expect((await check('web', web100)).compatible).toBe(true);
    await ship('web', web100, 'production');

    // The other direction: api 3.0.0 would break web 1.0.0, which runs there and needs ^2.3.0.
    const api300 = await release('api', api, 'feat!: drop v1 routes');
    expect(api300).toBe('3.0.0');
    await ship('api', api300, 'staging', { override: { reason: 'web in staging is tested separately' } });
    const reverse = await deploy('api', api300, 'production');
    expect(reverse.statusCode).toBe(422);
    expect(reverse.json().error.code).toBe('incompatible');
    expect(reverse.json().error.details.problems).toEqual([expect.objectContaining({ direction: 'required-by', project: 'web', version: web100, range: '^2.3.0' })]);
    const engineer = await t.tokenFor('engineer');
    expect((await deploy('api', api300, 'production', { override: { reason: 'trust me' } }, engineer)).statusCode).toBe(403);
    const overridden = await ship('api', api300, 'production', { override: { reason: 'web 1.1 ships within the hour' } });
    expect(overridden.override).toEqual({ reason: 'web 1.1 ships within the hour', overridden: ['incompatible'] });

    // The matrix shows the incompatibility now in production.
    const matrix = (await t.request({ method: 'GET', url: '/api/v1/compatibility/matrix?environment=production' })).json();
    const webRow = matrix.environments[0].projects.find((p: { project: string }) => p.project === 'web');
    expect(webRow).toMatchObject({ version: web100, compatible: false, problems: [expect.objectContaining({ project: 'api', version: '3.0.0' })] });
  });

  it('takes requirements from PATCH /projects and per release by API, and answers services at runtime with a client key', async () => {
    const mobile = await project('mobile', '4.0.0');
    const m400 = await release('mobile', mobile, 'fix: first mobile');
    const patched = await t.request({ method: 'PATCH', url: '/api/v1/projects/mobile', payload: { requires: [{ project: 'api', range: '>=2.3.0 <4' }] } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().requires).toEqual([{ project: 'api', range: '>=2.3.0 <4' }]);
    expect((await t.request({ method: 'GET', url: '/api/v1/projects/mobile' })).json().requires).toEqual([{ project: 'api', range: '>=2.3.0 <4' }]);
    expect((await check('mobile', m400)).requires).toEqual([expect.objectContaining({ origin: 'project', actual: '3.0.0', satisfied: true })]);
    // Bad input changes nothing, naming the field.
    for (const requires of [[{ project: 'api', range: 'not a range' }], [{ project: 'nope', range: '^1' }], [{ project: 'mobile', range: '^1' }]]) {
      const res = await t.request({ method: 'PATCH', url: '/api/v1/projects/mobile', payload: { name: 'Renamed', requires } });
      expect(res.statusCode, JSON.stringify(requires)).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(JSON.stringify(res.json().error)).toContain('requires');
    }
    expect((await t.request({ method: 'GET', url: '/api/v1/projects/mobile' })).json()).toMatchObject({ name: 'mobile', requires: [{ project: 'api', range: '>=2.3.0 <4' }] });
    // A release's own requirements win over the project's.
    const put = await t.request({ method: 'PUT', url: `/api/v1/projects/mobile/releases/${m400}/requires`, payload: { requires: [{ project: 'api', range: '~2.3.0' }] } });
    expect(put.json()).toMatchObject({ origin: 'release', requires: [{ project: 'api', range: '~2.3.0' }] });
    expect((await check('mobile', m400)).compatible).toBe(false);

    // The runtime check: a front-end asks with its public client key.
    const key = await t.request({ method: 'POST', url: '/api/v1/projects/web/environments/production/sdk-keys', payload: { name: 'browser', kind: 'client' } });
    expect(key.statusCode, key.body).toBe(201);
    const clientKey = key.json().key as string;
    const ok = await t.request({ method: 'GET', url: `/api/v1/compatibility/check?project=web&version=1.0.0&environment=production&key=${clientKey}`, token: null });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('*');
    expect(ok.json()).toMatchObject({ compatible: false, problems: [expect.objectContaining({ project: 'api' })] });
    const otherProject = await t.request({ method: 'GET', url: `/api/v1/compatibility/check?project=api&version=3.0.0&environment=production`, headers: { 'x-api-key': clientKey }, token: null });
    expect(otherProject.statusCode).toBe(403);
    expect((await t.request({ method: 'GET', url: '/api/v1/compatibility/check?project=web&version=1.0.0', token: null })).statusCode).toBe(401);
  });

  it('gates a deployment on the last E2E run of its version when the environment asks for it', async () => {
    const shop = await project('shop', '1.0.0');
    const v1 = await release('shop', shop, 'fix: shop');
    await ship('shop', v1, 'staging');
    const gate = await t.request({ method: 'PUT', url: '/api/v1/environments/production/tests-gate', payload: { suite: 'e2e', sourceEnvironment: 'staging' } });
    expect(gate.statusCode, gate.body).toBe(200);
    const none = await deploy('shop', v1, 'production');
    expect(none.statusCode).toBe(422);
    expect(none.json().error).toMatchObject({ code: 'tests_failing', details: { suite: 'e2e', run: null } });
    const xml = (fail: boolean) => `<testsuite name="e2e"><testcase classname="e2e" name="buys"/>${fail ? '<testcase classname="e2e" name="pays"><failure message="500"/></testcase>' : ''}</testsuite>`;
    const upload = (fail: boolean, env = 'staging') => t.request({ method: 'POST', url: `/api/v1/projects/shop/test-runs?version=${v1}&environment=${env}&suite=e2e`, headers: { 'content-type': 'application/xml' }, payload: xml(fail) });
    expect((await upload(true)).statusCode).toBe(201);
    const failing = await deploy('shop', v1, 'production');
    expect(failing.json().error.code).toBe('tests_failing');
    expect(failing.json().error.message).toContain('failed: 1 of 2 tests');
    // A passing run elsewhere does not count; one in staging does.
    expect((await upload(false, 'production')).statusCode).toBe(201);
    expect((await deploy('shop', v1, 'production')).json().error.code).toBe('tests_failing');
    expect((await upload(false)).statusCode).toBe(201);
    await ship('shop', v1, 'production');
    expect((await t.request({ method: 'DELETE', url: '/api/v1/environments/production/tests-gate' })).statusCode).toBe(204);
    expect((await t.request({ method: 'GET', url: '/api/v1/environments/production/tests-gate' })).statusCode).toBe(404);
  });
});
