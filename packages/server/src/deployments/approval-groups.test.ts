import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';
import { createDeployFixture, drain, type DeployFixture } from './deploy-fixtures.js';

// Issue 10 §4 (seed 002: hotfix → senior engineer and security; feature → product and engineering),
// issue 11 §2 (parallel approvals on both dialects) and issue 12's dryRun preflight.
describe.each(DIALECTS)('approval groups, rejection and preflight on %s', (dialect) => {
  let t: TestApp;
  const fixtures: DeployFixture[] = [];
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp(dialect);
    for (const [key, rank] of [['gate', 10], ['par', 20], ['pre-dev', 30], ['pre-qa', 40]] as const) await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key, rank } });
    for (const [name, role] of [['eve', 'engineer'], ['sam', 'engineer'], ['sec', 'qa'], ['pat', 'qa'], ['rita', 'release-manager'], ['a1', 'qa'], ['a2', 'qa'], ['a3', 'qa']] as const) {
      tokens[name] = await t.tokenForUser(name, role);
    }
    const res = await t.request({
      method: 'PATCH',
      url: '/api/v1/environments/gate',
      payload: {
        approvals: [
          { name: 'senior-engineers', required: 1, users: ['sam'], kinds: ['hotfix'] },
          { name: 'security', required: 1, users: ['sec'], kinds: ['hotfix'] },
          { name: 'product', required: 1, users: ['pat'], kinds: ['minor', 'major'] },
          { name: 'engineering', required: 1, roles: ['release-manager'], kinds: ['minor', 'major'] },
        ],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().approvals).toHaveLength(4);
  });
  afterAll(async () => {
    for (const f of fixtures) await f.cleanup();
    await t.close();
  });

  const fixture = async (lifecycle: string[]) => {
    const f = await createDeployFixture(t, { lifecycle, hotfixLifecycle: lifecycle });
    fixtures.push(f);
    return f;
  };
  const approve = (id: string, who: string) => t.request({ method: 'POST', url: `/api/v1/deployments/${id}/approve`, token: tokens[who]! });

  it('a hotfix needs a senior engineer AND security; the requester never counts; groups still missing are named', async () => {
    const f = await fixture(['gate']);
    const v1 = await f.release('feat: base');
    await f.repo.commit('fix: urgent (SHOP-9)');
    await f.repo.push();
    const hotfix = await t.request({ method: 'POST', url: `/api/v1/projects/${f.project}/releases/${v1}/hotfixes`, payload: { commits: [await f.repo.head()] } });
    expect(hotfix.statusCode, hotfix.body).toBe(201);
    const hv = hotfix.json().version;

    const preflight = await f.deploy({ version: hv, environment: 'gate', dryRun: true }, tokens.sam);
    expect(preflight.statusCode).toBe(200);
    expect(preflight.json()).toMatchObject({ allowed: true, refusals: [], approvals: [{ name: 'senior-engineers' }, { name: 'security' }] });

    const d = (await f.deploy({ version: hv, environment: 'gate' }, tokens.sam)).json();
    expect(d).toMatchObject({ status: 'pending_approval', releaseKind: 'hotfix', approvals: { missing: ['senior-engineers', 'security'] } });
    const self = await approve(d.id, 'sam');
    expect(self.statusCode).toBe(403);
    expect(self.json().error.message).toContain('requester never counts');
    const outsider = await approve(d.id, 'pat');
    expect(outsider.statusCode).toBe(403);
    expect(outsider.json().error.message).toContain('senior-engineers');
    const security = await approve(d.id, 'sec');
    expect(security.statusCode, security.body).toBe(200);
    expect(security.json()).toMatchObject({ status: 'pending_approval', approvals: { missing: ['senior-engineers'] } });
    // Only sam is a senior engineer and sam asked: nobody else can satisfy that group.
    const again = await approve(d.id, 'sec');
    expect(again.statusCode).toBe(409);
    const cancelled = await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/cancel`, token: tokens.sam });
    expect(cancelled.json().status).toBe('cancelled');

    // Asked by someone else, sam's approval completes it.
    const d2 = (await f.deploy({ version: hv, environment: 'gate' }, tokens.eve)).json();
    expect((await approve(d2.id, 'sec')).statusCode).toBe(200);
    const done = await approve(d2.id, 'sam');
    expect(done.json()).toMatchObject({ status: 'pending', approvals: { missing: [] } });
    expect(done.json().approvals.groups.map((g: any) => [g.name, g.approvedBy])).toEqual([
      ['senior-engineers', ['sam']],
      ['security', ['sec']],
    ]);
    await drain(t);
    const approved = (await t.services.uow.reads.outbox.listAfter(null, 100_000)).filter((e) => e.type === 'deployment.approved' && e.payload.deploymentId === d2.id);
    expect(approved.map((e) => e.payload.approver)).toEqual(['sec', 'sam']);
    expect([...(approved[1]!.payload.approvedBy as string[])].sort()).toEqual(['sam', 'sec']);
  });

  it('a feature release needs product AND engineering; one rejection ends the request', async () => {
    const f = await fixture(['gate']);
    const v = await f.release('feat: a feature');
    const d = (await f.deploy({ version: v, environment: 'gate' }, tokens.eve)).json();
    expect(d.approvals.missing).toEqual(['product', 'engineering']);
    expect((await approve(d.id, 'sec')).statusCode).toBe(403);
    expect((await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/reject`, token: tokens.pat, payload: {} })).statusCode).toBe(400);
    const rejected = await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/reject`, token: tokens.pat, payload: { comment: 'the release notes promise a feature QA never saw' } });
    expect(rejected.statusCode, rejected.body).toBe(200);
    expect(rejected.json()).toMatchObject({ status: 'rejected', rejection: { by: 'pat', comment: 'the release notes promise a feature QA never saw' }, targets: [{ status: 'cancelled' }] });
    expect((await approve(d.id, 'rita')).statusCode).toBe(409);
    const event = (await t.services.uow.reads.outbox.listAfter(null, 100_000)).find((e) => e.type === 'deployment.rejected' && e.payload.deploymentId === d.id)!;
    expect(event.payload.rejection).toMatchObject({ by: 'pat' });
    // Nothing is in flight any more: a new request may be made.
    expect((await f.deploy({ version: v, environment: 'gate' }, tokens.eve)).statusCode).toBe(201);
  });

  it('parallel approvals: of three at once on a 2-approval policy exactly two are recorded, it moves on, the third is refused as not needed (20 rounds)', async () => {
    await t.request({ method: 'PATCH', url: '/api/v1/environments/par', payload: { approvals: [{ name: 'quorum', required: 2, users: ['a1', 'a2', 'a3'] }] } });
    const f = await fixture(['par']);
    for (let round = 0; round < 20; round++) {
      const v = await f.release();
      const d = (await f.deploy({ version: v, environment: 'par' }, tokens.eve)).json();
      const answers = await Promise.all(['a1', 'a2', 'a3'].map((who) => approve(d.id, who)));
      const codes = answers.map((a) => a.statusCode).sort();
      expect(codes, answers.map((a) => a.body).join('\n')).toEqual([200, 200, 409]);
      expect(answers.find((a) => a.statusCode === 409)!.json().error.code).toBe('approval_not_needed');
      const now = (await t.request({ method: 'GET', url: `/api/v1/deployments/${d.id}` })).json();
      expect(now.status).not.toBe('pending_approval');
      expect(now.approvals.given).toHaveLength(2);
      const late = ['a1', 'a2', 'a3'][answers.findIndex((a) => a.statusCode === 409)]!;
      expect((await approve(d.id, late)).json().error.code).toBe('approval_not_needed');
      await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/cancel` });
    }
  });

  it('parallel approvals with two groups: one approval per group is taken, the extra member of a satisfied group is refused (20 rounds)', async () => {
    await t.request({ method: 'PATCH', url: '/api/v1/environments/par', payload: { approvals: [{ name: 'qa', required: 1, users: ['a1', 'a2'] }, { name: 'security', required: 1, users: ['a3'] }] } });
    const f = await fixture(['par']);
    for (let round = 0; round < 20; round++) {
      const v = await f.release();
      const d = (await f.deploy({ version: v, environment: 'par' }, tokens.eve)).json();
      const answers = await Promise.all(['a1', 'a2', 'a3'].map((who) => approve(d.id, who)));
      expect(answers[2]!.statusCode, answers[2]!.body).toBe(200);
      expect([answers[0]!.statusCode, answers[1]!.statusCode].sort(), answers.map((a) => a.body).join('\n')).toEqual([200, 409]);
      expect([answers[0]!, answers[1]!].find((a) => a.statusCode === 409)!.json().error.code).toBe('approval_not_needed');
      const now = (await t.request({ method: 'GET', url: `/api/v1/deployments/${d.id}` })).json();
      expect(now.status).not.toBe('pending_approval');
      expect(now.approvals.given).toHaveLength(2);
      await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/cancel` });
    }
  });

  it('dryRun lists every guard that refuses (promotion_order AND signoff_missing), what an override sets aside, and creates nothing', async () => {
    await t.request({ method: 'PATCH', url: '/api/v1/environments/pre-qa', payload: { requiredSignoffs: ['qa'], freezes: [{ from: '2000-01-01T00:00:00Z', to: '2999-01-01T00:00:00Z', reason: 'forever' }] } });
    const f = await fixture(['pre-dev', 'pre-qa']);
    const v = await f.release();
    const res = await f.deploy({ version: v, environment: 'pre-qa', dryRun: true });
    expect(res.statusCode, res.body).toBe(200);
    const p = res.json();
    expect(p.allowed).toBe(false);
    expect(p.refusals.map((r: any) => r.code)).toEqual(['promotion_order', 'signoff_missing', 'frozen']);
    expect(p.overridable).toEqual(['frozen']);
    expect(p.refusals[2].message).toContain('--override-reason');
    expect((await t.request({ method: 'GET', url: `/api/v1/projects/${f.project}/deployments` })).json().items).toEqual([]);
    // The real request answers the first refusal and lists the others.
    const real = await f.deploy({ version: v, environment: 'pre-qa' });
    expect(real.statusCode).toBe(422);
    expect(real.json().error.code).toBe('promotion_order');
    expect(real.json().error.details.refusals.map((r: any) => r.code)).toEqual(['promotion_order', 'signoff_missing', 'frozen']);
    // A release that may go: allowed, with the override noted.
    const dev = await f.deploy({ version: v, environment: 'pre-dev', dryRun: true });
    expect(dev.json()).toMatchObject({ allowed: true, refusals: [], overridable: [] });
  });
});
