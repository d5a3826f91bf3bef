import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/schema.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

type Json = unknown;

const HUGE = 'x'.repeat(100_000);
const deep = (depth: number): Json => (depth === 0 ? {} : { a: deep(depth - 1) });
const deepArray = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

/** Bodies that are not a JSON object, or not JSON at all, sent raw. */
const RAW_JUNK: Array<{ body: string; contentType?: string }> = [
  { body: '{' },
  { body: '{"key": "dev",}' },
  { body: "{'key': 'dev'}" },
  { body: 'null' },
  { body: '[]' },
  { body: '"a string"' },
  { body: '12345' },
  { body: 'true' },
  { body: '' },
  { body: '\u0000\u0001' },
  { body: '{"__proto__": {"admin": true}, "key": "proto"}' },
  { body: '{"constructor": {"prototype": {"x": 1}}, "key": "ctor"}' },
  { body: deepArray(5000) },
  { body: '{"key": "dev"}', contentType: 'text/plain' },
  { body: 'key=dev&name=Dev', contentType: 'application/x-www-form-urlencoded' },
  { body: '--b\r\nContent-Disposition: form-data; name="key"\r\n\r\ndev\r\n--b--', contentType: 'multipart/form-data; boundary=b' },
  { body: '<env key="dev"/>', contentType: 'application/xml' },
  { body: '{"key": "dev"}', contentType: 'application/json; charset=utf-16' },
  { body: '{"key": "trailing"} garbage' },
  { body: '{"key": "\ud800"}' },
];

/** Values no field of these schemas accepts, whatever its type. */
const ALWAYS_WRONG: Json[] = [{ nested: { junk: [1, { deeper: deep(5) }] } }, [1, 'two', null], HUGE];

interface Route {
  method: 'POST' | 'PATCH' | 'DELETE';
  url: string;
  valid: Record<string, Json>;
  /** Per field: values that must be refused in an otherwise valid body. */
  wrong: Record<string, Json[]>;
  required: string[];
}

const ROUTES: Route[] = [
  {
    method: 'POST',
    url: '/api/v1/environments',
    valid: { key: 'fresh-env', name: 'Fresh', rank: 5, protected: false, color: '#00ff00' },
    wrong: { key: ['Dev', 'a b', '../etc', '-lead', 'ü', '', 7, 'k'.repeat(64)], name: ['', 3, true], rank: ['5', 1.5, 1e12, null], protected: ['true', 1, 'yes'], color: ['red', '#12345', 12], extra: [1] },
    required: ['key'],
  },
  {
    method: 'PATCH',
    url: '/api/v1/environments/dev',
    valid: { name: 'Development' },
    wrong: { name: ['', 1, false, null], rank: ['high', 0.5], protected: ['no', 0], color: ['#zzzzzz'], key: ['renamed'] },
    required: [],
  },
  {
    method: 'POST',
    url: '/api/v1/projects',
    valid: { key: 'fresh-project', repository: '/srv/git/fresh.git', verify: false },
    wrong: {
      key: ['Fresh', 12, 'x y'],
      repository: ['relative/path', '', 42, '-uevil', 'http://', 'r'.repeat(2001)],
      tagTemplate: ['v', 'v{ver}', '{version} x', 5, '{version}..{version}'],
      ticketPattern: ['(', '[', 7, 'p'.repeat(201)],
      lifecycle: ['dev', [1], ['unknown-env'], ['dev', 'dev'], [null]],
      hotfixLifecycle: [['production', 'dev'], ['nope'], 'qa'],
      initialVersion: ['1', 'v1.0.0', 'latest', 100],
      name: ['', 0],
      verify: ['yes', 1, null],
      releaseRules: ['all', [{ release: 'huge' }], [{ type: 'feat' }], [{ type: 'feat', release: 'minor', extra: 1 }], [{ release: 'patch' }, { type: 'feat', release: 'minor' }], [{ scope: '', release: 'patch' }]],
    },
    required: ['key', 'repository'],
  },
  {
    method: 'PATCH',
    url: '/api/v1/projects/api',
    valid: { name: 'API' },
    wrong: { name: [''], repository: ['nope'], tagTemplate: ['no-placeholder', '{version}.lock'], ticketPattern: ['(?<'], lifecycle: [['ghost']], hotfixLifecycle: [['ghost']], initialVersion: ['x.y.z'], key: ['other'], releaseRules: [[{ release: 'never' }], [{ release: 'patch' }, { breaking: true, release: 'major' }]], verify: ['no'] },
    required: [],
  },
  {
    method: 'POST',
    url: '/api/v1/tokens',
    valid: { name: 'automation' },
    wrong: { name: ['', 5, 'n'.repeat(101)], role: ['root', 'ADMIN', 3], expiresAt: ['tomorrow', '2020-01-01T00:00:00Z', 123], userId: ['no-such-user', 5] },
    required: ['name'],
  },
  {
    method: 'POST',
    url: '/api/v1/users',
    valid: { username: 'new-user', role: 'viewer' },
    wrong: { username: ['has space', '', '-x', 5, 'ü'], role: ['superuser', null], password: ['short', 12345678901], email: ['not-an-email', 5], displayName: ['', 9], disabled: [true] },
    required: ['username', 'role'],
  },
  {
    method: 'PATCH',
    url: '/api/v1/users/USER_ID',
    valid: { displayName: 'Erin' },
    wrong: { role: ['owner'], disabled: ['yes'], email: ['@'], password: ['tiny'], username: ['renamed'] },
    required: [],
  },
];

const DB_TABLES: Array<keyof Database> = ['users', 'api_tokens', 'audit_log', 'outbox', 'environments', 'projects'];

describe.each(DIALECTS)('bad input on %s', (dialect) => {
  let t: TestApp;
  let userId: string;

  async function snapshot(): Promise<string> {
    const parts: unknown[] = [];
    for (const table of DB_TABLES) parts.push(await t.database.db.selectFrom(table).selectAll().orderBy('id').execute());
    return JSON.stringify(parts);
  }

  beforeAll(async () => {
    t = await createTestApp(dialect);
    for (const key of ['dev', 'qa', 'production']) await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key } });
    await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'api', repository: '/srv/git/api.git', lifecycle: ['dev', 'qa', 'production'], verify: false } });
    userId = (await t.request({ method: 'POST', url: '/api/v1/users', payload: { username: 'erin', role: 'qa' } })).json().id;
  });
  afterAll(() => t.close());

  function cases(): Array<{ name: string; method: Route['method']; url: string; body: string; contentType: string }> {
    const out: Array<{ name: string; method: Route['method']; url: string; body: string; contentType: string }> = [];
    for (const route of ROUTES) {
      const url = route.url.replace('USER_ID', userId);
      for (const raw of RAW_JUNK) out.push({ name: `${route.method} ${route.url} raw ${raw.body.slice(0, 20)}`, method: route.method, url, body: raw.body, contentType: raw.contentType ?? 'application/json' });
      for (const [field, values] of Object.entries(route.wrong)) {
        for (const value of [...values, ...ALWAYS_WRONG]) {
          out.push({ name: `${route.method} ${route.url} ${field}=${JSON.stringify(value).slice(0, 30)}`, method: route.method, url, body: JSON.stringify({ ...route.valid, [field]: value }), contentType: 'application/json' });
        }
      }
      for (const field of route.required) {
        const { [field]: _dropped, ...rest } = route.valid;
        out.push({ name: `${route.method} ${route.url} without ${field}`, method: route.method, url, body: JSON.stringify(rest), contentType: 'application/json' });
      }
      if (route.method === 'PATCH') out.push({ name: `${route.method} ${route.url} empty object`, method: route.method, url, body: '{}', contentType: 'application/json' });
      out.push({ name: `${route.method} ${route.url} unicode keys`, method: route.method, url, body: JSON.stringify({ ...route.valid, 'ключ🔑': 'значение', '\u202e': 1 }), contentType: 'application/json' });
    }
    for (const url of ['/api/v1/environments/%00', `/api/v1/environments/${'a'.repeat(300)}`, '/api/v1/environments/..%2F..%2Fetc', '/api/v1/environments/ghost', '/api/v1/tokens/%F0%9F%92%A5', `/api/v1/tokens/${'t'.repeat(100)}`]) {
      out.push({ name: `DELETE ${url.slice(0, 40)}`, method: 'DELETE', url, body: '', contentType: 'application/json' });
    }
    return out;
  }

  it('answers at least 200 malformed requests with a 4xx JSON error and changes nothing', async () => {
    await t.request({ method: 'GET', url: '/api/v1/me' });
    const before = await snapshot();
    const all = cases();
    expect(all.length).toBeGreaterThanOrEqual(200);
    const failures: string[] = [];
    for (const c of all) {
      const res = await t.request({ method: c.method, url: c.url, payload: c.body, headers: { 'content-type': c.contentType } });
      const json = (() => {
        try {
          return res.json() as { error?: { code?: unknown; message?: unknown } };
        } catch {
          return null;
        }
      })();
      if (res.statusCode < 400 || res.statusCode >= 500 || typeof json?.error?.code !== 'string' || typeof json.error.message !== 'string') {
        failures.push(`${c.name} → ${res.statusCode} ${res.body.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await snapshot()).toBe(before);
  });

  // Issue 11 §7: PostgreSQL cannot store NUL in text and answered 500; SQLite stored it. Refused
  // at the validation layer, on both dialects, naming the field.
  const NUL_CASES: Array<{ method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'; url: string; payload?: unknown; field: string }> = [
    { method: 'GET', url: '/api/v1/environments/dev%00', field: 'params/env' },
    { method: 'PATCH', url: '/api/v1/environments/%00', payload: { name: 'x' }, field: 'params/env' },
    { method: 'DELETE', url: '/api/v1/environments/qa%00x', field: 'params/env' },
    { method: 'GET', url: '/api/v1/projects/api%00/releases', field: 'params/project' },
    { method: 'GET', url: '/api/v1/environments?cursor=%00', field: 'query/cursor' },
    { method: 'GET', url: '/api/v1/audit?actor=ad%00min', field: 'query/actor' },
    { method: 'GET', url: '/api/v1/projects/api/flags?q=che%00ck', field: 'query/q' },
    { method: 'POST', url: '/api/v1/environments', payload: { key: 'nul-env', name: 'Dev\u0000elopment' }, field: 'body/name' },
    { method: 'PATCH', url: '/api/v1/environments/dev', payload: { freezes: [{ from: '2030-01-01T00:00:00Z', to: '2030-01-02T00:00:00Z', reason: 'train\u0000' }] }, field: 'body/freezes/0/reason' },
    { method: 'PATCH', url: '/api/v1/environments/dev', payload: { ['na\u0000me']: 'x' }, field: 'body/na\\u0000me' },
    { method: 'POST', url: '/api/v1/projects', payload: { key: 'nul-project', repository: '/srv/git/nul.git', lifecycle: ['dev', 'qa\u0000'], verify: false }, field: 'body/lifecycle/1' },
    { method: 'PATCH', url: '/api/v1/projects/api', payload: { name: 'API\u0000' }, field: 'body/name' },
    { method: 'POST', url: '/api/v1/projects/api/flags', payload: { key: 'nul-flag', variants: [{ key: 'on', value: { deep: { list: ['ok', 'no\u0000'] } } }, { key: 'off', value: {} }] }, field: 'body/variants/0/value/deep/list/1' },
    { method: 'POST', url: '/api/v1/users', payload: { username: 'nul-user', role: 'qa', displayName: '\u0000' }, field: 'body/displayName' },
    { method: 'POST', url: '/api/v1/tokens', payload: { name: 'auto\u0000mation' }, field: 'body/name' },
  ];

  it('refuses NUL characters in path segments, query values and (nested) body strings with a 400 naming the field; nothing changes', async () => {
    const before = await snapshot();
    const failures: string[] = [];
    for (const c of NUL_CASES) {
      const res = await t.request({ method: c.method, url: c.url, ...(c.payload !== undefined && { payload: c.payload as Record<string, unknown> }) });
      const error = (res.json() as { error?: { code?: string; message?: string; details?: { problems?: Array<{ path: string }> } } }).error;
      if (res.statusCode !== 400 || error?.code !== 'validation_failed' || !error.message?.includes('NUL') || error.details?.problems?.[0]?.path !== c.field) {
        failures.push(`${c.method} ${c.url} → ${res.statusCode} ${res.body.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await snapshot()).toBe(before);
  });

  it('OFREP keeps its own error shape for a NUL in the context (errorCode INVALID_CONTEXT, the field named)', async () => {
    const created = await t.request({ method: 'POST', url: '/api/v1/projects/api/environments/dev/sdk-keys', payload: { kind: 'client' } });
    expect(created.statusCode, created.body).toBe(201);
    const key = created.json().key as string;
    const res = await t.request({ method: 'POST', url: '/ofrep/v1/evaluate/flags/checkout', token: key, payload: { context: { targetingKey: 'u1', company: { name: 'ACME\u0000' } } } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ key: 'checkout', errorCode: 'INVALID_CONTEXT', errorDetails: expect.stringContaining('body/context/company/name') });
    const bulk = await t.request({ method: 'POST', url: '/ofrep/v1/evaluate/flags', token: key, payload: { context: { ['ke\u0000y']: 1 } } });
    expect(bulk.statusCode).toBe(400);
    expect(bulk.json()).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
  });
});
