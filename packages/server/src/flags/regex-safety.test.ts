// A regular expression cannot freeze the server: a catastrophically backtracking pattern is
// refused when a flag rule, a segment or a project's ticket pattern is saved (400 naming the
// field, nothing changed), and what is accepted runs in linear time — an OFREP call with a
// public client key and a 1,024-character attribute answers at once, and so does /healthz.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

const BOOL = [
  { key: 'on', value: true },
  { key: 'off', value: false },
];
const DANGEROUS = '^(a+)+$';

const withPattern = (pattern: string) => ({
  enabled: true,
  offVariant: 'off',
  rules: [{ conditions: [{ attribute: 'name', operator: 'matches', values: ['^x', pattern] }], serve: { variant: 'on' } }],
  defaultServe: { variant: 'off' },
});

describe.each(DIALECTS)('regular expressions on %s', (dialect) => {
  let t: TestApp;
  let clientKey: string;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'dev', rank: 10 } });
    expect((await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'shop', repository: '/srv/git/shop.git', verify: false } })).statusCode).toBe(201);
    expect((await t.request({ method: 'POST', url: '/api/v1/projects/shop/flags', payload: { key: 'regex', variants: BOOL } })).statusCode).toBe(201);
    clientKey = (await t.request({ method: 'POST', url: '/api/v1/projects/shop/environments/dev/sdk-keys', payload: { kind: 'client' } })).json().key;
  });
  afterAll(() => t.close());

  it('refuses ^(a+)+$ in a flag rule, naming the field, and keeps the configuration', async () => {
    const engineer = await t.tokenFor('engineer');
    const url = '/api/v1/projects/shop/flags/regex/environments/dev';
    expect((await t.request({ method: 'PUT', url, payload: withPattern('^y'), token: engineer })).statusCode).toBe(200);
    const res = await t.request({ method: 'PUT', url, payload: withPattern(DANGEROUS), token: engineer });
    expect(res.statusCode).toBe(400);
    const error = res.json().error;
    expect(error.code).toBe('validation_failed');
    expect(error.message).toContain('environment.rules[0].conditions[0].values[1]');
    expect(error.message).toContain('backtrack catastrophically');
    expect(error.details.problems.map((p: { path: string }) => p.path)).toEqual(['environment.rules[0].conditions[0].values[1]']);
    const stored = (await t.request({ method: 'GET', url: '/api/v1/projects/shop/flags/regex' })).json();
    expect(stored.environments[0].config.rules[0].conditions[0].values).toEqual(['^x', '^y']);
  });

  it('refuses it in a segment (created or changed) and as a ticket pattern', async () => {
    const segments = '/api/v1/projects/shop/segments';
    const bad = await t.request({ method: 'POST', url: segments, payload: { key: 'as', conditions: [{ attribute: 'name', operator: 'matches', values: [DANGEROUS] }] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.problems[0].path).toBe('segment.conditions[0].values[0]');
    expect((await t.request({ method: 'GET', url: `${segments}/as` })).statusCode).toBe(404);
    expect((await t.request({ method: 'POST', url: segments, payload: { key: 'ok', conditions: [{ attribute: 'name', operator: 'matches', values: ['^a+$'] }] } })).statusCode).toBe(201);
    const change = await t.request({ method: 'PATCH', url: `${segments}/ok`, payload: { conditions: [{ attribute: 'name', operator: 'matches', values: ['(\\w+\\s?)*$'] }] } });
    expect(change.statusCode).toBe(400);
    expect(change.json().error.message).toContain('segment.conditions[0].values[0]');

    const project = await t.request({ method: 'PATCH', url: '/api/v1/projects/shop', payload: { ticketPattern: DANGEROUS } });
    expect(project.statusCode).toBe(400);
    expect(JSON.stringify(project.json().error)).toContain('ticketPattern');
    expect((await t.request({ method: 'GET', url: '/api/v1/projects/shop' })).json().ticketPattern).toBe('[A-Z][A-Z0-9]+-\\d+');
    // Backreferences and lookaround need a backtracking engine: refused too.
    expect((await t.request({ method: 'PATCH', url: '/api/v1/projects/shop', payload: { ticketPattern: '(A)\\1-\\d+' } })).statusCode).toBe(400);
  });

  it('runs an accepted pattern that backtracking engines take exponential time on, over 1,024 characters, at once', async () => {
    // (a|aa)* repeats no repetition, so it is accepted; a backtracking engine explores
    // Fibonacci(1,024) ways to fail on "aaa…a!". The answer comes back, and the server stays up.
    const url = '/api/v1/projects/shop/flags/regex/environments/dev';
    expect((await t.request({ method: 'PUT', url, payload: withPattern('^(a|aa)*$') })).statusCode).toBe(200);
    const evaluate = (name: string) =>
      t.app.inject({
        method: 'POST',
        url: '/ofrep/v1/evaluate/flags/regex',
        headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
        payload: { context: { targetingKey: 'u1', name } },
      });
    const miss = await evaluate('a'.repeat(1023) + '!');
    expect(miss.json()).toMatchObject({ key: 'regex', value: false, reason: 'DEFAULT' });
    const hit = await evaluate('a'.repeat(5000)); // only the first 1,024 characters are tested
    expect(hit.json()).toMatchObject({ key: 'regex', value: true, reason: 'TARGETING_MATCH' });
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});

describe.each(DIALECTS)('object flags on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'shop', repository: '/srv/git/shop.git', verify: false } });
  });
  afterAll(() => t.close());

  it('refuse array values at save time (OFREP objectFlag is an object), naming the field', async () => {
    const url = '/api/v1/projects/shop/flags';
    const bad = await t.request({ method: 'POST', url, payload: { key: 'list', variants: [{ key: 'a', value: { items: [1] } }, { key: 'b', value: [1, 2] }] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.problems).toEqual([{ path: 'flag.variants[1].value', message: expect.stringContaining('not an array') }]);
    expect((await t.request({ method: 'GET', url: `${url}/list` })).statusCode).toBe(404);
    expect((await t.request({ method: 'POST', url, payload: { key: 'list', variants: [{ key: 'a', value: { items: [1] } }, { key: 'b', value: { items: [1, 2] } }] } })).statusCode).toBe(201);
    const change = await t.request({ method: 'PATCH', url: `${url}/list`, payload: { variants: [{ key: 'a', value: [] }, { key: 'b', value: { items: [] } }] } });
    expect(change.statusCode).toBe(400);
    expect(change.json().error.message).toContain('flag.variants[0].value');
  });
});
