import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { runSmoke, sendWebhook } from '../deployments/executors.js';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from '../notifications/receiver-fixtures.js';
import { MetricProviders } from '../rollouts/providers.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { outboundRequest } from './outbound-http.js';
import { OutboundPolicy, OutboundRefusedError, parseOutboundRule, REFUSED_MESSAGE, type OutboundRule } from './outbound-policy.js';

const rules = (...entries: string[]): OutboundRule[] => entries.map((e) => parseOutboundRule(e)!);
const SECRET = 'whsec_0123456789abcdef';

describe('outbound policy', () => {
  it('refuses cloud metadata and link-local destinations by default, in every spelling, and keeps loopback', () => {
    const policy = new OutboundPolicy();
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://169.254.0.1:8080/',
      'http://0xA9FEA9FE/',
      'http://[::ffff:169.254.169.254]/',
      'http://[fe80::1]/',
      'http://100.100.100.200/latest/meta-data',
      'http://[fd00:ec2::254]/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://METADATA.Google.Internal./',
      'http://metadata/',
      'https://instance-data/latest',
    ]) {
      expect(policy.urlProblem(url), url).not.toBeNull();
    }
    for (const url of ['http://127.0.0.1:4000/', 'http://localhost/', 'http://[::1]:80/', 'https://hooks.example.com/x', 'http://10.0.0.5/']) {
      expect(policy.urlProblem(url), url).toBeNull();
    }
    expect(policy.hostProblem('169.254.169.254')).not.toBeNull();
    expect(policy.hostProblem('smtp.example.com')).toBeNull();
  });

  it('lets SLIPWAY_OUTBOUND_ALLOW win over the defaults and SLIPWAY_OUTBOUND_DENY add to them (and win over allow)', () => {
    const config = loadConfig({ SLIPWAY_OUTBOUND_ALLOW: '169.254.170.2/32, metadata.google.internal', SLIPWAY_OUTBOUND_DENY: '10.0.0.0/8,*.corp.example,fd00::/8,169.254.170.2' });
    const policy = new OutboundPolicy(config.outbound);
    expect(policy.urlProblem('http://metadata.google.internal/')).toBeNull();
    expect(policy.addressProblem('169.254.169.254', 'metadata.google.internal')).toBeNull(); // an allowed name allows its addresses
    expect(policy.urlProblem('http://169.254.169.254/')).not.toBeNull();
    expect(policy.urlProblem('http://10.1.2.3/')).toMatch(/SLIPWAY_OUTBOUND_DENY/);
    expect(policy.urlProblem('http://git.corp.example/')).toMatch(/SLIPWAY_OUTBOUND_DENY/);
    expect(policy.urlProblem('http://corp.example/')).toMatch(/SLIPWAY_OUTBOUND_DENY/);
    expect(policy.urlProblem('http://[fd12::1]/')).toMatch(/SLIPWAY_OUTBOUND_DENY/);
    expect(policy.urlProblem('http://169.254.170.2/')).toMatch(/SLIPWAY_OUTBOUND_DENY/);
    expect(policy.urlProblem('http://example.corp/')).toBeNull();

    expect(() => loadConfig({ SLIPWAY_OUTBOUND_DENY: '10.0.0.0/99' })).toThrow(ConfigError);
    expect(() => loadConfig({ SLIPWAY_OUTBOUND_ALLOW: 'http://x/' })).toThrow(/SLIPWAY_OUTBOUND_ALLOW/);
    expect(loadConfig({}).outbound).toEqual({ allow: [], deny: [] });
  });

  describe('at send time, on the address a name resolves to', () => {
    // `localhost` is a name resolved by the system (127.0.0.1 here): with loopback denied, the URL's text
    // passes but every connection to the address it resolves to is refused.
    const denyLoopback = new OutboundPolicy({ deny: rules('127.0.0.0/8', '::1/128') });
    let receiver: HttpReceiver;
    let local: string;

    beforeAll(async () => {
      receiver = await startHttpReceiver();
      local = receiver.url.replace('127.0.0.1', 'localhost');
    });
    afterAll(() => receiver.close());

    it('refuses the request of every sender, saying nothing else, and the receiver hears nothing', async () => {
      expect(denyLoopback.urlProblem(local)).toBeNull();
      await expect(outboundRequest(denyLoopback, local, { timeoutMs: 5000 })).rejects.toBeInstanceOf(OutboundRefusedError);
      expect(await sendWebhook(`${local}/deploy`, SECRET, { action: 'deploy' }, 5000, 'deployment', denyLoopback)).toEqual({ ok: false, detail: REFUSED_MESSAGE });
      const smoke = await runSmoke({ http: { url: `${local}/health`, expectStatus: 200 } }, {}, () => {}, undefined, denyLoopback);
      expect(smoke).toEqual({ ok: false, detail: `GET ${local}/health failed: ${REFUSED_MESSAGE}` });
      const providers = new MetricProviders(null as never, denyLoopback);
      const measured = await providers.measure({ name: 'errors', provider: { prometheus: { address: local, query: 'up' } } } as never, { projectKey: 'p', environment: 'e', canary: {}, baseline: {}, args: {} }, Date.now());
      expect(measured).toEqual({ error: `errors: ${REFUSED_MESSAGE}` });
      expect(receiver.requests).toHaveLength(0);
      // The same request under the default policy reaches the receiver (loopback stays allowed).
      expect((await sendWebhook(`${local}/deploy`, SECRET, { action: 'deploy' }, 5000)).ok).toBe(true);
      expect(receiver.requests.map((r) => r.path)).toEqual(['/deploy']);
    });
  });
});

describe('outbound destinations through the API', () => {
  let t: TestApp;
  let locked: TestApp;
  let receiver: HttpReceiver;
  let smtp: SmtpReceiver;

  beforeAll(async () => {
    t = await createTestApp('sqlite', { compose: { outbound: new OutboundPolicy({ allow: rules('metadata.goog') }) } });
    locked = await createTestApp('sqlite', { compose: { outbound: new OutboundPolicy({ deny: rules('127.0.0.0/8', '::1/128') }) } });
    receiver = await startHttpReceiver({ secret: SECRET });
    smtp = await startSmtpReceiver();
  });
  afterAll(async () => {
    await Promise.all([receiver.close(), smtp.close()]);
    await t.close();
    await locked.close();
  });

  it('refuses metadata destinations at save time, naming the field, and changes nothing', async () => {
    const refused: Array<[string, Record<string, unknown>, string]> = [
      ['/api/v1/channels', { name: 'a', type: 'webhook', config: { url: 'http://169.254.169.254/latest/meta-data/iam', secret: SECRET }, subscriptions: [] }, 'config.url'],
      ['/api/v1/channels', { name: 'b', type: 'slack', config: { url: 'http://metadata.google.internal/computeMetadata/v1/' }, subscriptions: [] }, 'config.url'],
      ['/api/v1/channels', { name: 'c', type: 'email', config: { host: '169.254.169.254', port: 25, from: 'a@b.c', to: ['d@e.f'] }, subscriptions: [] }, 'config.host'],
      ['/api/v1/channels', { name: 'd', type: 'grafana', config: { url: 'http://[fd00:ec2::254]/', token: 'tok' }, subscriptions: [] }, 'config.url'],
    ];
    for (const [url, payload, field] of refused) {
      const res = await t.request({ method: 'POST', url, payload });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.details.field).toBe(field);
      expect(res.json().error.message).toContain(REFUSED_MESSAGE);
    }
    expect((await t.request({ method: 'GET', url: '/api/v1/channels' })).json().items).toEqual([]);

    expect((await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'staging' } })).statusCode).toBe(201);
    for (const [settings, field] of [
      [{ targets: [{ key: 'web', executor: { type: 'webhook', url: 'http://169.254.169.254/', secret: SECRET } }] }, 'targets/0/executor/url'],
      [{ smoke: { http: { url: 'http://metadata/health' } } }, 'smoke/http/url'],
    ] as const) {
      const res = await t.request({ method: 'PATCH', url: '/api/v1/environments/staging', payload: settings });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.details.problems.map((p: { field: string }) => p.field)).toContain(field);
    }
    expect((await t.request({ method: 'GET', url: '/api/v1/environments/staging' })).json()).toMatchObject({ targets: [], smoke: null });

    expect((await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'shop', repository: '/srv/git/shop.git', verify: false } })).statusCode).toBe(201);
    const schedule = await t.request({ method: 'POST', url: '/api/v1/projects/shop/test-schedules', payload: { name: 'n', environment: 'staging', cron: '0 2 * * *', executor: { type: 'webhook', url: 'http://100.100.100.200/run', secret: SECRET } } });
    expect(schedule.statusCode, schedule.body).toBe(400);
    expect(schedule.json().error.details.field).toBe('executor.url');
    const template = await t.request({
      method: 'POST',
      url: '/api/v1/projects/shop/analysis-templates',
      payload: { name: 'prom', metrics: [{ name: 'e', provider: { prometheus: { address: 'http://169.254.169.254:9090', query: 'up' } }, failureCondition: 'result > 1' }] },
    });
    expect(template.statusCode, template.body).toBe(400);
    expect(template.json().error.details.field).toBe('body.metrics[0].provider.prometheus.address');

    // A schedule's webhook keeps its secret only while its URL stays (issue 11 §6).
    const hook = { type: 'webhook', url: `${receiver.url}/run`, secret: SECRET };
    expect((await t.request({ method: 'POST', url: '/api/v1/projects/shop/test-schedules', payload: { name: 'n', environment: 'staging', cron: '0 2 * * *', executor: hook } })).statusCode).toBe(201);
    const same = await t.request({ method: 'PATCH', url: '/api/v1/projects/shop/test-schedules/n', payload: { executor: { type: 'webhook', url: hook.url } } });
    expect(same.statusCode, same.body).toBe(200);
    const moved = await t.request({ method: 'PATCH', url: '/api/v1/projects/shop/test-schedules/n', payload: { executor: { type: 'webhook', url: `${receiver.url}/elsewhere` } } });
    expect(moved.statusCode, moved.body).toBe(422);
    expect(moved.json().error).toMatchObject({ code: 'secret_required', details: { field: 'executor.secret' } });
    expect((await t.request({ method: 'PATCH', url: '/api/v1/projects/shop/test-schedules/n', payload: { executor: { ...hook, url: `${receiver.url}/elsewhere` } } })).statusCode).toBe(200);

    const repository = await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'probe', repository: 'http://169.254.169.254/latest/meta-data/', verify: false } });
    expect(repository.statusCode, repository.body).toBe(400);
    expect(repository.json().error.details.field).toBe('repository');

    // Allowed by the operator: saved.
    expect((await t.request({ method: 'POST', url: '/api/v1/channels', payload: { name: 'allowed', type: 'slack', config: { url: 'http://metadata.goog/hook' }, subscriptions: [] } })).statusCode).toBe(201);
  });

  it('refuses at send time when the name resolves to a denied address; /test says only that', async () => {
    const hook = await locked.request({ method: 'POST', url: '/api/v1/channels', payload: { name: 'hook', type: 'webhook', config: { url: `${receiver.url.replace('127.0.0.1', 'localhost')}/hook`, secret: SECRET }, subscriptions: [] } });
    expect(hook.statusCode, hook.body).toBe(201);
    const tested = await locked.request({ method: 'POST', url: '/api/v1/channels/hook/test' });
    expect(tested.statusCode).toBe(200);
    expect(tested.json()).toMatchObject({ delivered: false, statusCode: null, error: REFUSED_MESSAGE });

    const mail = await locked.request({ method: 'POST', url: '/api/v1/channels', payload: { name: 'mail', type: 'email', config: { host: 'localhost', port: smtp.port, from: 'a@example.com', to: ['b@example.com'] }, subscriptions: [] } });
    expect(mail.statusCode, mail.body).toBe(201);
    expect((await locked.request({ method: 'POST', url: '/api/v1/channels/mail/test' })).json()).toMatchObject({ delivered: false, error: REFUSED_MESSAGE });
    expect(receiver.requests).toHaveLength(0);
    expect(smtp.messages).toHaveLength(0);

    // A literal denied address is refused when saved already.
    const literal = await locked.request({ method: 'POST', url: '/api/v1/channels', payload: { name: 'lit', type: 'webhook', config: { url: `${receiver.url}/hook`, secret: SECRET }, subscriptions: [] } });
    expect(literal.statusCode).toBe(400);

    // Under the default policy the same channels deliver: loopback is allowed.
    for (const payload of [
      { name: 'hook', type: 'webhook', config: { url: `${receiver.url.replace('127.0.0.1', 'localhost')}/hook`, secret: SECRET }, subscriptions: [] },
      { name: 'mail', type: 'email', config: { host: 'localhost', port: smtp.port, from: 'a@example.com', to: ['b@example.com'] }, subscriptions: [] },
    ]) {
      expect((await t.request({ method: 'POST', url: '/api/v1/channels', payload })).statusCode).toBe(201);
      expect((await t.request({ method: 'POST', url: `/api/v1/channels/${payload.name}/test` })).json()).toMatchObject({ delivered: true });
    }
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.signatureValid).toBe(true);
    expect(smtp.messages).toHaveLength(1);
  });
});
