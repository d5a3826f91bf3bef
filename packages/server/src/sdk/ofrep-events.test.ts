// OFREP as browsers and the official clients meet it: the key is checked before the body is read
// (401 with WWW-Authenticate, whatever the body), CORS, server keys refused from web pages, and the
// event streams of ADR 0008 — advertised by the bulk answer, a `refetchEvaluation` per change,
// resumable with Last-Event-ID, closed when the key is revoked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';
import { SseClient } from '../testing/sse-client.js';

const BOOL = [
  { key: 'on', value: true },
  { key: 'off', value: false },
];

describe.each(DIALECTS)('OFREP event streams and edge cases on %s', (dialect) => {
  let t: TestApp;
  let base: string;
  let clientKey: string;
  let clientKeyId: string;
  let serverKey: string;
  const flag = '/api/v1/projects/web/flags/banner/environments/production';
  const bulk = (headers: Record<string, string> = {}, query = '', body: unknown = { context: { targetingKey: 'user-1' } }) =>
    fetch(`${base}/ofrep/v1/evaluate/flags${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const setBanner = async (enabled: boolean) => {
    const res = await t.request({ method: 'PUT', url: flag, payload: { enabled, offVariant: 'off', defaultServe: { variant: 'on' } } });
    expect(res.statusCode).toBe(200);
  };

  beforeAll(async () => {
    t = await createTestApp(dialect);
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'production', rank: 10 } });
    await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'web', repository: '/srv/git/web.git', verify: false } });
    await t.request({ method: 'POST', url: '/api/v1/projects/web/flags', payload: { key: 'banner', variants: BOOL } });
    const created = (await t.request({ method: 'POST', url: '/api/v1/projects/web/environments/production/sdk-keys', payload: { kind: 'client' } })).json();
    clientKey = created.key;
    clientKeyId = created.id;
    serverKey = (await t.request({ method: 'POST', url: '/api/v1/projects/web/environments/production/sdk-keys', payload: { kind: 'server' } })).json().key;
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => t.close());

  it('checks the key before reading the body: 401 with WWW-Authenticate, even for malformed JSON', async () => {
    for (const headers of [{ authorization: '' }, { authorization: 'Bearer sdk-cli-nope' }]) {
      for (const body of ['{"context":', '[1,2]', { context: { targetingKey: 'u' } }]) {
        const res = await bulk(headers, '', body);
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="slipway"/);
        expect(await res.text()).toBe('');
      }
    }
    const single = await fetch(`${base}/ofrep/v1/evaluate/flags/banner`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"context":' });
    expect(single.status).toBe(401);
    // With a key, the same body is the PARSE_ERROR it always was.
    expect((await bulk({}, '', '{"context":')).status).toBe(400);
    // The JSON API's 401s name the scheme too.
    const api = await t.request({ method: 'GET', url: '/api/v1/projects', token: null });
    expect(api.statusCode).toBe(401);
    expect(api.headers['www-authenticate']).toMatch(/^Bearer realm="slipway"/);
  });

  it('answers browsers (CORS preflight and headers) and refuses a server key from a web page', async () => {
    const preflight = await fetch(`${base}/ofrep/v1/evaluate/flags`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('if-none-match');
    const res = await bulk({ origin: 'https://shop.example' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toContain('ETag');
    const leaked = await bulk({ origin: 'https://shop.example', authorization: `Bearer ${serverKey}` });
    expect(leaked.status).toBe(403);
    expect(((await leaked.json()) as { errorDetails: string }).errorDetails).toContain('server SDK key');
    // The same server key from a backend (no Origin) still evaluates.
    expect((await bulk({ authorization: `Bearer ${serverKey}` })).status).toBe(200);
  });

  it('marks the configuration endpoint deprecated', async () => {
    const res = await fetch(`${base}/ofrep/v1/configuration`, { headers: { 'x-api-key': clientKey } });
    expect(res.status).toBe(200);
    expect(res.headers.get('deprecation')).toBe('true');
  });

  it('advertises an event stream that says refetchEvaluation on each change, resumable with Last-Event-ID', async () => {
    await setBanner(false);
    const first = await bulk();
    const answer = (await first.json()) as { flags: unknown[]; eventStreams: Array<{ endpoint: { requestUri: string } }> };
    expect(answer.flags).toEqual([{ key: 'banner', value: false, reason: 'DISABLED', variant: 'off' }]);
    expect(answer.eventStreams).toHaveLength(1);
    const stream = answer.eventStreams[0]!;
    expect(stream).toMatchObject({ type: 'sse', inactivityDelaySec: 120 });
    expect(stream.endpoint.requestUri).toMatch(/^\/ofrep\/v1\/event-stream\?key=[^&]+&sig=ofs_/);
    expect(stream.endpoint.requestUri).not.toContain(clientKey);
    const etag = first.headers.get('etag')!;

    const sse = await SseClient.connect(`${base}${stream.endpoint.requestUri}`, { origin: 'https://shop.example' });
    expect(sse.status).toBe(200);
    expect(sse.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(sse.headers['access-control-allow-origin']).toBe('*');
    try {
      await setBanner(true);
      const notice = await sse.waitFor((e) => e.data.includes('refetchEvaluation'));
      const data = JSON.parse(notice.data);
      expect(data.type).toBe('refetchEvaluation');
      expect(data.etag).toBe(`"${notice.id}"`);
      // The refetch the notice asks for, with its metadata, sees the change.
      const refetched = await bulk({ 'if-none-match': etag }, `?flagConfigEtag=${encodeURIComponent(data.etag)}`);
      expect(refetched.status).toBe(200);
      expect(((await refetched.json()) as { flags: unknown[] }).flags).toEqual([{ key: 'banner', value: true, reason: 'STATIC', variant: 'on' }]);
      const seen = Number(notice.id);

      // Resumed after missing two changes: one notice at once, with the latest version.
      await setBanner(false);
      await setBanner(true);
      const resumed = await SseClient.connect(`${base}${stream.endpoint.requestUri}`, { 'last-event-id': String(seen) });
      try {
        const catchUp = await resumed.waitFor((e) => e.data.includes('refetchEvaluation'));
        expect(Number(catchUp.id)).toBe(seen + 2);
      } finally {
        resumed.close();
      }
      // Resumed with nothing missed: nothing until the next change.
      const current = await SseClient.connect(`${base}${stream.endpoint.requestUri}`, { 'last-event-id': String(seen + 2) });
      try {
        await new Promise((r) => setTimeout(r, 300));
        expect(current.events.filter((e) => e.data.includes('refetchEvaluation'))).toEqual([]);
        await setBanner(false);
        expect(Number((await current.waitFor((e) => e.data.includes('refetchEvaluation'))).id)).toBe(seen + 3);
      } finally {
        current.close();
      }
    } finally {
      sse.close();
    }
  });

  it('refuses a forged stream URL and ends the streams of a revoked key', async () => {
    const uri = ((await (await bulk()).json()) as { eventStreams: Array<{ endpoint: { requestUri: string } }> }).eventStreams[0]!.endpoint.requestUri;
    const forged = await fetch(`${base}${uri.replace(/sig=ofs_./, 'sig=ofs_x')}`);
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const sse = await SseClient.connect(`${base}${uri}`, {});
    expect(sse.status).toBe(200);
    const revoked = await t.request({ method: 'DELETE', url: `/api/v1/projects/web/environments/production/sdk-keys/${clientKeyId}` });
    expect(revoked.statusCode).toBe(200);
    for (let i = 0; i < 100 && !sse.ended; i++) await new Promise((r) => setTimeout(r, 50));
    expect(sse.ended).toBe(true);
    expect((await fetch(`${base}${uri}`)).status).toBe(401);
  });
});
