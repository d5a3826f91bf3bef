import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { compose } from '../composition.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from './receiver-fixtures.js';

const SECRET = 'whsec_0123456789abcdef';

describe.each(DIALECTS)('channels API on %s', (dialect) => {
  let t: TestApp;
  let receiver: HttpReceiver;
  let smtp: SmtpReceiver;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    receiver = await startHttpReceiver({ secret: SECRET });
    smtp = await startSmtpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await smtp.close();
    await t.close();
  });

  const create = (payload: Record<string, unknown>, token?: string) => t.request({ method: 'POST', url: '/api/v1/channels', payload, ...(token !== undefined && { token }) });

  it('creates a channel of every type with the documented request shape, and never returns a secret', async () => {
    const bodies = [
      { name: 'chat', type: 'slack', config: { url: `${receiver.url}/slack/T000/B000/XXXX` }, subscriptions: [{ events: ['deployment.*', 'flag.changed'] }] },
      { name: 'hooks', type: 'webhook', config: { url: `${receiver.url}/hook`, secret: SECRET, headers: { Authorization: 'Bearer very-secret-header' } }, subscriptions: [{ events: ['*'] }] },
      { name: 'deploy-list', type: 'email', config: { host: smtp.host, port: smtp.port, secure: false, auth: { user: 'mailer', pass: 'smtp-pass-123' }, from: 'Slipway <slipway@example.com>', to: ['deploys@example.com'] }, subscriptions: [{ events: ['deployment.succeeded'], environments: ['production'] }] },
      { name: 'apm', type: 'newrelic', config: { apiKey: 'NRAK-SECRETKEY', entityGuid: 'MXxBUE18QVBQTElDQVRJT058MQ', endpoint: `${receiver.url}/graphql` }, subscriptions: [{ events: ['deployment.succeeded'] }] },
      { name: 'dd', type: 'datadog', config: { apiKey: 'dd-secret-api-key', endpoint: receiver.url }, subscriptions: [{ events: ['deployment.*'] }] },
      { name: 'graf', type: 'grafana', config: { url: receiver.url, token: 'glsa_secret_token', dashboardUid: 'abc123' }, subscriptions: [{ events: ['deployment.*'], projects: ['api'] }] },
    ];
    for (const body of bodies) {
      const res = await create(body);
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ name: body.name, type: body.type, enabled: true, subscriptions: body.subscriptions, createdBy: 'admin' });
    }
    const list = await t.request({ method: 'GET', url: '/api/v1/channels' });
    expect(list.statusCode).toBe(200);
    const byName = Object.fromEntries(list.json().items.map((c: any) => [c.name, c]));
    expect(byName.chat.config).toEqual({ url: 'set' });
    expect(byName.hooks.config).toEqual({ url: `${receiver.url}/hook`, secret: 'set', headers: { Authorization: 'set' } });
    expect(byName['deploy-list'].config).toMatchObject({ host: smtp.host, auth: { user: 'mailer', pass: 'set' }, to: ['deploys@example.com'] });
    expect(byName.apm.config).toMatchObject({ apiKey: 'set', entityGuid: 'MXxBUE18QVBQTElDQVRJT058MQ' });
    expect(byName.dd.config.apiKey).toBe('set');
    expect(byName.graf.config).toMatchObject({ token: 'set', dashboardUid: 'abc123' });

    // Nowhere in responses, the audit log or the database in clear.
    const secrets = ['/slack/T000/B000/XXXX', SECRET, 'very-secret-header', 'smtp-pass-123', 'NRAK-SECRETKEY', 'dd-secret-api-key', 'glsa_secret_token'];
    const audit = await t.request({ method: 'GET', url: '/api/v1/audit?resourceType=channel' });
    const outbox = await t.database.db.selectFrom('outbox').select('payload').execute();
    const rows = await t.database.db.selectFrom('notification_channels').selectAll().execute();
    for (const secret of secrets) {
      expect(list.body).not.toContain(secret);
      expect(audit.body).not.toContain(secret);
      expect(JSON.stringify(outbox)).not.toContain(secret);
      expect(JSON.stringify(rows)).not.toContain(secret);
    }
    expect(rows.every((r) => r.secrets.startsWith('v1:'))).toBe(true);
  });

  it('keeps secrets on PATCH when they are left out or sent back as "set", and replaces them when given', async () => {
    const created = (await create({ name: 'patchable', type: 'webhook', config: { url: `${receiver.url}/p`, secret: SECRET, headers: { 'X-Token': 'abc' } }, subscriptions: [] })).json();
    const renamed = await t.request({ method: 'PATCH', url: `/api/v1/channels/${created.id}`, payload: { name: 'patched', config: { url: `${receiver.url}/p`, headers: { 'X-Token': 'set', 'X-Other': 'x' } } } });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'patched', config: { url: `${receiver.url}/p`, secret: 'set', headers: { 'X-Token': 'set', 'X-Other': 'set' } } });
    const [loaded] = (await t.services.notifications.channels.loadAll()).filter((c) => c.id === created.id);
    expect(loaded!.config).toEqual({ url: `${receiver.url}/p`, secret: SECRET, headers: { 'X-Token': 'abc', 'X-Other': 'x' } });

    await t.request({ method: 'PATCH', url: '/api/v1/channels/patched', payload: { config: { secret: 'another-secret-0123456789' }, enabled: false } });
    const [after] = (await t.services.notifications.channels.loadAll()).filter((c) => c.id === created.id);
    expect(after).toMatchObject({ enabled: false, config: { secret: 'another-secret-0123456789' } });
  });

  it('validates the config of each type, the subscriptions and the name with 400 and changes nothing', async () => {
    const bad = [
      { name: 'x', type: 'slack', config: {}, subscriptions: [] },
      { name: 'x', type: 'slack', config: { url: 'ftp://example.com' }, subscriptions: [] },
      { name: 'x', type: 'webhook', config: { url: 'http://127.0.0.1/x', secret: 'short' }, subscriptions: [] },
      { name: 'x', type: 'webhook', config: { url: 'http://127.0.0.1/x', secret: SECRET, headers: { 'Content-Type': 'text/plain' } }, subscriptions: [] },
      { name: 'x', type: 'email', config: { host: 'smtp', port: 70000, from: 'a@b.c', to: ['d@e.f'] }, subscriptions: [] },
      { name: 'x', type: 'email', config: { host: 'smtp', port: 25, from: 'a@b.c', to: [] }, subscriptions: [] },
      { name: 'x', type: 'email', config: { host: 'smtp', port: 25, from: 'not an address', to: ['d@e.f'] }, subscriptions: [] },
      { name: 'x', type: 'newrelic', config: { apiKey: 'k' }, subscriptions: [] },
      { name: 'x', type: 'datadog', config: { apiKey: 'k', extra: 1 }, subscriptions: [] },
      { name: 'x', type: 'grafana', config: { url: 'http://g' }, subscriptions: [] },
      { name: 'x', type: 'pager', config: {}, subscriptions: [] },
      { name: 'x', type: 'slack', config: { url: 'http://h/x' }, subscriptions: [{ events: [] }] },
      { name: 'x', type: 'slack', config: { url: 'http://h/x' }, subscriptions: [{ events: ['deploy*ment'] }] },
      { name: 'x', type: 'slack', config: { url: 'http://h/x' }, subscriptions: [{ events: ['*'], projects: ['Not A Slug'] }] },
      { name: 'x', type: 'slack', config: { url: 'http://h/x' } },
      { name: '', type: 'slack', config: { url: 'http://h/x' }, subscriptions: [] },
      { name: 'x', type: 'slack', config: { url: 'http://h/x' }, subscriptions: [], extra: true },
    ];
    const before = await t.database.db.selectFrom('notification_channels').select('id').execute();
    for (const payload of bad) {
      const res = await create(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
    }
    expect(await t.database.db.selectFrom('notification_channels').select('id').execute()).toHaveLength(before.length);
    const patch = await t.request({ method: 'PATCH', url: '/api/v1/channels/chat', payload: { config: { url: 'nope' } } });
    expect(patch.statusCode).toBe(400);
    expect((await t.request({ method: 'PATCH', url: '/api/v1/channels/chat', payload: {} })).statusCode).toBe(400);
  });

  it('refuses duplicates with 409, unknown channels with 404, and roles below release-manager with 403', async () => {
    expect((await create({ name: 'chat', type: 'slack', config: { url: 'http://h/x' }, subscriptions: [] })).statusCode).toBe(409);
    expect((await t.request({ method: 'GET', url: '/api/v1/channels/ghost' })).statusCode).toBe(404);
    expect((await t.request({ method: 'POST', url: '/api/v1/channels/ghost/test' })).statusCode).toBe(404);
    const engineer = await t.tokenFor('engineer');
    expect((await t.request({ method: 'GET', url: '/api/v1/channels', token: engineer })).statusCode).toBe(403);
    expect((await create({ name: 'mine', type: 'slack', config: { url: 'http://h/x' }, subscriptions: [] }, engineer)).statusCode).toBe(403);
    expect((await t.request({ method: 'GET', url: '/api/v1/deliveries', token: engineer })).statusCode).toBe(403);
    const rm = await t.tokenFor('release-manager');
    expect((await create({ name: 'rm-chat', type: 'slack', config: { url: 'http://h/x' }, subscriptions: [] }, rm)).statusCode).toBe(201);
    expect((await t.request({ method: 'DELETE', url: '/api/v1/channels/rm-chat', token: rm })).statusCode).toBe(204);
    expect((await t.request({ method: 'GET', url: '/api/v1/channels/rm-chat' })).statusCode).toBe(404);
  });

  it('says so, instead of failing, when the secret key no longer opens a channel', async () => {
    const other = compose({ database: t.database, dataDir: t.dataDir, clock: t.clock, secretKey: randomBytes(32) });
    const loaded = (await other.notifications.channels.loadAll()).find((c) => c.name === 'hooks')!;
    expect(loaded.unusable).toContain('SLIPWAY_SECRET_KEY');
    expect(loaded.config).toEqual({ url: `${receiver.url}/hook` });
    const result = await other.notifications.channels.test({ actor: { userId: null, username: 'admin', role: 'admin', tokenId: null }, requestId: null }, 'hooks');
    expect(result).toMatchObject({ delivered: false, error: expect.stringContaining('SLIPWAY_SECRET_KEY') });
  });

  it('answers malformed requests on channels and deliveries with 4xx JSON errors', async () => {
    const cases: Array<[string, string, unknown, number]> = [
      ['GET', '/api/v1/deliveries?status=bogus', undefined, 400],
      ['GET', '/api/v1/deliveries?limit=0', undefined, 400],
      ['GET', '/api/v1/deliveries?cursor=not-a-cursor', undefined, 400],
      ['GET', '/api/v1/deliveries?unknown=1', undefined, 400],
      ['GET', '/api/v1/channels?cursor=%%%', undefined, 400],
      ['GET', `/api/v1/channels/${'x'.repeat(300)}`, undefined, 400],
      ['GET', '/api/v1/deliveries/01nonexistent', undefined, 404],
      ['POST', '/api/v1/deliveries/01nonexistent/retry', undefined, 404],
      ['POST', '/api/v1/channels', 'not json', 400],
      ['POST', '/api/v1/channels', [], 400],
      ['PATCH', '/api/v1/channels/chat', { type: 'webhook' }, 400],
      ['PATCH', '/api/v1/channels/chat', { subscriptions: [{ events: ['*'], extra: 1 }] }, 400],
      ['DELETE', '/api/v1/channels/ghost', undefined, 404],
    ];
    for (const [method, url, payload, status] of cases) {
      const res = await t.request({ method: method as 'GET', url, ...(payload !== undefined && { payload: payload as object, headers: { 'content-type': 'application/json' } }) });
      expect(res.statusCode, `${method} ${url}`).toBe(status);
      expect(res.json().error.code).toEqual(expect.any(String));
    }
  });

  it('sends a sample with POST /channels/{id}/test, signed for webhooks, and reports a failure without throwing', async () => {
    receiver.requests.length = 0;
    const hook = await t.request({ method: 'POST', url: '/api/v1/channels/hooks/test' });
    expect(hook.statusCode).toBe(200);
    expect(hook.json()).toMatchObject({ delivered: true, statusCode: 200, error: null });
    const req = receiver.requests.find((r) => r.path === '/hook')!;
    expect(req.signatureValid).toBe(true);
    expect(req.headers.authorization).toBe('Bearer very-secret-header');
    expect(req.json.event).toMatchObject({ type: 'deployment.succeeded', payload: { test: true } });

    expect((await t.request({ method: 'POST', url: '/api/v1/channels/chat/test' })).json().delivered).toBe(true);
    expect(receiver.requests.find((r) => r.path === '/slack/T000/B000/XXXX')!.json.text).toContain('example 1.2.3 deployed to production');

    const mail = await t.request({ method: 'POST', url: '/api/v1/channels/deploy-list/test' });
    expect(mail.json()).toMatchObject({ delivered: true });
    expect(smtp.logins).toContainEqual({ username: 'mailer', password: 'smtp-pass-123' });
    expect(smtp.messages.at(-1)!.to).toEqual(['deploys@example.com']);

    receiver.respond(() => ({ status: 500, body: 'boom' }));
    const failed = await t.request({ method: 'POST', url: '/api/v1/channels/dd/test' });
    receiver.respond(() => ({ status: 200, body: '{}' }));
    expect(failed.statusCode).toBe(200);
    expect(failed.json()).toMatchObject({ delivered: false, statusCode: 500 });
    expect(failed.json().error).toContain('HTTP 500');
    const audit = await t.request({ method: 'GET', url: '/api/v1/audit?action=channel.tested' });
    expect(audit.json().items.length).toBeGreaterThanOrEqual(4);
  });
});
