import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemContext } from '../auth/actor.js';
import { createTestRepository, type TestRepository } from '../testing/git-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';
import { startSmtpReceiver, type SmtpReceiver } from './receiver-fixtures.js';

async function record(t: TestApp, type: string, payload: Record<string, unknown>, project: string, environment: string): Promise<void> {
  await t.services.uow.transaction((tx) =>
    tx.record(systemContext(), { action: type, resourceType: type.split('.')[0]!, resourceId: type, event: { type, payload, projectKey: project, environmentKey: environment } }),
  );
}

describe.each(DIALECTS)('the release email on %s', (dialect) => {
  let t: TestApp;
  let repo: TestRepository;
  let smtp: SmtpReceiver;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    smtp = await startSmtpReceiver();
    repo = await createTestRepository();
    await repo.commit('chore: initial commit');
    await repo.push();
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'staging', rank: 40 } });
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'production', rank: 50 } });
    expect((await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'shop', repository: repo.remote } })).statusCode).toBe(201);
    const channel = await t.request({
      method: 'POST',
      url: '/api/v1/channels',
      payload: { name: 'deploy-list', type: 'email', config: { host: smtp.host, port: smtp.port, from: 'Slipway <slipway@example.com>', to: ['deploys@example.com'] }, subscriptions: [{ events: ['deployment.succeeded'], environments: ['production'] }] },
    });
    expect(channel.statusCode).toBe(201);
  });
  afterAll(async () => {
    await smtp.close();
    await repo.cleanup();
    await t.close();
  });

  const release = async (...messages: string[]) => {
    for (const m of messages) await repo.commit(m);
    await repo.push();
    const res = await t.request({ method: 'POST', url: '/api/v1/projects/shop/releases', payload: {} });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { version: string; tag: string; commit: string };
  };
  const deployed = (r: { version: string; tag: string; commit: string }, environment = 'production') =>
    record(t, 'deployment.succeeded', { id: `dep-${r.version}-${environment}`, project: 'shop', environment, version: r.version, tag: r.tag, commit: r.commit, targets: [{ key: 'default', status: 'succeeded' }], requestedBy: 'rita', durationMs: 5000, outcome: 'succeeded' }, 'shop', environment);
  const flag = (environment: string | null, name: string, summary: string) =>
    t.services.uow.transaction((tx) =>
      tx.record(systemContext(), { action: 'flag.changed', resourceType: 'flag', resourceId: name, event: { type: 'flag.changed', payload: { project: 'shop', environment, flag: name, summary, before: null, after: { enabled: false } }, projectKey: 'shop', environmentKey: environment } }),
    );

  it('sends curated notes since the version that ran before, with ticket keys and the flags changed in between', async () => {
    const first = await release('feat: storefront (SHOP-1)');
    await flag('production', 'OLD_FLAG', 'Flag OLD_FLAG was turned on');
    await deployed(first);
    await t.services.notifications.dispatcher.drain();
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.html).toContain('Changes in this release');
    expect(smtp.messages[0]!.html).toContain('SHOP-1');

    const second = await release('feat(cart): saved carts (SHOP-12)', 'fix(checkout): rounding of totals\n\nFixes SHOP-15.');
    await deployed(second, 'staging');
    const third = await release('fix: escape <b>names</b> in receipts (SHOP-20)', 'feat(api)!: drop v1 endpoints\n\nBREAKING CHANGE: clients must call /v2');
    await flag(null, 'NEW_SEARCH', 'Flag NEW_SEARCH was added with variants on and off');
    await flag('production', 'IS_FEATURE_AVAILABLE', 'Flag IS_FEATURE_AVAILABLE was added and set to false for a dark deployment');
    await flag('staging', 'STAGING_ONLY', 'Flag STAGING_ONLY was turned on');
    await deployed(third);
    await t.services.notifications.dispatcher.drain();

    expect(smtp.messages).toHaveLength(2);
    const mail = smtp.messages[1]!;
    expect(mail.subject).toBe(`[Slipway] shop ${third.version} (${third.tag}) deployed to production`);
    const now = t.clock.now();
    const summary = `${now.getUTCMonth() + 1}/${now.getUTCDate()} deployment of shop ${third.version} to production included fixes to escape <b>names</b> in receipts (SHOP-20) and checkout: rounding of totals, the feature cart: saved carts (SHOP-12) and a breaking change (api: drop v1 endpoints). Flag NEW_SEARCH was added with variants on and off. Flag IS_FEATURE_AVAILABLE was added and set to false for a dark deployment.`;
    expect(mail.text).toContain(summary);
    expect(mail.html).toContain(summary.replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    for (const body of [mail.html, mail.text]) {
      expect(body).toContain(`Changes since ${first.version}`);
      for (const ticket of ['SHOP-12', 'SHOP-15', 'SHOP-20']) expect(body).toContain(ticket);
      expect(body).not.toContain('SHOP-1,');
      expect(body).toContain('saved carts');
      expect(body).toContain('clients must call /v2');
      expect(body).toContain('IS_FEATURE_AVAILABLE');
      expect(body).toContain('NEW_SEARCH');
      expect(body).not.toContain('STAGING_ONLY');
      expect(body).not.toContain('OLD_FLAG');
      expect(body).toContain(third.tag);
      expect(body).toContain(`http://127.0.0.1:4000/api/v1/deployments/dep-${third.version}-production`);
    }
    expect(mail.html).toMatch(/<h3>Breaking changes<\/h3><ul><li><strong>api:<\/strong> drop v1 endpoints/);
    expect(mail.html).toContain('<h3>Tickets</h3>');
    expect(mail.html).toContain('escape &lt;b&gt;names&lt;/b&gt; in receipts');
    expect(mail.html).not.toContain('<b>names</b>');
    expect(mail.headers['message-id']).toMatch(/@slipway>$/);
  });
});
