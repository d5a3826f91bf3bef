import { compileRuleSet } from '@slipway/flag-engine';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OpenFeature } from '@openfeature/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

const BOOL = [
  { key: 'on', value: true },
  { key: 'off', value: false },
];

describe.each(DIALECTS)('OFREP on %s', (dialect) => {
  let t: TestApp;
  let base: string;
  let clientKey: string;
  let serverKey: string;
  const flags = '/api/v1/projects/web/flags';
  const ofrep = (path: string, payload: string | object, headers: Record<string, string> = { authorization: `Bearer ${clientKey}` }) =>
    t.app.inject({ method: 'POST', url: `/ofrep/v1/evaluate/flags${path}`, payload, headers: { 'content-type': 'application/json', ...headers } });

  beforeAll(async () => {
    t = await createTestApp(dialect);
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'production', rank: 10 } });
    await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'web', repository: '/srv/git/web.git', verify: false } });
    await t.request({ method: 'POST', url: '/api/v1/projects/web/segments', payload: { key: 'beta', conditions: [{ attribute: 'company', operator: 'in', values: ['initech', 'umbrella'] }] } });
    const create = (key: string, variants: object) => t.request({ method: 'POST', url: flags, payload: { key, variants } });
    const put = async (flag: string, body: object) => {
      const res = await t.request({ method: 'PUT', url: `${flags}/${flag}/environments/production`, payload: body });
      if (res.statusCode !== 200) throw new Error(res.body);
    };
    await create('new-checkout', BOOL);
    await put('new-checkout', {
      enabled: true,
      offVariant: 'off',
      targets: [{ variant: 'off', values: ['user-7'] }],
      rules: [{ id: 'companies', conditions: [{ attribute: 'company', operator: 'in', values: ['acme', 'globex'] }], serve: { variant: 'on' } }],
      defaultServe: { split: [{ variant: 'on', weight: 25 }, { variant: 'off', weight: 75 }] },
    });
    await create('flavor', [
      { key: 'standard', value: 'standard' },
      { key: 'gpu', value: 'gpu' },
      { key: 'eu', value: 'eu-sovereign' },
    ]);
    await put('flavor', {
      enabled: true,
      offVariant: 'standard',
      targets: [{ variant: 'gpu', values: ['superadmin-1'] }],
      rules: [
        { conditions: [{ attribute: 'company', operator: 'eq', values: ['acme'] }], serve: { variant: 'eu' } },
        { conditions: [{ operator: 'in_segment', values: ['beta'] }], serve: { split: [{ variant: 'gpu', weight: 50 }, { variant: 'standard', weight: 50 }] } },
      ],
      defaultServe: { variant: 'standard' },
    });
    await create('max-items', [
      { key: 'small', value: 10 },
      { key: 'large', value: 250.5 },
    ]);
    await put('max-items', {
      enabled: true,
      rules: [{ conditions: [{ attribute: 'appVersion', operator: 'semver_gt', values: ['2.0.0'] }], serve: { variant: 'large' } }],
      defaultServe: { variant: 'small' },
    });
    await create('theme', [
      { key: 'light', value: { bg: '#fff', accents: ['blue'] } },
      { key: 'dark', value: { bg: '#000', accents: [] } },
    ]);
    await put('theme', { enabled: true, defaultServe: { split: [{ variant: 'light', weight: 60.5 }, { variant: 'dark', weight: 39.5 }], stickiness: 'company' } });
    await create('kill-switch', BOOL);
    await create('requires-checkout', BOOL);
    await put('requires-checkout', { enabled: true, offVariant: 'off', defaultServe: { variant: 'on' }, prerequisites: [{ flag: 'new-checkout', variant: 'on' }] });
    clientKey = (await t.request({ method: 'POST', url: '/api/v1/projects/web/environments/production/sdk-keys', payload: { kind: 'client' } })).json().key;
    serverKey = (await t.request({ method: 'POST', url: '/api/v1/projects/web/environments/production/sdk-keys', payload: { kind: 'server' } })).json().key;
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await OpenFeature.close();
    await t.close();
  });

  it('evaluates one flag: value, variant, reason and metadata, exactly as the spec shapes it', async () => {
    const res = await ofrep('/new-checkout', { context: { targetingKey: 'user-1', company: 'acme' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toEqual({ key: 'new-checkout', value: true, reason: 'TARGETING_MATCH', variant: 'on', metadata: { ruleId: 'companies' } });
    expect((await ofrep('/new-checkout', { context: { targetingKey: 'user-7', company: 'acme' } })).json()).toEqual({ key: 'new-checkout', value: false, reason: 'TARGETING_MATCH', variant: 'off' });
    expect((await ofrep('/kill-switch', { context: { targetingKey: 'u' } }, { 'x-api-key': serverKey })).json()).toEqual({ key: 'kill-switch', value: false, reason: 'DISABLED', variant: 'off' });
    expect((await ofrep('/theme', { context: { targetingKey: 'u', company: 'acme' } })).json().value).toHaveProperty('bg');
  });

  it('describes itself at /ofrep/v1/configuration', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/ofrep/v1/configuration', headers: { 'x-api-key': clientKey } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: 'Slipway', capabilities: { cacheInvalidation: { polling: { enabled: true } } } });
    expect((await t.app.inject({ method: 'GET', url: '/ofrep/v1/configuration' })).statusCode).toBe(401);
  });

  it('answers errors with the spec codes and statuses', async () => {
    const missing = await ofrep('/nope', { context: { targetingKey: 'u' } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ key: 'nope', errorCode: 'FLAG_NOT_FOUND', errorDetails: 'flag "nope" not found' });
    const noKey = await ofrep('/new-checkout', { context: { company: 'initech' } });
    expect(noKey.statusCode).toBe(400);
    expect(noKey.json()).toMatchObject({ key: 'new-checkout', errorCode: 'TARGETING_KEY_MISSING' });
    const badContext = await ofrep('/new-checkout', { context: 'user-1' });
    expect(badContext.statusCode).toBe(400);
    expect(badContext.json()).toMatchObject({ key: 'new-checkout', errorCode: 'INVALID_CONTEXT' });
    const badKey = await ofrep('/new-checkout', { context: { targetingKey: 42 } });
    expect(badKey.json()).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
    const notJson = await ofrep('/new-checkout', '{"context":');
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toMatchObject({ key: 'new-checkout', errorCode: 'PARSE_ERROR' });
    const array = await ofrep('', '[1,2]');
    expect(array.statusCode).toBe(400);
    expect(array.json()).toMatchObject({ errorCode: 'PARSE_ERROR' });
    for (const headers of [{}, { authorization: 'Bearer sdk-cli-unknown' }, { 'x-api-key': 'nope' }, { authorization: `Bearer ${t.adminToken}` }] as Array<Record<string, string>>) {
      const res = await ofrep('/new-checkout', { context: { targetingKey: 'u' } }, headers);
      expect(res.statusCode).toBe(401);
      expect(res.body).toBe('');
    }
  });

  it('evaluates every flag in bulk, with an ETag and 304 while nothing changed', async () => {
    const context = { context: { targetingKey: 'user-1', company: 'initech', appVersion: '2.1.0' } };
    const res = await ofrep('', context);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.flags.map((f: any) => f.key)).toEqual(['flavor', 'kill-switch', 'max-items', 'new-checkout', 'requires-checkout', 'theme']);
    expect(body.flags.find((f: any) => f.key === 'max-items')).toEqual({ key: 'max-items', value: 250.5, reason: 'TARGETING_MATCH', variant: 'large' });
    const etag = res.headers.etag as string;
    expect(etag).toMatch(/^"\d+-[A-Za-z0-9_-]+"$/);
    const again = await ofrep('', context, { authorization: `Bearer ${clientKey}`, 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const other = await ofrep('', { context: { targetingKey: 'user-2' } }, { authorization: `Bearer ${clientKey}`, 'if-none-match': etag });
    expect(other.statusCode).toBe(200);
    expect(other.json().flags.find((f: any) => f.key === 'theme')).toMatchObject({ key: 'theme', errorCode: 'TARGETING_KEY_MISSING' });
  });

  it('gives the same results as the engine on the server rule set for 1,000 contexts', async () => {
    const ruleSet = (await t.app.inject({ method: 'GET', url: '/api/v1/sdk/flags', headers: { authorization: `Bearer ${serverKey}` } })).json();
    const engine = compileRuleSet(ruleSet);
    let seed = 42;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed);
    const companies = ['acme', 'globex', 'initech', 'umbrella', 'hooli', undefined];
    for (let i = 0; i < 1000; i++) {
      const context: Record<string, unknown> = {};
      if (next() % 10 !== 0) context.targetingKey = i % 97 === 0 ? 'superadmin-1' : i % 89 === 0 ? 'user-7' : `user-${next() % 100_000}`;
      const company = companies[next() % companies.length];
      if (company !== undefined) context.company = company;
      if (next() % 2 === 0) context.appVersion = `${next() % 4}.${next() % 10}.0`;
      const bulk = (await ofrep('', { context })).json();
      for (const f of bulk.flags) {
        const r = engine.evaluate(f.key, context);
        if (r.errorCode !== undefined) expect(f).toEqual({ key: f.key, errorCode: r.errorCode, errorDetails: r.errorMessage });
        else expect(f).toEqual({ key: f.key, value: r.value, reason: r.reason, variant: r.variant, ...(r.flagMetadata && { metadata: r.flagMetadata }) });
      }
      const single = (await ofrep('/flavor', { context })).json();
      expect(single.value ?? single.errorCode).toEqual(engine.evaluate('flavor', context).value ?? engine.evaluate('flavor', context).errorCode);
    }
  });

  it('works through the real @openfeature/ofrep-provider and @openfeature/server-sdk', async () => {
    await OpenFeature.setProviderAndWait('slipway', new OFREPProvider({ baseUrl: base, headers: [['Authorization', `Bearer ${clientKey}`]] }));
    const client = OpenFeature.getClient('slipway');
    const details = await client.getBooleanDetails('new-checkout', false, { targetingKey: 'user-1', company: 'globex' });
    expect(details).toMatchObject({ value: true, variant: 'on', reason: 'TARGETING_MATCH', flagMetadata: { ruleId: 'companies' } });
    expect(details.errorCode).toBeUndefined();
    expect(await client.getStringValue('flavor', 'standard', { targetingKey: 'superadmin-1', company: 'acme' })).toBe('gpu');
    expect(await client.getStringValue('flavor', 'standard', { targetingKey: 'user-2', company: 'acme' })).toBe('eu-sovereign');
    expect(await client.getNumberValue('max-items', 1, { targetingKey: 'u', appVersion: '3.0.0' })).toBe(250.5);
    expect(await client.getObjectValue('theme', {}, { targetingKey: 'u', company: 'acme' })).toHaveProperty('bg');
    const missing = await client.getBooleanDetails('ghost', true, { targetingKey: 'u' });
    expect(missing).toMatchObject({ value: true, errorCode: 'FLAG_NOT_FOUND' });
    const noKey = await client.getBooleanDetails('new-checkout', true, { company: 'hooli' });
    expect(noKey).toMatchObject({ value: true, errorCode: 'TARGETING_KEY_MISSING' });
    const wrongType = await client.getStringDetails('new-checkout', 'x', { targetingKey: 'u', company: 'acme' });
    expect(wrongType).toMatchObject({ value: 'x', errorCode: 'TYPE_MISMATCH' });

    // A change is visible to the next evaluation (the server's compiled rule set follows every commit).
    await t.request({ method: 'PUT', url: `${flags}/new-checkout/environments/production`, payload: { enabled: false, offVariant: 'off', defaultServe: { variant: 'on' } } });
    expect(await client.getBooleanDetails('new-checkout', true, { targetingKey: 'user-1', company: 'globex' })).toMatchObject({ value: false, reason: 'DISABLED' });

    await OpenFeature.setProviderAndWait('revoked', new OFREPProvider({ baseUrl: base, headers: [['X-API-Key', 'sdk-cli-wrong']] }));
    expect(await OpenFeature.getClient('revoked').getBooleanDetails('new-checkout', true, { targetingKey: 'u' })).toMatchObject({ value: true, errorCode: 'GENERAL' });
  });
});
