import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployFixture, deployAndSucceed, ensureEnvironments, type DeployFixture } from '../deployments/deploy-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from './receiver-fixtures.js';

const SECRET = 'whsec_real_deployments_0123456789';

/** The real deployment feature's events, end to end: deploy through the API, receive the announcements. */
describe.each(DIALECTS)('announcements of real deployments on %s', (dialect) => {
  let t: TestApp;
  let f: DeployFixture;
  let http: HttpReceiver;
  let smtp: SmtpReceiver;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    http = await startHttpReceiver({ secret: SECRET });
    smtp = await startSmtpReceiver();
    await ensureEnvironments(t);
    f = await createDeployFixture(t);
    const channels = [
      { name: 'hooks', type: 'webhook', config: { url: `${http.url}/hook`, secret: SECRET }, subscriptions: [{ events: ['deployment.*'], projects: [f.project] }] },
      { name: 'mail', type: 'email', config: { host: smtp.host, port: smtp.port, from: 'slipway@example.com', to: ['deploys@example.com'] }, subscriptions: [{ events: ['deployment.succeeded'], environments: ['dev'] }] },
    ];
    for (const payload of channels) expect((await t.request({ method: 'POST', url: '/api/v1/channels', payload })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await f.cleanup();
    await http.close();
    await smtp.close();
    await t.close();
  });

  it('announces a deployment from request to success, and mails the release notes since the previous one', async () => {
    const first = await f.release('feat: first screen (APP-1)');
    await deployAndSucceed(t, f, first, 'dev');
    const second = await f.release('fix(login): lockout after 3 attempts (APP-7)');
    const d = await deployAndSucceed(t, f, second, 'dev');
    await t.services.notifications.dispatcher.drain();

    const events = http.requests.map((r) => r.json.event);
    expect(events.filter((e) => e.payload.version === second).map((e) => e.type)).toEqual(expect.arrayContaining(['deployment.requested', 'deployment.started', 'deployment.succeeded']));
    expect(http.requests.every((r) => r.signatureValid)).toBe(true);
    const done = http.requests.find((r) => r.json.event.type === 'deployment.succeeded' && r.json.event.payload.version === second)!.json;
    expect(done.message.title).toBe(`${f.project} ${second} deployed to dev`);
    expect(done.message.links[0]).toEqual({ name: 'Deployment in Slipway', url: `http://127.0.0.1:4000/api/v1/deployments/${d.id}` });
    expect(done.message.facts).toEqual(expect.arrayContaining([{ label: 'Outcome', value: 'succeeded' }, { label: 'Requested by', value: 'admin' }]));

    expect(smtp.messages).toHaveLength(2);
    const mail = smtp.messages[1]!;
    expect(mail.subject).toBe(`[Slipway] ${f.project} ${second} (v${second}) deployed to dev`);
    expect(mail.html).toContain(`Changes since ${first}`);
    expect(mail.html).toContain('APP-7');
    expect(mail.html).not.toContain('APP-1');
    expect(mail.text).toContain('included fixes to login: lockout after 3 attempts (APP-7)');
  });
});
