import { compileRuleSet } from '@slipway/flag-engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';

// The worked example of docs/flags.md, step by step: if this fails, the documentation is wrong.
describe('docs/flags.md: flavors, a superadmin override and a beta segment', () => {
  let t: TestApp;
  let serverKey: string;
  const ok = async (method: 'POST' | 'PUT' | 'PATCH', url: string, payload: object) => {
    const res = await t.request({ method, url, payload });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json();
  };
  const evaluator = async () => compileRuleSet((await t.app.inject({ method: 'GET', url: '/api/v1/sdk/flags', headers: { authorization: `Bearer ${serverKey}` } })).json());

  beforeAll(async () => {
    t = await createTestApp('sqlite');
    await ok('POST', '/api/v1/environments', { key: 'production', rank: 10, protected: true });
    await ok('POST', '/api/v1/projects', { key: 'app', repository: '/srv/git/app.git', verify: false });
    serverKey = (await ok('POST', '/api/v1/projects/app/environments/production/sdk-keys', { kind: 'server' })).key;
  });
  afterAll(() => t.close());

  it('determineFlavorForUser() is one evaluation: company rules, a user override that wins, a default', async () => {
    await ok('POST', '/api/v1/projects/app/flags', {
      key: 'flavor',
      type: 'operational',
      variants: [
        { key: 'standard', value: 'standard' },
        { key: 'gpu', value: 'gpu-a100' },
        { key: 'eu', value: 'eu-sovereign' },
      ],
    });
    await ok('PUT', '/api/v1/projects/app/flags/flavor/environments/production', {
      enabled: true,
      offVariant: 'standard',
      targets: [{ variant: 'gpu', values: ['pm-avaya-17'] }],
      rules: [
        { id: 'gpu-companies', conditions: [{ attribute: 'company', operator: 'in', values: ['initech', 'hooli'] }], serve: { variant: 'gpu' } },
        { id: 'eu-companies', conditions: [{ attribute: 'company', operator: 'in', values: ['avaya', 'globex'] }], serve: { variant: 'eu' } },
      ],
      defaultServe: { variant: 'standard' },
    });
    const flags = await evaluator();
    const determineFlavorForUser = (user: { id: string; companyId: string }) => flags.evaluate('flavor', { targetingKey: user.id, company: user.companyId }, 'standard', 'string').value;
    expect(determineFlavorForUser({ id: 'u-1', companyId: 'hooli' })).toBe('gpu-a100');
    expect(determineFlavorForUser({ id: 'u-2', companyId: 'avaya' })).toBe('eu-sovereign');
    expect(determineFlavorForUser({ id: 'pm-avaya-17', companyId: 'avaya' })).toBe('gpu-a100');
    expect(determineFlavorForUser({ id: 'u-3', companyId: 'acme' })).toBe('standard');
  });

  it('releases to a beta segment, then rolls out to everyone', async () => {
    await ok('POST', '/api/v1/projects/app/segments', { key: 'beta', name: 'Beta companies', conditions: [{ attribute: 'company', operator: 'in', values: ['initech', 'umbrella'] }] });
    await ok('POST', '/api/v1/projects/app/flags', { key: 'raised-hands', type: 'release', variants: [{ key: 'on', value: true }, { key: 'off', value: false }] });
    const config = {
      enabled: true,
      offVariant: 'off',
      targets: [{ variant: 'on', values: ['pm-avaya-17'] }],
      rules: [{ id: 'beta', conditions: [{ operator: 'in_segment', values: ['beta'] }], serve: { variant: 'on' } }],
      defaultServe: { variant: 'off' },
    };
    await ok('PUT', '/api/v1/projects/app/flags/raised-hands/environments/production', config);
    let flags = await evaluator();
    const has = (id: string, company: string) => flags.evaluate('raised-hands', { targetingKey: id, company }, false).value;
    expect([has('u-1', 'initech'), has('pm-avaya-17', 'avaya'), has('u-2', 'avaya')]).toEqual([true, true, false]);

    await ok('PATCH', '/api/v1/projects/app/segments/beta', { conditions: [{ attribute: 'company', operator: 'in', values: ['initech', 'umbrella', 'avaya'] }] });
    flags = await evaluator();
    expect(has('u-2', 'avaya')).toBe(true);

    await ok('PUT', '/api/v1/projects/app/flags/raised-hands/environments/production', { ...config, defaultServe: { split: [{ variant: 'on', weight: 5 }, { variant: 'off', weight: 95 }] } });
    await ok('PUT', '/api/v1/projects/app/flags/raised-hands/environments/production', { ...config, defaultServe: { split: [{ variant: 'on', weight: 25 }, { variant: 'off', weight: 75 }] } });
    const events = (await t.services.uow.reads.outbox.listAfter(null, 1000)).filter((e) => e.type === 'flag.changed').map((e) => e.payload.summary);
    expect(events.slice(-2)).toEqual(['raised-hands in production: rollout 0% → 5%', 'raised-hands in production: rollout 5% → 25%']);
  });
});
