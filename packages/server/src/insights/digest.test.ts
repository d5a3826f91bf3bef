import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from '../notifications/receiver-fixtures.js';
import { ManualClock } from '../shared/clock.js';
import { HistorySeed } from '../testing/insights-seed.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

// "Lichty Lines": every Monday 09:00 in the team's zone (New York, on summer time since 8 March),
// by e-mail (HTML and text) and in chat, once per week whatever the number of passes or servers.
describe.each(DIALECTS)('the weekly digest on %s', (dialect) => {
  let t: TestApp;
  let chat: HttpReceiver;
  let smtp: SmtpReceiver;
  const clock = new ManualClock('2026-03-16T12:00:00Z');

  beforeAll(async () => {
    t = await createTestApp(dialect, { clock });
    chat = await startHttpReceiver();
    smtp = await startSmtpReceiver();
    const seed = new HistorySeed(t.database.db);
    await seed.environment('production', 50);
    const shop = await seed.project('shop');
    await seed.release(shop, { version: '1.0.0', previous: null, kind: 'major', createdAt: '2026-03-09T14:00:00.000Z', commits: [{ sha: 'd1', type: 'feat', time: '2026-03-09T12:00:00.000Z' }, { sha: 'd2', type: 'feat', time: '2026-03-09T13:00:00.000Z' }] });
    await seed.deployment(shop, 'shop', { environment: 'production', version: '1.0.0', status: 'succeeded', finishedAt: '2026-03-10T15:00:00.000Z' });
    await seed.signoff(shop, { version: '1.0.0', decision: 'go', at: '2026-03-10T14:00:00.000Z' });
    await seed.signoff(shop, { version: '1.0.0', decision: 'no-go', at: '2026-03-09T15:00:00.000Z' });
    // Sunday 23:00 in New York is Monday 03:00Z: still last week there.
    for (const payload of [
      { project: 'shop', title: 'late Sunday bug', severity: 'high', foundIn: 'production', regression: true, foundAt: '2026-03-16T03:00:00Z' },
      { project: 'shop', title: 'staging bug', severity: 'low', foundIn: 'staging', foundAt: '2026-03-11T10:00:00Z' },
      // Monday 00:30 in New York: next week's.
      { project: 'shop', title: 'Monday bug', severity: 'low', foundIn: 'beta', foundAt: '2026-03-16T04:30:00Z' },
    ]) expect((await t.request({ method: 'POST', url: '/api/v1/bugs', payload })).statusCode).toBe(201);
    expect((await t.request({ method: 'PUT', url: '/api/v1/insights/digest', payload: { timezone: 'America/New_York' } })).statusCode).toBe(200);
    const subscriptions = [{ events: ['insights.weekly_digest'] }];
    expect((await t.request({ method: 'POST', url: '/api/v1/channels', payload: { name: 'qa-room', type: 'slack', config: { url: `${chat.url}/chat` }, subscriptions } })).statusCode).toBe(201);
    expect((await t.request({ method: 'POST', url: '/api/v1/channels', payload: { name: 'leads', type: 'email', config: { host: smtp.host, port: smtp.port, from: 'Slipway <slipway@example.com>', to: ['leads@example.com'] }, subscriptions } })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await chat.close();
    await smtp.close();
    await t.close();
  });

  const pass = async () => {
    await t.services.insights.worker.runOnce();
    await t.services.notifications.dispatcher.drain();
  };

  it('goes out at 09:00 New York time on Monday, once, as HTML and text e-mail and as a chat message', async () => {
    clock.set('2026-03-16T12:59:00Z');
    await pass();
    expect(chat.requests).toHaveLength(0);
    clock.set('2026-03-16T13:00:00Z');
    await pass();
    await pass();
    clock.set('2026-03-16T15:00:00Z');
    await pass();
    expect(chat.requests).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.subject).toBe('[Slipway] Lichty Lines — week of 2026-03-09');
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain('QA tests performed');
      expect(body).toContain('Regression bugs found on production');
    }
    expect(mail.text).toContain('QA tests pushed back: 1');
    expect(mail.text).toContain('Staging features pushed to production: 2');
    expect(mail.text).toContain('Bugs found by stage: staging 1, release candidate 0, alpha 0, beta 0, push to production 0, production 1');
    expect(mail.text).toContain('Regression bugs found on production: 1');
    expect(mail.text).toContain('Deployments to production: 1, change failure rate 0 %, median lead time 26h 30m');
    expect(mail.html).toContain('<th align="left">QA tests performed</th><td>2</td>');
    const slack = chat.requests[0]!.json;
    expect(slack.text).toContain('Lichty Lines — week of 2026-03-09');
    expect(JSON.stringify(slack.blocks)).toContain('QA tests pushed back');
    // Next Monday, the next week.
    clock.set('2026-03-23T13:00:01Z');
    await pass();
    expect(smtp.messages.map((m) => m.subject)).toEqual(['[Slipway] Lichty Lines — week of 2026-03-09', '[Slipway] Lichty Lines — week of 2026-03-16']);
  });

  it('previews the digest and refuses bad settings', async () => {
    const preview = (await t.request({ method: 'GET', url: '/api/v1/insights/digest/preview' })).json();
    expect(preview.title).toBe('Lichty Lines — week of 2026-03-16');
    const res = await t.request({ method: 'PUT', url: '/api/v1/insights/digest', payload: { timezone: 'Moon/Base' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.field).toBe('timezone');
    expect((await t.request({ method: 'GET', url: '/api/v1/insights/digest' })).json()).toMatchObject({ timezone: 'America/New_York', day: 'mon', time: '09:00', enabled: true });
  });
});
