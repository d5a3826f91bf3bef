import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemContext } from '../auth/actor.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';
import { createNotifications } from './notifications.js';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver, type RecordedRequest, type SmtpReceiver } from './receiver-fixtures.js';

const SECRET = 'whsec_delivery_tests_0123456789';

/** Writes an event the way every service does (audit + outbox in one transaction), for event types other features are still building. */
async function record(t: TestApp, type: string, payload: Record<string, unknown>, keys: { project?: string; environment?: string } = {}): Promise<void> {
  await t.services.uow.transaction((tx) =>
    tx.record(systemContext(), { action: type, resourceType: type.split('.')[0]!, resourceId: String(payload.id ?? type), event: { type, payload, projectKey: keys.project ?? null, environmentKey: keys.environment ?? null } }),
  );
}

const drain = (t: TestApp) => t.services.notifications.dispatcher.drain();

const deploymentPayload = (over: Record<string, unknown> = {}) => ({
  deploymentId: 'dep_01',
  project: 'api',
  environment: 'production',
  version: '1.4.0',
  tag: 'v1.4.0',
  commit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
  targets: [{ key: 'eu-west', status: 'succeeded' }, { key: 'us-east', status: 'succeeded' }],
  requestedBy: 'alice',
  reason: 'weekly release',
  durationMs: 83_000,
  outcome: 'succeeded',
  ...over,
});

describe.each(DIALECTS)('delivery from the outbox on %s', (dialect) => {
  let t: TestApp;
  let http: HttpReceiver;
  let smtp: SmtpReceiver;
  const at = (path: string): RecordedRequest[] => http.requests.filter((r) => r.path === path);

  beforeAll(async () => {
    t = await createTestApp(dialect);
    http = await startHttpReceiver({ secret: SECRET });
    smtp = await startSmtpReceiver();
    await drain(t);
    const env = await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'production', rank: 50 } });
    expect(env.statusCode).toBe(201);
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'staging', rank: 40 } });
    // Dashboards are an environment setting owned by deployments; written through the store here.
    await t.services.uow.transaction(async (tx) => {
      const production = (await tx.stores.environments.get('production'))!;
      await tx.stores.environments.update({ ...production, settings: { ...production.settings, dashboards: [{ name: 'APM', url: 'https://apm.example.com/d/api' }, { name: 'Logs', url: 'https://logs.example.com/q?env=prod' }] } });
    });
    const channels = [
      { name: 'chat', type: 'slack', config: { url: `${http.url}/slack` }, subscriptions: [{ events: ['deployment.*', 'flag.changed', 'signoff.recorded', 'release.created'] }] },
      { name: 'hooks', type: 'webhook', config: { url: `${http.url}/hook`, secret: SECRET, headers: { 'X-Team': 'platform' } }, subscriptions: [{ events: ['*'] }] },
      { name: 'apm', type: 'newrelic', config: { apiKey: 'NRAK-KEY', entityGuid: 'GUID-1', endpoint: `${http.url}/graphql` }, subscriptions: [{ events: ['deployment.*'] , environments: ['production'] }] },
      { name: 'dd', type: 'datadog', config: { apiKey: 'dd-key', endpoint: `${http.url}/dd` }, subscriptions: [{ events: ['deployment.*'] }] },
      { name: 'graf', type: 'grafana', config: { url: `${http.url}/grafana`, token: 'glsa_token', dashboardUid: 'dash-1' }, subscriptions: [{ events: ['deployment.succeeded', 'deployment.failed'] }] },
      { name: 'mail', type: 'email', config: { host: smtp.host, port: smtp.port, from: 'slipway@example.com', to: ['deploys@example.com', 'qa@example.com'] }, subscriptions: [{ events: ['deployment.succeeded'], environments: ['production'] }] },
    ];
    for (const payload of channels) expect((await t.request({ method: 'POST', url: '/api/v1/channels', payload })).statusCode).toBe(201);
    await drain(t);
    http.requests.length = 0;
  });
  afterAll(async () => {
    await http.close();
    await smtp.close();
    await t.close();
  });

  it('delivers every event type to the channels subscribed to it, with the documented content', async () => {
    expect((await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'api', repository: '/srv/git/api.git', verify: false } })).statusCode).toBe(201);
    await t.request({ method: 'PATCH', url: '/api/v1/environments/staging', payload: { name: 'Staging' } });
    await t.tokenFor('qa');
    await record(t, 'release.created', { project: 'api', version: '1.4.0', tag: 'v1.4.0', commit: 'a1b2c3d', kind: 'minor', parent: null, previous: '1.3.0', commits: 5, tickets: ['API-1', 'API-2'] }, { project: 'api' });
    await record(t, 'signoff.recorded', { project: 'api', version: '1.4.0', tag: 'v1.4.0', kind: 'qa', decision: 'go', environment: 'production', comment: 'smoke tests green', by: 'quinn' }, { project: 'api', environment: 'production' });
    await record(t, 'deployment.requested', deploymentPayload({ outcome: undefined }), { project: 'api', environment: 'production' });
    await record(t, 'deployment.started', deploymentPayload({ outcome: undefined }), { project: 'api', environment: 'production' });
    await record(t, 'deployment.override_used', deploymentPayload({ override: { reason: 'hotfix for outage INC-9' } }), { project: 'api', environment: 'production' });
    await record(t, 'deployment.succeeded', deploymentPayload(), { project: 'api', environment: 'production' });
    await record(t, 'deployment.failed', deploymentPayload({ deploymentId: 'dep_02', version: '1.4.1', tag: 'v1.4.1', outcome: 'failed', targets: [{ key: 'eu-west', status: 'succeeded' }, { key: 'us-east', status: 'failed' }], failure: { target: 'us-east', reason: 'health check timed out', lastLogLines: ['pulling image', 'starting', 'health check timed out after 60s'] } }), { project: 'api', environment: 'production' });
    await record(t, 'deployment.rolled_back', deploymentPayload({ deploymentId: 'dep_03', version: '1.4.0', reason: 'error rate above 1%' }), { project: 'api', environment: 'production' });
    await record(t, 'deployment.cancelled', deploymentPayload({ deploymentId: 'dep_04', environment: 'staging', reason: 'superseded' }), { project: 'api', environment: 'staging' });
    await record(t, 'flag.changed', { project: 'api', environment: 'staging', flag: 'IS_FEATURE_AVAILABLE', summary: 'Flag IS_FEATURE_AVAILABLE was added and set to false for a dark deployment', before: null, after: { enabled: false } }, { project: 'api', environment: 'staging' });
    const round = await drain(t);
    expect(round.attempted).toBeGreaterThan(0);

    // Webhook: every event, signed, with the delivery id as idempotency key.
    const hooks = at('/hook');
    const types = hooks.map((r) => r.json.event.type);
    for (const type of ['project.created', 'environment.updated', 'user.created', 'token.created', 'release.created', 'signoff.recorded', 'deployment.requested', 'deployment.started', 'deployment.override_used', 'deployment.succeeded', 'deployment.failed', 'deployment.rolled_back', 'deployment.cancelled', 'flag.changed']) {
      expect(types, type).toContain(type);
    }
    expect(hooks.every((r) => r.signatureValid === true && r.headers['x-team'] === 'platform')).toBe(true);
    const deliveries = (await t.request({ method: 'GET', url: '/api/v1/deliveries?channel=hooks&limit=200' })).json().items;
    const hookIds = hooks.map((r) => r.headers['x-slipway-delivery']);
    expect(new Set(hookIds).size).toBe(hooks.length);
    expect(deliveries.map((d: { id: string }) => d.id)).toEqual(expect.arrayContaining(hookIds));
    expect(deliveries.every((d: { status: string; attempts: number }) => d.status === 'delivered' && d.attempts === 1)).toBe(true);
    const succeeded = hooks.find((r) => r.json.event.type === 'deployment.succeeded')!;
    expect(succeeded.json.event.payload).toMatchObject({ project: 'api', version: '1.4.0', requestedBy: 'alice' });
    expect(succeeded.json.message.links).toEqual([
      { name: 'Deployment in Slipway', url: 'http://127.0.0.1:4000/deployments/dep_01' },
      { name: 'APM', url: 'https://apm.example.com/d/api' },
      { name: 'Logs', url: 'https://logs.example.com/q?env=prod' },
    ]);

    // Slack: deployments, flags, sign-offs and releases; not project or token events.
    const slack = at('/slack').map((r) => r.json);
    expect(slack.map((m) => m.text)).toHaveLength(10);
    const ok = slack.find((m) => m.text.includes('api 1.4.0 deployed to production'))!;
    const okText = JSON.stringify(ok.blocks);
    for (const fact of ['production', '1.4.0', 'v1.4.0', 'eu-west: succeeded, us-east: succeeded', 'alice', 'weekly release', '1m 23s', 'succeeded', 'https://apm.example.com/d/api', 'http://127.0.0.1:4000/deployments/dep_01']) expect(okText).toContain(fact);
    const failed = slack.find((m) => m.text.includes('failed'))!;
    expect(failed.text).toContain('Failed on target us-east: health check timed out');
    expect(JSON.stringify(failed.blocks)).toContain('health check timed out after 60s');
    expect(slack.some((m) => m.text.includes('IS_FEATURE_AVAILABLE was added and set to false for a dark deployment'))).toBe(true);
    expect(slack.some((m) => m.text.includes('Qa go for api 1.4.0 in production'))).toBe(true);

    // New Relic: a change-tracking deployment marker per production deployment that ended
    // (succeeded, failed, rolled back): requested, started and override are not markers.
    const nr = at('/graphql');
    expect(nr.length).toBe(3);
    expect(nr.every((r) => r.headers['api-key'] === 'NRAK-KEY')).toBe(true);
    const marker = nr.find((r) => r.json.variables.deployment.description.includes('deployed'))!.json;
    expect(marker.query).toContain('changeTrackingCreateDeployment');
    expect(marker.variables.deployment).toMatchObject({ entityGuid: 'GUID-1', version: '1.4.0', commit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', deploymentType: 'BASIC', user: 'alice', deepLink: 'http://127.0.0.1:4000/deployments/dep_01' });

    // Datadog events and Grafana annotations.
    const dd = at('/dd/api/v1/events');
    expect(dd).toHaveLength(3);
    expect(dd[0]!.headers['dd-api-key']).toBe('dd-key');
    const ddFailed = dd.find((r) => r.json.alert_type === 'error')!.json;
    expect(ddFailed.tags).toEqual(expect.arrayContaining(['project:api', 'environment:production', 'version:1.4.1', 'event:deployment.failed']));
    const graf = at('/grafana/api/annotations');
    expect(graf).toHaveLength(2);
    expect(graf[0]!.headers.authorization).toBe('Bearer glsa_token');
    expect(graf[0]!.json).toMatchObject({ dashboardUID: 'dash-1', tags: expect.arrayContaining(['project:api']) });
    expect(typeof graf[0]!.json.time).toBe('number');

    // E-mail: only the production deployment that succeeded.
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.to).toEqual(['deploys@example.com', 'qa@example.com']);
    expect(smtp.messages[0]!.subject).toBe('[Slipway] api 1.4.0 (v1.4.0) deployed to production');
    expect(smtp.messages[0]!.headers['x-slipway-delivery']).toBeTruthy();
  });

  it('applies project, environment and event filters', async () => {
    const filters = [
      { name: 'only-web', subscriptions: [{ events: ['deployment.*'], projects: ['web'] }] },
      { name: 'only-staging', subscriptions: [{ events: ['*'], environments: ['staging'] }] },
      { name: 'exact', subscriptions: [{ events: ['deployment.failed'] }, { events: ['flag.*'], projects: ['api'], environments: ['production'] }] },
      { name: 'muted', subscriptions: [] },
    ];
    for (const f of filters) await t.request({ method: 'POST', url: '/api/v1/channels', payload: { ...f, type: 'webhook', config: { url: `${http.url}/filters/${f.name}`, secret: SECRET } } });
    await drain(t);
    await record(t, 'deployment.succeeded', deploymentPayload({ project: 'web' }), { project: 'web', environment: 'production' });
    await record(t, 'deployment.failed', deploymentPayload({ environment: 'staging' }), { project: 'api', environment: 'staging' });
    await record(t, 'flag.changed', { project: 'api', environment: 'production', flag: 'NEW_CHECKOUT', summary: 'Flag NEW_CHECKOUT was turned on' }, { project: 'api', environment: 'production' });
    await record(t, 'flag.changed', { project: 'web', environment: 'production', flag: 'NEW_CHECKOUT' }, { project: 'web', environment: 'production' });
    await record(t, 'project.updated', { project: 'web', changes: ['name'] }, { project: 'web' });
    await drain(t);
    const seen = (name: string) => at(`/filters/${name}`).map((r) => `${r.json.event.type}:${r.json.event.project}:${r.json.event.environment}`);
    expect(seen('only-web')).toEqual(['deployment.succeeded:web:production']);
    expect(seen('only-staging')).toEqual(['deployment.failed:api:staging']);
    expect(seen('exact')).toEqual(['deployment.failed:api:staging', 'flag.changed:api:production']);
    expect(seen('muted')).toEqual([]);
  });

  it('retries a receiver that is down and delivers when it comes back, recording every attempt', async () => {
    await t.request({ method: 'POST', url: '/api/v1/channels', payload: { name: 'flaky', type: 'webhook', config: { url: `${http.url}/flaky`, secret: SECRET }, subscriptions: [{ events: ['deployment.started'] }] } });
    await drain(t);
    await http.down();
    await record(t, 'deployment.started', deploymentPayload({ deploymentId: 'dep_10' }), { project: 'api', environment: 'production' });
    await drain(t);
    await drain(t);
    let [delivery] = (await t.request({ method: 'GET', url: '/api/v1/deliveries?channel=flaky' })).json().items;
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: null, channel: { name: 'flaky', type: 'webhook' }, event: { type: 'deployment.started', project: 'api', environment: 'production' } });
    expect(delivery.lastError).toMatch(/fetch failed|ECONNREFUSED/);
    // 1 s later: still down. Then 2 s more: back up.
    t.clock.advance(1000);
    await drain(t);
    await http.up();
    t.clock.advance(1999);
    await drain(t);
    expect(at('/flaky')).toHaveLength(0);
    t.clock.advance(1);
    await drain(t);
    expect(at('/flaky')).toHaveLength(1);
    const detail = (await t.request({ method: 'GET', url: `/api/v1/deliveries/${delivery.id}` })).json();
    expect(detail).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200, lastError: null });
    expect(detail.history.map((a: { ok: boolean }) => a.ok)).toEqual([false, false, true]);
    expect(at('/flaky')[0]!.headers['x-slipway-delivery']).toBe(delivery.id);
    delivery = (await t.request({ method: 'GET', url: '/api/v1/deliveries?status=delivered&channel=flaky' })).json().items[0];
    expect(delivery.id).toBe(detail.id);
    const again = await t.request({ method: 'POST', url: `/api/v1/deliveries/${delivery.id}/retry` });
    expect(again.statusCode).toBe(409);
  });

  it('gives up on a receiver that answers 500 forever after the limit, without touching the mutation, and retries on request', async () => {
    await t.request({ method: 'POST', url: '/api/v1/channels', payload: { name: 'broken', type: 'webhook', config: { url: `${http.url}/broken`, secret: SECRET }, subscriptions: [{ events: ['environment.*'] }] } });
    await drain(t);
    http.respond((r) => (r.path === '/broken' ? { status: 500, body: 'internal error' } : { status: 200, body: '{}' }));
    const mutation = await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'qa', rank: 20 } });
    expect(mutation.statusCode).toBe(201);
    for (let hour = 0; hour < 30; hour++) {
      await drain(t);
      t.clock.advance(3_600_000);
    }
    await drain(t);
    const [failed] = (await t.request({ method: 'GET', url: '/api/v1/deliveries?status=failed&channel=broken' })).json().items;
    expect(failed).toMatchObject({ status: 'failed', lastStatusCode: 500, nextAttemptAt: null, event: { type: 'environment.created' } });
    expect(failed.lastError).toContain('HTTP 500: internal error');
    // 1, 2, 4 … 2048 s (12 tries in the first 68 minutes), then hourly until 24 h after the first.
    const attempts = at('/broken').length;
    expect(failed.attempts).toBe(attempts);
    expect(attempts).toBeGreaterThan(12);
    expect(attempts).toBeLessThan(40);
    expect((await t.request({ method: 'GET', url: '/api/v1/environments/qa' })).statusCode).toBe(200);
    expect((await t.request({ method: 'GET', url: '/api/v1/deliveries?status=pending&channel=broken' })).json().items).toEqual([]);

    http.respond(() => ({ status: 200, body: '{}' }));
    const retried = await t.request({ method: 'POST', url: `/api/v1/deliveries/${failed.id}/retry` });
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toMatchObject({ status: 'pending' });
    await drain(t);
    expect((await t.request({ method: 'GET', url: `/api/v1/deliveries/${failed.id}` })).json()).toMatchObject({ status: 'delivered', attempts: attempts + 1 });
    const audit = (await t.request({ method: 'GET', url: '/api/v1/audit?action=delivery.retried' })).json().items;
    expect(audit[0]).toMatchObject({ resourceId: failed.id, before: { status: 'failed' } });
  });

  it('fails a delivery at once on a 4xx that retrying cannot fix', async () => {
    await t.request({ method: 'POST', url: '/api/v1/channels', payload: { name: 'gone', type: 'slack', config: { url: `${http.url}/gone` }, subscriptions: [{ events: ['deployment.requested'] }] } });
    await drain(t);
    http.respond((r) => (r.path === '/gone' ? { status: 404, body: 'no_service' } : { status: 200, body: '{}' }));
    await record(t, 'deployment.requested', deploymentPayload(), { project: 'api', environment: 'production' });
    await drain(t);
    http.respond(() => ({ status: 200, body: '{}' }));
    const [d] = (await t.request({ method: 'GET', url: '/api/v1/deliveries?channel=gone' })).json().items;
    expect(d).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 404 });
  });

  it('sends each delivery once when two dispatchers race for the same outbox', async () => {
    await t.request({ method: 'POST', url: '/api/v1/channels', payload: { name: 'raced', type: 'webhook', config: { url: `${http.url}/raced`, secret: SECRET }, subscriptions: [{ events: ['flag.changed'], projects: ['race'] }] } });
    await drain(t);
    const s = t.services;
    const other = createNotifications({ db: s.database.db, uow: s.uow, clock: s.clock, ids: s.ids, secrets: s.secrets, environments: s.environments, releases: s.releases, publicUrl: 'http://127.0.0.1:4000' });
    for (let i = 0; i < 40; i++) await record(t, 'flag.changed', { project: 'race', environment: 'production', flag: `F${i}` }, { project: 'race', environment: 'production' });
    await Promise.all([drain(t), other.dispatcher.drain(), drain(t), other.dispatcher.drain()]);
    await drain(t);
    const ids = at('/raced').map((r) => r.headers['x-slipway-delivery']);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
    expect(new Set(at('/raced').map((r) => r.json.event.payload.flag)).size).toBe(40);
  });
});
