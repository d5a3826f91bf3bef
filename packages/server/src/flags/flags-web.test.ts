import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

const DAY = 86_400_000;

// What the flags pages need: a superadmin's per-user view, a change previewed before saving,
// history, search and filters, and stale marks from the evaluations the server answered.
describe.each(DIALECTS)('flags for the web app on %s', (dialect) => {
  let t: TestApp;
  let clientKey: string;
  const ok = async (method: 'POST' | 'PUT' | 'PATCH', url: string, payload: object, token?: string) => {
    const res = await t.request({ method, url, payload, ...(token !== undefined && { token }) });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json();
  };
  const ofrep = (flag: string, context: object) => t.app.inject({ method: 'POST', url: `/ofrep/v1/evaluate/flags/${flag}`, headers: { 'x-api-key': clientKey }, payload: { context } });

  beforeAll(async () => {
    t = await createTestApp(dialect);
    await ok('POST', '/api/v1/environments', { key: 'dev', rank: 10 });
    await ok('POST', '/api/v1/environments', { key: 'production', rank: 20, protected: true });
    await ok('POST', '/api/v1/projects', { key: 'app', repository: '/srv/git/app.git', verify: false });
    clientKey = (await ok('POST', '/api/v1/projects/app/environments/production/sdk-keys', { kind: 'client' })).key;
    await ok('POST', '/api/v1/projects/app/flags', {
      key: 'flavor',
      name: 'Cluster flavor',
      type: 'operational',
      tags: ['infra'],
      variants: [{ key: 'standard', value: 'standard' }, { key: 'beta', value: 'beta-cluster' }, { key: 'shadow', value: 'shadow-cluster' }],
    });
    await ok('PUT', '/api/v1/projects/app/flags/flavor/environments/production', {
      enabled: true,
      offVariant: 'standard',
      rules: [{ id: 'avaya', conditions: [{ attribute: 'company', operator: 'in', values: ['avaya'] }], serve: { variant: 'beta' } }],
      defaultServe: { variant: 'standard' },
    });
    await ok('POST', '/api/v1/projects/app/flags', { key: 'raised-hands', type: 'release', tags: ['meetings'], description: 'Raise a hand in a meeting', variants: [{ key: 'on', value: true }, { key: 'off', value: false }] });
  });
  afterAll(() => t.close());

  const evaluate = async (context: object, token?: string) => ok('POST', '/api/v1/projects/app/flags/evaluate', { context }, token);
  const result = (body: any, flag: string, env: string) => body.flags.find((f: any) => f.key === flag).results.find((r: any) => r.environment === env);

  it('shows what every flag serves one user in every environment; a per-user target then wins over the company rule', async () => {
    const viewer = await t.tokenFor('viewer');
    const before = await evaluate({ targetingKey: 'pm-1', company: 'avaya' }, viewer);
    expect(before.environments).toEqual(['dev', 'production']);
    expect(result(before, 'flavor', 'production')).toEqual({ environment: 'production', value: 'beta-cluster', variant: 'beta', reason: 'TARGETING_MATCH', errorCode: null, overridden: false });
    expect(result(before, 'flavor', 'dev')).toMatchObject({ value: 'standard', variant: 'standard', reason: 'DISABLED' });
    expect(result(before, 'raised-hands', 'production')).toMatchObject({ value: false, reason: 'DISABLED' });

    // The superadmin's override is an individual target of the production configuration.
    const preview = await ok('POST', '/api/v1/projects/app/flags/flavor/environments/production/preview', {
      enabled: true,
      offVariant: 'standard',
      targets: [{ variant: 'shadow', values: ['pm-1'] }],
      rules: [{ id: 'avaya', conditions: [{ attribute: 'company', operator: 'in', values: ['avaya'] }], serve: { variant: 'beta' } }],
      defaultServe: { variant: 'standard' },
    });
    expect(preview).toMatchObject({ allowed: true, problems: [], refusal: null, requiredRole: 'release-manager', environment: { key: 'production', protected: true } });
    expect(preview.summary).toContain('pm-1');
    expect(preview.after.targets).toEqual([{ variant: 'shadow', values: ['pm-1'] }]);
    await ok('PUT', '/api/v1/projects/app/flags/flavor/environments/production', preview.after);

    const after = await evaluate({ targetingKey: 'pm-1', company: 'avaya' });
    // The answer says the individual target decided it (an override), not the company rule.
    expect(result(after, 'flavor', 'production')).toMatchObject({ value: 'shadow-cluster', variant: 'shadow', reason: 'TARGETING_MATCH', overridden: true });
    expect(result(after, 'flavor', 'dev')).toMatchObject({ reason: 'DISABLED', overridden: false });
    expect(result(await evaluate({ targetingKey: 'pm-2', company: 'avaya' }), 'flavor', 'production')).toMatchObject({ value: 'beta-cluster', reason: 'TARGETING_MATCH', overridden: false });
    // A target in a disabled environment overrides nothing: the off variant is served.
    await ok('PUT', '/api/v1/projects/app/flags/flavor/environments/dev', { enabled: false, offVariant: 'standard', targets: [{ variant: 'shadow', values: ['pm-1'] }], defaultServe: { variant: 'standard' } });
    expect(result(await evaluate({ targetingKey: 'pm-1', company: 'avaya' }), 'flavor', 'dev')).toMatchObject({ variant: 'standard', reason: 'DISABLED', overridden: false });
    // What the page shows is what an SDK gets: the same user through OFREP.
    const served = await ofrep('flavor', { targetingKey: 'pm-1', company: 'avaya' });
    expect(served.json()).toMatchObject({ value: 'shadow-cluster', variant: 'shadow' });
  });

  it('previews a change without saving it: problems, and who may change a protected environment', async () => {
    const engineer = await t.tokenFor('engineer');
    const bad = await ok('POST', '/api/v1/projects/app/flags/raised-hands/environments/production/preview', { enabled: true, defaultServe: { variant: 'maybe' } }, engineer);
    expect(bad.allowed).toBe(false);
    expect(bad.problems.length).toBeGreaterThan(0);
    expect(bad.refusal).toMatchObject({ code: 'forbidden' });
    expect(bad.refusal.message).toContain('release-manager');
    const dev = await ok('POST', '/api/v1/projects/app/flags/raised-hands/environments/dev/preview', { enabled: true, offVariant: 'off', defaultServe: { variant: 'on' } }, engineer);
    expect(dev).toMatchObject({ allowed: true, requiredRole: 'engineer', beforeSummary: 'off (disabled)', afterSummary: 'on' });
    // Nothing was saved.
    const flag = (await t.request({ method: 'GET', url: '/api/v1/projects/app/flags/raised-hands' })).json();
    expect(flag.environments.every((e: any) => e.configured === false)).toBe(true);
  });

  it('lists a flag’s changes newest first with a summary', async () => {
    await ok('PUT', '/api/v1/projects/app/flags/raised-hands/environments/dev', { enabled: true, offVariant: 'off', defaultServe: { split: [{ variant: 'on', weight: 25 }, { variant: 'off', weight: 75 }] } });
    await ok('PUT', '/api/v1/projects/app/flags/raised-hands/environments/dev', { enabled: true, offVariant: 'off', defaultServe: { split: [{ variant: 'on', weight: 50 }, { variant: 'off', weight: 50 }] } });
    const history = (await t.request({ method: 'GET', url: '/api/v1/projects/app/flags/raised-hands/history?limit=2' })).json();
    expect(history.items.map((i: any) => i.summary)).toEqual(['raised-hands in dev: rollout 25% → 50%', expect.stringContaining('raised-hands in dev')]);
    expect(history.items[0]).toMatchObject({ actor: 'admin', action: 'flag.configured', environment: 'dev' });
    const rest = (await t.request({ method: 'GET', url: `/api/v1/projects/app/flags/raised-hands/history?cursor=${history.nextCursor}` })).json();
    expect(rest.items.map((i: any) => i.action)).toEqual(['flag.created']);
  });

  it('searches and filters the list by words, type and tag', async () => {
    const keys = async (query: string) => (await t.request({ method: 'GET', url: `/api/v1/projects/app/flags?${query}` })).json().items.map((f: any) => f.key);
    expect(await keys('q=hand%20meeting')).toEqual(['raised-hands']);
    expect(await keys('q=CLUSTER')).toEqual(['flavor']);
    expect(await keys('type=operational')).toEqual(['flavor']);
    expect(await keys('tag=meetings')).toEqual(['raised-hands']);
    expect(await keys('tag=none')).toEqual([]);
    const page = (await t.request({ method: 'GET', url: '/api/v1/projects/app/flags?type=release&limit=1' })).json();
    expect(page.items[0].environments.map((e: any) => [e.environment.key, e.config.enabled, e.summary])).toEqual([
      ['dev', true, 'on 50% / off 50%'],
      ['production', false, 'off (disabled)'],
    ]);
  });

  it('marks flags stale after 30 days without a change or an evaluation the server answered', async () => {
    expect((await ofrep('flavor', { targetingKey: 'u-1', company: 'acme' })).statusCode).toBe(200);
    expect((await ofrep('flavor', { targetingKey: 'u-2', company: 'avaya' })).statusCode).toBe(200);
    expect((await ofrep('no-such-flag', {})).statusCode).toBe(404);
    await t.services.flagEvaluations.flush();
    const usage = async (flag: string) => (await t.request({ method: 'GET', url: `/api/v1/projects/app/flags/${flag}` })).json().usage;
    const flavor = await usage('flavor');
    // Three: the two above and the one of the first test; the unknown flag is not counted.
    expect(flavor).toMatchObject({ evaluations: 3, lastEvaluatedAt: t.clock.now().toISOString(), stale: false, environments: [{ environment: 'production', evaluations: 3 }] });
    expect((await t.database.db.selectFrom('flag_evaluations').selectAll().execute()).map((r) => r.flag_key)).toEqual(['flavor']);

    t.clock.advance(31 * DAY);
    expect((await usage('raised-hands')).stale).toBe(true);
    expect((await usage('flavor')).stale).toBe(true);
    // Bulk evaluation counts for every flag of the environment.
    const bulk = await t.app.inject({ method: 'POST', url: '/ofrep/v1/evaluate/flags', headers: { 'x-api-key': clientKey }, payload: { context: { targetingKey: 'u-3' } } });
    expect(bulk.statusCode).toBe(200);
    await t.services.flagEvaluations.flush();
    expect(await usage('flavor')).toMatchObject({ stale: false, evaluations: 4 });
    expect((await usage('raised-hands')).stale).toBe(false);
    const list = (await t.request({ method: 'GET', url: '/api/v1/projects/app/flags' })).json();
    expect(list.items.map((f: any) => [f.key, f.usage.stale])).toEqual([['flavor', false], ['raised-hands', false]]);
  });

  it('refuses bad input with the field named, and changes nothing', async () => {
    const post = (url: string, payload: unknown) => t.request({ method: 'POST', url, payload: payload as object });
    expect((await post('/api/v1/projects/app/flags/evaluate', {})).json().error.code).toBe('validation_failed');
    expect((await post('/api/v1/projects/app/flags/evaluate', { context: 'user-1' })).statusCode).toBe(400);
    expect((await post('/api/v1/projects/app/flags/evaluate', { context: { targetingKey: 42 } })).json().error.message).toContain('targetingKey');
    expect((await post('/api/v1/projects/app/flags/evaluate', { context: {}, environments: ['nowhere'] })).statusCode).toBe(404);
    expect((await post('/api/v1/projects/ghost/flags/evaluate', { context: {} })).statusCode).toBe(404);
    expect((await post('/api/v1/projects/app/flags/flavor/environments/production/preview', { enabled: 'yes' })).statusCode).toBe(400);
    expect((await post('/api/v1/projects/app/flags/ghost/environments/production/preview', { enabled: true, defaultServe: { variant: 'on' } })).statusCode).toBe(404);
    expect((await post('/api/v1/projects/app/flags/flavor/environments/nowhere/preview', { enabled: true, defaultServe: { variant: 'standard' } })).statusCode).toBe(404);
    expect((await t.request({ method: 'GET', url: '/api/v1/projects/app/flags/ghost/history' })).statusCode).toBe(404);
    expect((await t.request({ method: 'GET', url: '/api/v1/projects/app/flags/flavor/history?cursor=%%%' })).statusCode).toBe(400);
    expect((await t.request({ method: 'GET', url: '/api/v1/projects/app/flags?type=NOPE' })).statusCode).toBe(400);
    expect((await t.request({ method: 'POST', url: '/api/v1/projects/app/flags/evaluate', payload: { context: {} }, token: null })).statusCode).toBe(401);
  });
});
