import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

const BOOL = [
  { key: 'on', value: true },
  { key: 'off', value: false },
];

const rollout = (on: number) => ({
  enabled: true,
  offVariant: 'off',
  defaultServe: { split: [{ variant: 'on', weight: on }, { variant: 'off', weight: 100 - on }], stickiness: 'targetingKey' },
});

describe.each(DIALECTS)('flags API on %s', (dialect) => {
  let t: TestApp;
  const url = '/api/v1/projects/shop/flags';

  async function flagEvents() {
    const events = await t.services.uow.reads.outbox.listAfter(null, 1000);
    return events.filter((e) => e.type === 'flag.changed');
  }

  beforeAll(async () => {
    t = await createTestApp(dialect);
    for (const [key, rank, prot] of [['dev', 10, false], ['staging', 20, false], ['production', 30, true]] as const) {
      expect((await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key, rank, protected: prot } })).statusCode).toBe(201);
    }
    expect((await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'shop', repository: '/srv/git/shop.git', verify: false } })).statusCode).toBe(201);
  });
  afterAll(() => t.close());

  it('creates a flag in the contract shape, disabled everywhere, and announces it', async () => {
    const res = await t.request({ method: 'POST', url, payload: { key: 'new-checkout', name: 'New checkout', type: 'release', variants: BOOL, owner: 'team-pay', tags: ['checkout'] } });
    expect(res.statusCode).toBe(201);
    const flag = res.json();
    expect(flag).toMatchObject({ key: 'new-checkout', name: 'New checkout', type: 'release', variants: BOOL, owner: 'team-pay', tags: ['checkout'], archived: false, project: 'shop' });
    expect(flag.environments.map((e: any) => [e.environment.key, e.configured, e.config.enabled, e.summary])).toEqual([
      ['dev', false, false, 'off (disabled)'],
      ['staging', false, false, 'off (disabled)'],
      ['production', false, false, 'off (disabled)'],
    ]);
    const events = await flagEvents();
    expect(events.at(-1)!.payload).toMatchObject({ project: 'shop', environment: null, flag: 'new-checkout', summary: 'new-checkout added with variants on/off', before: null });
    expect((await t.request({ method: 'POST', url, payload: { key: 'new-checkout', variants: BOOL } })).statusCode).toBe(409);
  });

  it('configures an environment, validated by the engine, audited with before/after and a rollout summary', async () => {
    const put = (env: string, body: object, token?: string) => t.request({ method: "PUT", url: `${url}/new-checkout/environments/${env}`, payload: body, ...(token && { token }) });
    const first = await put('production', rollout(5));
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ configured: true, config: rollout(5), summary: 'on 5% / off 95%' });
    expect((await flagEvents()).at(-1)!.payload.summary).toBe('new-checkout in production: enabled; rollout 0% → 5%');

    expect((await put('production', rollout(25))).statusCode).toBe(200);
    const event = (await flagEvents()).at(-1)!;
    expect(event.payload).toMatchObject({ project: 'shop', environment: 'production', flag: 'new-checkout', summary: 'new-checkout in production: rollout 5% → 25%', before: rollout(5), after: rollout(25) });
    expect(event.environmentKey).toBe('production');

    const audit = await t.request({ method: 'GET', url: '/api/v1/audit?resourceType=flag&resourceId=shop/new-checkout&action=flag.configured' });
    expect(audit.json().items[0]).toMatchObject({ before: { environment: 'production', config: rollout(5) }, after: { environment: 'production', config: rollout(25) } });

    const bad = await put('dev', { enabled: true, defaultServe: { split: [{ variant: 'on', weight: 30 }, { variant: 'of', weight: 60 }] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('validation_failed');
    expect(bad.json().error.details.problems.map((p: any) => p.path)).toEqual(['environment.defaultServe.split[1].variant', 'environment.defaultServe.split']);
  });

  it('needs release-manager or above in protected environments', async () => {
    const engineer = await t.tokenFor('engineer');
    const viewer = await t.tokenFor('viewer');
    const denied = await t.request({ method: 'PUT', url: `${url}/new-checkout/environments/production`, payload: rollout(50), token: engineer });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.message).toContain('production is a protected environment');
    expect((await t.request({ method: 'PUT', url: `${url}/new-checkout/environments/dev`, payload: rollout(50), token: engineer })).statusCode).toBe(200);
    expect((await t.request({ method: 'PUT', url: `${url}/new-checkout/environments/dev`, payload: rollout(60), token: viewer })).statusCode).toBe(403);
    // New variants change what production serves: a protected change too.
    const variants = [...BOOL, { key: 'beta', value: true }];
    expect((await t.request({ method: 'PATCH', url: `${url}/new-checkout`, payload: { variants }, token: engineer })).statusCode).toBe(403);
    expect((await t.request({ method: 'PATCH', url: `${url}/new-checkout`, payload: { description: 'Checkout v2' }, token: engineer })).statusCode).toBe(200);
    const rm = await t.tokenFor('release-manager');
    expect((await t.request({ method: 'PUT', url: `${url}/new-checkout/environments/production`, payload: rollout(50), token: rm })).statusCode).toBe(200);
  });

  it('shows every environment side by side', async () => {
    const flag = (await t.request({ method: 'GET', url: `${url}/new-checkout` })).json();
    expect(flag.description).toBe('Checkout v2');
    expect(flag.environments.map((e: any) => [e.environment.key, e.environment.protected, e.configured, e.summary])).toEqual([
      ['dev', false, true, 'on 50% / off 50%'],
      ['staging', false, false, 'off (disabled)'],
      ['production', true, true, 'on 50% / off 50%'],
    ]);
    expect(flag.environments[2].updatedBy).toBe('release-manager-user');
  });

  it('refuses variants that no longer fit a stored configuration, and prerequisites that do not exist', async () => {
    const res = await t.request({ method: 'PATCH', url: `${url}/new-checkout`, payload: { variants: [{ key: 'on', value: true }, { key: 'disabled', value: false }] } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('no longer fits its configuration in');
    const mixed = await t.request({ method: 'POST', url, payload: { key: 'mixed', variants: [{ key: 'a', value: 'x' }, { key: 'b', value: 1 }] } });
    expect(mixed.statusCode).toBe(400);
    expect(mixed.json().error.details.problems[0].path).toBe('flag.variants[1].value');
    expect((await t.request({ method: 'POST', url, payload: { key: 'dependent', variants: BOOL } })).statusCode).toBe(201);
    const pre = await t.request({
      method: 'PUT',
      url: `${url}/dependent/environments/dev`,
      payload: { enabled: true, offVariant: 'off', defaultServe: { variant: 'on' }, prerequisites: [{ flag: 'ghost', variant: 'on' }, { flag: 'new-checkout', variant: 'nope' }] },
    });
    expect(pre.statusCode).toBe(400);
    expect(pre.json().error.details.problems.map((p: any) => p.path)).toEqual(['environment.prerequisites[0].flag', 'environment.prerequisites[1].variant']);
  });

  it('manages segments; deleting one in use is a 409 naming the flags', async () => {
    const seg = await t.request({ method: 'POST', url: '/api/v1/projects/shop/segments', payload: { key: 'beta', name: 'Beta companies', conditions: [{ attribute: 'company', operator: 'in', values: ['acme', 'globex'] }] } });
    expect(seg.statusCode).toBe(201);
    expect(seg.json()).toMatchObject({ key: 'beta', project: 'shop', conditions: [{ attribute: 'company', operator: 'in', values: ['acme', 'globex'] }] });
    const badSeg = await t.request({ method: 'POST', url: '/api/v1/projects/shop/segments', payload: { key: 'bad', conditions: [{ attribute: 'x', operator: 'regex', values: ['a'] }] } });
    expect(badSeg.statusCode).toBe(400);
    expect(badSeg.json().error.details.problems[0].path).toBe('segment.conditions[0].operator');
    const unknownSegment = await t.request({
      method: 'PUT',
      url: `${url}/dependent/environments/dev`,
      payload: { enabled: true, rules: [{ conditions: [{ operator: 'in_segment', values: ['nope'] }], serve: { variant: 'on' } }], defaultServe: { variant: 'off' } },
    });
    expect(unknownSegment.statusCode).toBe(400);
    const uses = await t.request({
      method: 'PUT',
      url: `${url}/dependent/environments/dev`,
      payload: { enabled: true, rules: [{ conditions: [{ operator: 'in_segment', values: ['beta'] }], serve: { variant: 'on' } }], defaultServe: { variant: 'off' } },
    });
    expect(uses.statusCode).toBe(200);
    const del = await t.request({ method: 'DELETE', url: '/api/v1/projects/shop/segments/beta' });
    expect(del.statusCode).toBe(409);
    expect(del.json().error.details.flags).toEqual(['dependent']);
    const patched = await t.request({ method: 'PATCH', url: '/api/v1/projects/shop/segments/beta', payload: { conditions: [{ attribute: 'company', operator: 'eq', values: ['acme'] }] } });
    expect(patched.statusCode).toBe(200);
    const list = await t.request({ method: 'GET', url: '/api/v1/projects/shop/segments' });
    expect(list.json().items.map((s: any) => s.key)).toEqual(['beta']);
    expect((await t.request({ method: 'POST', url: '/api/v1/projects/shop/segments', payload: { key: 'unused', conditions: [] } })).statusCode).toBe(201);
    expect((await t.request({ method: 'DELETE', url: '/api/v1/projects/shop/segments/unused' })).statusCode).toBe(204);
    expect((await t.request({ method: 'GET', url: '/api/v1/projects/shop/segments/unused' })).statusCode).toBe(404);
  });

  it('lists stale flags: one variant to everyone everywhere, unchanged for 30 days', async () => {
    expect((await t.request({ method: 'POST', url, payload: { key: 'old-banner', variants: BOOL } })).statusCode).toBe(201);
    for (const env of ['dev', 'staging', 'production']) {
      expect((await t.request({ method: 'PUT', url: `${url}/old-banner/environments/${env}`, payload: { enabled: true, offVariant: 'off', defaultServe: { variant: 'on' } } })).statusCode).toBe(200);
    }
    const stale = async () => (await t.request({ method: 'GET', url: `${url}?stale=true` })).json().items.map((f: any) => f.key);
    expect(await stale()).toEqual([]);
    t.clock.advance(31 * 86_400_000);
    // new-checkout still splits traffic; dependent has a rule; mixed never existed.
    expect(await stale()).toEqual(['old-banner']);
    expect((await t.request({ method: 'PUT', url: `${url}/old-banner/environments/dev`, payload: { enabled: false, offVariant: 'off', defaultServe: { variant: 'on' } } })).statusCode).toBe(200);
    expect(await stale()).toEqual([]);
  });

  it('archives on DELETE (the flag leaves lists and rule sets) and restores with archived: false', async () => {
    const blocked = await t.request({ method: 'POST', url, payload: { key: 'gate', variants: BOOL } });
    expect(blocked.statusCode).toBe(201);
    await t.request({ method: 'PUT', url: `${url}/dependent/environments/staging`, payload: { enabled: true, offVariant: 'off', defaultServe: { variant: 'on' }, prerequisites: [{ flag: 'gate', variant: 'on' }] } });
    const refused = await t.request({ method: 'DELETE', url: `${url}/gate` });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.message).toContain('prerequisite of dependent (staging)');

    const archived = await t.request({ method: 'DELETE', url: `${url}/old-banner` });
    expect(archived.statusCode).toBe(200);
    expect(archived.json().archived).toBe(true);
    expect((await flagEvents()).at(-1)!.payload.summary).toBe('old-banner archived');
    const keys = (await t.request({ method: 'GET', url })).json().items.map((f: any) => f.key);
    expect(keys).not.toContain('old-banner');
    expect((await t.request({ method: 'GET', url: `${url}?archived=true` })).json().items.map((f: any) => f.key)).toEqual(['old-banner']);
    expect((await t.request({ method: 'PUT', url: `${url}/old-banner/environments/dev`, payload: rollout(10) })).statusCode).toBe(409);
    const restored = await t.request({ method: 'PATCH', url: `${url}/old-banner`, payload: { archived: false } });
    expect(restored.json().archived).toBe(false);
  });

  it.each([
    ['POST', '/api/v1/projects/shop/flags', { key: 'Bad Key', variants: BOOL }],
    ['POST', '/api/v1/projects/shop/flags', { key: 'no-variants', variants: [] }],
    ['POST', '/api/v1/projects/shop/flags', { key: 'extra', variants: BOOL, colour: 'red' }],
    ['POST', '/api/v1/projects/shop/flags', { key: 'kind', variants: BOOL, type: 'toggle' }],
    ['POST', '/api/v1/projects/shop/flags', { key: 'nullv', variants: [{ key: 'a', value: null }] }],
    ['PATCH', '/api/v1/projects/shop/flags/new-checkout', {}],
    ['PATCH', '/api/v1/projects/shop/flags/new-checkout', { archived: 'yes' }],
    ['PUT', '/api/v1/projects/shop/flags/new-checkout/environments/dev', { enabled: 'true', defaultServe: { variant: 'on' } }],
    ['PUT', '/api/v1/projects/shop/flags/new-checkout/environments/dev', { enabled: true }],
    ['PUT', '/api/v1/projects/shop/flags/new-checkout/environments/dev', { enabled: true, defaultServe: { variant: 'on', split: [] } }],
    ['PUT', '/api/v1/projects/shop/flags/new-checkout/environments/dev', { enabled: true, defaultServe: { split: [{ variant: 'on', weight: 33.333 }, { variant: 'off', weight: 66.667 }] } }],
    ['PUT', '/api/v1/projects/shop/flags/new-checkout/environments/dev', { enabled: true, defaultServe: { variant: 'on' }, rules: [{ conditions: [{ attribute: 'v', operator: 'matches', values: ['('] }], serve: { variant: 'on' } }] }],
    ['PUT', '/api/v1/projects/shop/flags/new-checkout/environments/dev', { enabled: true, defaultServe: { variant: 'on' }, rules: [{ conditions: [], serve: { variant: 'on' }, extra: 1 }] }],
    ['PUT', '/api/v1/projects/shop/flags/new-checkout/environments/dev', { enabled: true, defaultServe: { variant: 'on' }, prerequisites: [{ flag: 'new-checkout', variant: 'on' }] }],
    ['POST', '/api/v1/projects/shop/segments', { key: 'x', conditions: [{ attribute: 'a', operator: 'in_segment', values: ['beta'] }] }],
    ['POST', '/api/v1/projects/shop/segments', { key: 'x', conditions: 'company=acme' }],
    ['PATCH', '/api/v1/projects/shop/segments/beta', { conditions: [{ attribute: 'n', operator: 'lt', values: ['soon'] }] }],
    ['POST', '/api/v1/projects/shop/environments/dev/sdk-keys', { kind: 'admin' }],
    ['POST', '/api/v1/projects/shop/environments/dev/sdk-keys', { kind: 'server', name: '' }],
  ] as const)('%s %s refuses %j with 400 and changes nothing', async (method, path, payload) => {
    const before = await t.services.uow.reads.outbox.listAfter(null, 10_000);
    const res = await t.request({ method, url: path, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
    expect((await t.services.uow.reads.outbox.listAfter(null, 10_000)).length).toBe(before.length);
  });

  it('answers 404 for unknown projects, flags, environments and segments, and invalid JSON with 400', async () => {
    expect((await t.request({ method: 'GET', url: '/api/v1/projects/ghost/flags' })).statusCode).toBe(404);
    expect((await t.request({ method: 'GET', url: `${url}/ghost` })).statusCode).toBe(404);
    expect((await t.request({ method: 'PUT', url: `${url}/new-checkout/environments/ghost`, payload: rollout(5) })).statusCode).toBe(404);
    expect((await t.request({ method: 'PATCH', url: '/api/v1/projects/shop/segments/ghost', payload: { name: 'x' } })).statusCode).toBe(404);
    const invalid = await t.request({ method: 'POST', url, payload: '{"key":', headers: { 'content-type': 'application/json' } });
    expect(invalid.statusCode).toBe(400);
    expect((await t.request({ method: 'GET', url, token: null })).statusCode).toBe(401);
  });
});
