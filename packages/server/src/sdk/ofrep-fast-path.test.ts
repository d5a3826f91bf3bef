// Single-flag OFREP requests over a real socket are answered in front of Fastify (decision 0029);
// app.inject() never reaches that path, so it answers through the Fastify route. Every case below is
// sent both ways and must get the same status, body and headers — and the test checks which path
// each socket request really took.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { createLoggedApp } from '../testing/logged-app.js';
import { DIALECTS } from '../testing/test-database.js';

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | undefined>;
}

const COMPARED = ['content-type', 'content-length', 'www-authenticate', 'access-control-allow-origin', 'access-control-expose-headers'];

function pick(headers: Record<string, unknown>, names: string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((n) => [n, headers[n] === undefined ? undefined : String(headers[n])]));
}

/** One request over a real connection, with exactly these headers and body bytes. */
function overSocket(base: string, url: string, method: string, headers: Record<string, string>, body: string | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${url}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers as Record<string, string> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe.each(DIALECTS)('the OFREP single-flag fast path on %s', (dialect) => {
  let t: TestApp;
  let base: string;
  let clientKey: string;
  let serverKey: string;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'production', rank: 10 } });
    await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'web', repository: '/srv/git/web.git', verify: false } });
    await t.request({ method: 'POST', url: '/api/v1/projects/web/flags', payload: { key: 'new-checkout', variants: [{ key: 'on', value: true }, { key: 'off', value: false }] } });
    await t.request({
      method: 'PUT',
      url: '/api/v1/projects/web/flags/new-checkout/environments/production',
      payload: {
        enabled: true,
        offVariant: 'off',
        rules: [{ id: 'companies', conditions: [{ attribute: 'company', operator: 'in', values: ['acme'] }], serve: { variant: 'on' } }],
        defaultServe: { split: [{ variant: 'on', weight: 25 }, { variant: 'off', weight: 75 }] },
      },
    });
    clientKey = (await t.request({ method: 'POST', url: '/api/v1/projects/web/environments/production/sdk-keys', payload: { kind: 'client' } })).json().key;
    serverKey = (await t.request({ method: 'POST', url: '/api/v1/projects/web/environments/production/sdk-keys', payload: { kind: 'server' } })).json().key;
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => t.close());

  const json = { 'content-type': 'application/json' };
  const good = JSON.stringify({ context: { targetingKey: 'user-1', company: 'acme' } });
  type Case = { name: string; url?: string; headers: () => Record<string, string>; body?: string; fast: boolean; status: number };
  const cases: Case[] = [
    { name: 'a rule match', headers: () => ({ ...json, 'x-api-key': clientKey }), body: good, fast: true, status: 200 },
    { name: 'a bearer key and a split', headers: () => ({ ...json, authorization: `Bearer ${clientKey}` }), body: JSON.stringify({ context: { targetingKey: 'user-2' } }), fast: true, status: 200 },
    { name: 'JSON with a charset', headers: () => ({ 'content-type': 'Application/JSON; charset=utf-8', 'x-api-key': clientKey }), body: good, fast: true, status: 200 },
    { name: 'a browser origin (CORS)', headers: () => ({ ...json, 'x-api-key': clientKey, origin: 'https://app.example' }), body: good, fast: true, status: 200 },
    { name: 'a server key from a web page', headers: () => ({ ...json, 'x-api-key': serverKey, origin: 'https://app.example' }), body: good, fast: true, status: 403 },
    { name: 'no key', headers: () => json, body: good, fast: true, status: 401 },
    { name: 'an unknown key with a broken body', headers: () => ({ ...json, 'x-api-key': 'sdk-cli-unknown' }), body: '{"context":', fast: true, status: 401 },
    { name: 'a user token', headers: () => ({ ...json, authorization: `Bearer ${t.adminToken}` }), body: good, fast: true, status: 401 },
    { name: 'a body that is not JSON', headers: () => ({ ...json, 'x-api-key': clientKey }), body: '{"context":', fast: true, status: 400 },
    { name: 'prototype poisoning', headers: () => ({ ...json, 'x-api-key': clientKey }), body: '{"context":{"targetingKey":"u"},"__proto__":{"admin":true}}', fast: true, status: 400 },
    { name: 'a JSON array', headers: () => ({ ...json, 'x-api-key': clientKey }), body: '[1,2]', fast: true, status: 400 },
    { name: 'a context that is a string', headers: () => ({ ...json, 'x-api-key': clientKey }), body: '{"context":"user-1"}', fast: true, status: 400 },
    { name: 'a numeric targeting key', headers: () => ({ ...json, 'x-api-key': clientKey }), body: '{"context":{"targetingKey":42}}', fast: true, status: 400 },
    { name: 'no targeting key for a split', headers: () => ({ ...json, 'x-api-key': clientKey }), body: '{"context":{"company":"initech"}}', fast: true, status: 400 },
    { name: 'a NUL in the context', headers: () => ({ ...json, 'x-api-key': clientKey }), body: '{"context":{"targetingKey":"u","company":"a\\u0000b"}}', fast: true, status: 400 },
    { name: 'a NUL in the flag key', url: '/ofrep/v1/evaluate/flags/new%00checkout', headers: () => ({ ...json, 'x-api-key': clientKey }), body: good, fast: true, status: 400 },
    { name: 'an unknown flag', url: '/ofrep/v1/evaluate/flags/ghost', headers: () => ({ ...json, 'x-api-key': clientKey }), body: good, fast: true, status: 404 },
    { name: 'a percent-encoded key', url: '/ofrep/v1/evaluate/flags/new%2Dcheckout', headers: () => ({ ...json, 'x-api-key': clientKey }), body: good, fast: true, status: 200 },
    { name: 'no body at all', headers: () => ({ 'x-api-key': clientKey }), fast: true, status: 400 },
    // Left to Fastify: the answer must still be the same.
    { name: 'a query string', url: '/ofrep/v1/evaluate/flags/new-checkout?x=1', headers: () => ({ ...json, 'x-api-key': clientKey }), body: good, fast: false, status: 200 },
    { name: 'text/plain', headers: () => ({ 'content-type': 'text/plain', 'x-api-key': clientKey }), body: good, fast: false, status: 400 },
    { name: 'JSON content type with an empty body', headers: () => ({ ...json, 'content-length': '0', 'x-api-key': clientKey }), body: '', fast: false, status: 400 },
    { name: 'a body over the 1 MiB limit', headers: () => ({ ...json, 'x-api-key': clientKey }), body: JSON.stringify({ context: { targetingKey: 'u', pad: 'x'.repeat(1024 * 1024) } }), fast: false, status: 400 },
    { name: 'a trailing slash', url: '/ofrep/v1/evaluate/flags/new-checkout/', headers: () => ({ ...json, 'x-api-key': clientKey }), body: good, fast: false, status: 404 },
  ];

  it.each(cases)('answers $name the same as the Fastify route', async (c) => {
    const url = c.url ?? '/ofrep/v1/evaluate/flags/new-checkout';
    const headers = c.headers();
    const before = t.app.ofrepFastPath!.handled;
    const socket = await overSocket(base, url, 'POST', headers, c.body);
    expect(t.app.ofrepFastPath!.handled - before).toBe(c.fast ? 1 : 0);
    const injected = await t.app.inject({ method: 'POST', url, headers, ...(c.body !== undefined && { payload: c.body }) });
    expect(socket.status).toBe(c.status);
    expect(socket.status).toBe(injected.statusCode);
    expect(socket.body).toBe(injected.body);
    expect(pick(socket.headers, COMPARED)).toEqual(pick(injected.headers, COMPARED));
    expect(socket.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('names the field of a NUL and keeps the flag key in the answer', async () => {
    const res = await overSocket(base, '/ofrep/v1/evaluate/flags/new-checkout', 'POST', { ...json, 'x-api-key': clientKey }, '{"context":{"targetingKey":"u","company":"a\\u0000b"}}');
    expect(JSON.parse(res.body)).toEqual({ key: 'new-checkout', errorCode: 'INVALID_CONTEXT', errorDetails: 'body/context/company must not contain NUL characters (\\u0000).' });
  });

  it('echoes a sane X-Request-Id and replaces one that is not', async () => {
    const sane = await overSocket(base, '/ofrep/v1/evaluate/flags/new-checkout', 'POST', { ...json, 'x-api-key': clientKey, 'x-request-id': 'lb-1234.abc' }, good);
    expect(sane.headers['x-request-id']).toBe('lb-1234.abc');
    const odd = await overSocket(base, '/ofrep/v1/evaluate/flags/new-checkout', 'POST', { ...json, 'x-api-key': clientKey, 'x-request-id': 'has spaces' }, good);
    expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('takes a chunked body through Fastify with the same answer', async () => {
    const before = t.app.ofrepFastPath!.handled;
    const res = await overSocket(base, '/ofrep/v1/evaluate/flags/new-checkout', 'POST', { ...json, 'x-api-key': clientKey, 'transfer-encoding': 'chunked' }, good);
    expect(t.app.ofrepFastPath!.handled).toBe(before);
    expect(JSON.parse(res.body)).toEqual({ key: 'new-checkout', value: true, reason: 'TARGETING_MATCH', variant: 'on', metadata: { ruleId: 'companies' } });
  });

  it('counts its requests in /metrics under the route, by status', async () => {
    const count = async (status: number) => {
      const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      const line = text.split('\n').find((l) => l.startsWith('slipway_http_request_duration_seconds_count') && l.includes('route="/ofrep/v1/evaluate/flags/:key"') && l.includes(`status="${status}"`));
      return line === undefined ? 0 : Number(line.split(' ').pop());
    };
    const [ok, missing] = [await count(200), await count(404)];
    for (let i = 0; i < 3; i++) await overSocket(base, '/ofrep/v1/evaluate/flags/new-checkout', 'POST', { ...json, 'x-api-key': clientKey }, good);
    await overSocket(base, '/ofrep/v1/evaluate/flags/ghost', 'POST', { ...json, 'x-api-key': clientKey }, good);
    expect(await count(200)).toBe(ok + 3);
    expect(await count(404)).toBe(missing + 1);
  });

  it('serves many requests on one keep-alive connection, mixed with API requests', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const one = (url: string, method: string, headers: Record<string, string>, body?: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(`${base}${url}`, { method, headers, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      statuses.push(await one('/ofrep/v1/evaluate/flags/new-checkout', 'POST', { ...json, 'x-api-key': i % 5 === 4 ? 'sdk-cli-nope' : clientKey }, good));
      if (i % 4 === 0) statuses.push(await one('/api/v1/projects', 'GET', { authorization: `Bearer ${t.adminToken}` }));
    }
    agent.destroy();
    expect(statuses.filter((s) => s === 401)).toHaveLength(4);
    expect(statuses.filter((s) => s === 200)).toHaveLength(statuses.length - 4);
  });
});

describe('the OFREP fast path and the log', () => {
  it('logs an unexpected failure with its request id, and steps aside when access logs are on', async () => {
    for (const level of ['info', 'debug']) {
      const { app, database, lines, sdkKey, close } = await createLoggedApp(level);
      try {
        const key = await sdkKey('client');
        const base = await app.listen({ port: 0, host: '127.0.0.1' });
        lines.length = 0;
        const ok = await overSocket(base, '/ofrep/v1/evaluate/flags/anything', 'POST', { 'content-type': 'application/json', 'x-api-key': key }, '{"context":{"targetingKey":"u"}}');
        expect(ok.status).toBe(404);
        if (level === 'info') {
          expect(app.ofrepFastPath).not.toBeNull();
          expect(lines.filter((l) => l.msg === 'incoming request')).toEqual([]);
          // A key not yet in memory needs the database, which is gone: 500, logged with the request id.
          const other = await sdkKey('client');
          await database.close();
          const failed = await overSocket(base, '/ofrep/v1/evaluate/flags/anything', 'POST', { 'content-type': 'application/json', 'x-api-key': other, 'x-request-id': 'req-broken-2' }, '{}');
          expect(failed.status).toBe(500);
          expect(JSON.parse(failed.body)).toEqual({ errorDetails: 'internal error; the request id is in the x-request-id header' });
          expect(lines.filter((l) => l.level >= 50).map((l) => ({ msg: l.msg, reqId: l.reqId }))).toEqual([{ msg: 'OFREP request failed', reqId: 'req-broken-2' }]);
        } else {
          expect(app.ofrepFastPath).toBeNull();
          expect(lines.filter((l) => l.msg === 'incoming request').map((l) => l.req?.url)).toEqual(['/ofrep/v1/evaluate/flags/anything']);
        }
      } finally {
        await close();
      }
    }
  });
});
