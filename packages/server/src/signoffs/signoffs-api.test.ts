import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployFixture, ensureEnvironments, type DeployFixture } from '../deployments/deploy-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

describe.each(DIALECTS)('sign-offs API on %s', (dialect) => {
  let t: TestApp;
  let f: DeployFixture;
  let version: string;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    await ensureEnvironments(t);
    f = await createDeployFixture(t);
    version = await f.release();
  });
  afterAll(async () => {
    await f.cleanup();
    await t.close();
  });

  const url = () => `/api/v1/projects/${f.project}/releases/${version}/signoffs`;

  it('keeps every decision and shows the latest per kind and environment', async () => {
    const qa = await t.tokenFor('qa');
    const first = await t.request({ method: 'POST', url: url(), token: qa, payload: { kind: 'qa', decision: 'no-go', environment: 'production', comment: 'checkout crashes on Safari' } });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ project: f.project, version, kind: 'qa', decision: 'no-go', environment: 'production', comment: 'checkout crashes on Safari', createdBy: 'qa-user' });
    await t.request({ method: 'POST', url: url(), token: qa, payload: { kind: 'qa', decision: 'go', environment: 'production', comment: 'fixed in the build' } });
    await t.request({ method: 'POST', url: url(), token: qa, payload: { kind: 'security', decision: 'go' } });
    const list = await t.request({ method: 'GET', url: url(), token: await t.tokenFor('viewer') });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((s: { decision: string }) => s.decision)).toEqual(['no-go', 'go', 'go']);
    expect(list.json().latest).toHaveLength(2);
    expect(list.json().latest.find((s: { kind: string }) => s.kind === 'qa')).toMatchObject({ decision: 'go', comment: 'fixed in the build' });
  });

  it('needs the qa role or above, an existing release and environment, and valid input', async () => {
    const engineer = await t.tokenFor('engineer');
    expect((await t.request({ method: 'POST', url: url(), token: engineer, payload: { kind: 'qa', decision: 'go' } })).statusCode).toBe(403);
    expect((await t.request({ method: 'POST', url: `/api/v1/projects/${f.project}/releases/9.9.9/signoffs`, payload: { kind: 'qa', decision: 'go' } })).statusCode).toBe(404);
    expect((await t.request({ method: 'POST', url: url(), payload: { kind: 'qa', decision: 'go', environment: 'nowhere' } })).statusCode).toBe(404);
    for (const payload of [{ kind: 'qa', decision: 'maybe' }, { kind: 'QA!', decision: 'go' }, { decision: 'go' }, { kind: 'qa', decision: 'go', extra: 1 }]) {
      const res = await t.request({ method: 'POST', url: url(), payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
  });

  it('audits the decision and writes a signoff.recorded event', async () => {
    await t.request({ method: 'POST', url: url(), token: await t.tokenFor('release-manager'), payload: { kind: 'product', decision: 'go', comment: 'ok' } });
    const events = await t.services.uow.reads.outbox.listAfter(null, 1000);
    expect(events.filter((e) => e.type === 'signoff.recorded').at(-1)).toMatchObject({ projectKey: f.project, payload: { kind: 'product', decision: 'go', version } });
    const audit = await t.request({ method: 'GET', url: `/api/v1/audit?action=signoff.recorded` });
    expect(audit.json().items.length).toBeGreaterThanOrEqual(1);
  });
});
