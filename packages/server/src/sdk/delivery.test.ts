import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseClient } from '../testing/sse-client.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

const BOOL = [
  { key: 'on', value: true },
  { key: 'off', value: false },
];

describe.each(DIALECTS)('SDK keys, rule-set delivery and the SSE stream on %s', (dialect) => {
  let t: TestApp;
  let base: string;
  let serverKey: string;
  let clientKey: string;
  const flags = '/api/v1/projects/shop/flags';
  const put = (flag: string, env: string, body: object) => t.request({ method: 'PUT', url: `${flags}/${flag}/environments/${env}`, payload: body });
  const sdk = (path: string, key: string | null, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url: path, headers: { ...(key !== null && { authorization: `Bearer ${key}` }), ...headers } });

  beforeAll(async () => {
    t = await createTestApp(dialect);
    t.services.flagStream.pingIntervalMs = 50;
    for (const [key, rank, prot] of [['dev', 10, false], ['production', 20, true]] as const) {
      await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key, rank, protected: prot } });
    }
    await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'shop', repository: '/srv/git/shop.git', verify: false } });
    await t.request({ method: 'POST', url: flags, payload: { key: 'new-checkout', variants: BOOL } });
    await put('new-checkout', 'production', { enabled: true, offVariant: 'off', defaultServe: { variant: 'on' } });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => t.close());

  it('creates SDK keys shown once, stored hashed, listed without secrets', async () => {
    const srv = await t.request({ method: 'POST', url: '/api/v1/projects/shop/environments/production/sdk-keys', payload: { kind: 'server', name: 'api servers' } });
    expect(srv.statusCode).toBe(201);
    serverKey = srv.json().key;
    expect(serverKey).toMatch(/^sdk-srv-[A-Za-z0-9_-]{43}$/);
    const cli = await t.request({ method: 'POST', url: '/api/v1/projects/shop/environments/production/sdk-keys', payload: { kind: 'client' } });
    clientKey = cli.json().key;
    expect(clientKey).toMatch(/^sdk-cli-[A-Za-z0-9_-]{43}$/);
    const list = await t.request({ method: 'GET', url: '/api/v1/projects/shop/environments/production/sdk-keys' });
    expect(list.json().items.map((k: any) => [k.kind, k.name, k.prefix])).toEqual([
      ['server', 'api servers', serverKey.slice(0, 12)],
      ['client', 'client key', clientKey.slice(0, 12)],
    ]);
    expect(list.body).not.toContain(serverKey);
    const audit = await t.request({ method: 'GET', url: '/api/v1/audit?resourceType=sdk_key' });
    expect(audit.json().items).toHaveLength(2);
    expect(audit.body).not.toContain(serverKey.slice(12));
    const engineer = await t.tokenFor('engineer');
    expect((await t.request({ method: 'POST', url: '/api/v1/projects/shop/environments/production/sdk-keys', payload: { kind: 'server' }, token: engineer })).statusCode).toBe(403);
  });

  it('serves the rule set to server keys with an ETag; 304 when unchanged; client keys cannot read rules', async () => {
    const res = await sdk('/api/v1/sdk/flags', serverKey);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toEqual({
      project: 'shop',
      environment: 'production',
      version: body.version,
      flags: [{ key: 'new-checkout', type: 'release', variants: BOOL, environment: { enabled: true, offVariant: 'off', defaultServe: { variant: 'on' } } }],
      segments: [],
    });
    expect(res.headers.etag).toBe(`"${body.version}"`);
    expect((await sdk('/api/v1/sdk/flags', serverKey, { 'if-none-match': res.headers.etag as string })).statusCode).toBe(304);
    expect((await sdk('/api/v1/sdk/flags', null, { 'x-api-key': serverKey, 'if-none-match': res.headers.etag as string })).statusCode).toBe(304);

    await put('new-checkout', 'production', { enabled: false, offVariant: 'off', defaultServe: { variant: 'on' } });
    const changed = await sdk('/api/v1/sdk/flags', serverKey, { 'if-none-match': res.headers.etag as string });
    expect(changed.statusCode).toBe(200);
    expect(Number(changed.json().version)).toBeGreaterThan(Number(body.version));
    expect(changed.json().flags[0].environment.enabled).toBe(false);

    const denied = await sdk('/api/v1/sdk/flags', clientKey);
    expect(denied.statusCode).toBe(403);
    expect(denied.body).not.toContain('new-checkout');
    expect((await sdk('/api/v1/sdk/stream', clientKey)).statusCode).toBe(403);
    expect((await sdk('/api/v1/sdk/flags', null)).statusCode).toBe(401);
    expect((await sdk('/api/v1/sdk/flags', 'sdk-srv-not-a-real-key')).statusCode).toBe(401);
    // A user token is not an SDK key.
    expect((await sdk('/api/v1/sdk/flags', t.adminToken)).statusCode).toBe(401);
  });

  it('leaves archived flags out of the rule set', async () => {
    await t.request({ method: 'POST', url: flags, payload: { key: 'temp', variants: BOOL } });
    expect((await sdk('/api/v1/sdk/flags', serverKey)).json().flags.map((f: any) => f.key)).toEqual(['new-checkout', 'temp']);
    await t.request({ method: 'DELETE', url: `${flags}/temp` });
    expect((await sdk('/api/v1/sdk/flags', serverKey)).json().flags.map((f: any) => f.key)).toEqual(['new-checkout']);
  });

  it('streams a put, then a patch per committed change, with pings; resumes with Last-Event-ID', async () => {
    const stream = await SseClient.connect(`${base}/api/v1/sdk/stream`, { authorization: `Bearer ${serverKey}` });
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toContain('text/event-stream');
    const first = await stream.waitFor((e) => e.event === 'put');
    const ruleSet = JSON.parse(first.data);
    expect(first.id).toBe(ruleSet.version);
    expect(ruleSet.flags.map((f: any) => f.key)).toEqual(['new-checkout']);

    await put('new-checkout', 'production', { enabled: true, offVariant: 'off', defaultServe: { split: [{ variant: 'on', weight: 25 }, { variant: 'off', weight: 75 }] } });
    const patch = await stream.waitFor((e) => e.event === 'patch');
    const body = JSON.parse(patch.data);
    expect(patch.id).toBe(body.version);
    expect(Number(body.version)).toBe(Number(ruleSet.version) + 1);
    expect(body.flags).toEqual([
      { key: 'new-checkout', type: 'release', variants: BOOL, environment: { enabled: true, offVariant: 'off', defaultServe: { split: [{ variant: 'on', weight: 25 }, { variant: 'off', weight: 75 }] } } },
    ]);
    // Changes elsewhere do not reach this environment's stream; segment and archive changes do.
    await put('new-checkout', 'dev', { enabled: true, offVariant: 'off', defaultServe: { variant: 'on' } });
    await t.request({ method: 'POST', url: '/api/v1/projects/shop/segments', payload: { key: 'beta', conditions: [{ attribute: 'company', operator: 'in', values: ['acme'] }] } });
    const segPatch = await stream.waitFor((e) => e.event === 'patch' && e.data.includes('"segments"'));
    expect(JSON.parse(segPatch.data)).toEqual({ version: String(Number(body.version) + 1), segments: [{ key: 'beta', conditions: [{ attribute: 'company', operator: 'in', values: ['acme'] }] }] });
    await stream.waitFor(() => stream.comments.includes('ping'));
    stream.close();

    // Two changes while disconnected; resuming sends exactly those, no put.
    await t.request({ method: 'POST', url: flags, payload: { key: 'search-v2', variants: BOOL } });
    await t.request({ method: 'DELETE', url: `${flags}/search-v2` });
    const resumed = await SseClient.connect(`${base}/api/v1/sdk/stream`, { 'x-api-key': serverKey, 'last-event-id': segPatch.id! });
    const deleted = await resumed.waitFor((e) => e.data.includes('deletedFlags'));
    expect(resumed.events.map((e) => e.event)).toEqual(['patch', 'patch']);
    expect(JSON.parse(resumed.events[0]!.data).flags[0].key).toBe('search-v2');
    expect(JSON.parse(deleted.data).deletedFlags).toEqual(['search-v2']);
    resumed.close();

    // A version the server does not have (or no longer logs) gets a fresh put.
    const unknown = await SseClient.connect(`${base}/api/v1/sdk/stream`, { authorization: `Bearer ${serverKey}`, 'last-event-id': '999999' });
    const fresh = await unknown.waitFor((e) => e.event === 'put');
    expect(JSON.parse(fresh.data).version).toBe(deleted.id);
    expect(t.services.flagDelivery.listenerCount()).toBe(1);
    unknown.close();
    // A client that goes away is unsubscribed.
    for (let i = 0; i < 100 && t.services.flagDelivery.listenerCount() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(t.services.flagDelivery.listenerCount()).toBe(0);
  });

  it('revokes keys at once', async () => {
    const key = (await t.request({ method: 'POST', url: '/api/v1/projects/shop/environments/production/sdk-keys', payload: { kind: 'server' } })).json();
    expect((await sdk('/api/v1/sdk/flags', key.key)).statusCode).toBe(200);
    const stream = await SseClient.connect(`${base}/api/v1/sdk/stream`, { authorization: `Bearer ${key.key}` });
    const other = await SseClient.connect(`${base}/api/v1/sdk/stream`, { authorization: `Bearer ${serverKey}` });
    await stream.waitFor((e) => e.event === 'put');
    await other.waitFor((e) => e.event === 'put');
    const revoked = await t.request({ method: 'DELETE', url: `/api/v1/projects/shop/environments/production/sdk-keys/${key.id}` });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revokedAt).not.toBeNull();
    expect((await sdk('/api/v1/sdk/flags', key.key)).statusCode).toBe(401);
    // Its open stream ends; streams of other keys go on.
    for (let i = 0; i < 100 && !stream.ended; i++) await new Promise((r) => setTimeout(r, 20));
    expect(stream.ended).toBe(true);
    expect(other.ended).toBe(false);
    other.close();
    expect((await t.request({ method: 'DELETE', url: `/api/v1/projects/shop/environments/dev/sdk-keys/${key.id}` })).statusCode).toBe(404);
  });

  it('authenticates SDK keys for other features through authenticateSdkKey', async () => {
    expect(await t.services.sdkKeys.authenticateSdkKey(serverKey)).toMatchObject({ projectKey: 'shop', environmentKey: 'production', kind: 'server' });
    expect(await t.services.sdkKeys.authenticateSdkKey(clientKey)).toMatchObject({ kind: 'client' });
    expect(await t.services.sdkKeys.authenticateSdkKey('garbage')).toBeNull();
  });
});
