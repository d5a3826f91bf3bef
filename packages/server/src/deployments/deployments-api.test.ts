import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';
import { expectHotfixInvariants } from '../testing/release-checks.js';
import { createDeployFixture, deployAndSucceed, drain, ensureEnvironments, type DeployFixture } from './deploy-fixtures.js';

describe.each(DIALECTS)('deployments API on %s', (dialect) => {
  let t: TestApp;
  const fixtures: DeployFixture[] = [];
  const fixture = async (options?: Parameters<typeof createDeployFixture>[1]) => {
    const f = await createDeployFixture(t, options);
    fixtures.push(f);
    return f;
  };

  beforeAll(async () => {
    t = await createTestApp(dialect);
    await ensureEnvironments(t, [['dev', 10], ['qa', 20], ['staging', 30], ['production', 50, true]]);
  });
  afterAll(async () => {
    for (const f of fixtures) await f.cleanup();
    await t.close();
  });

  const patchEnv = (env: string, payload: Record<string, unknown>) => t.request({ method: 'PATCH', url: `/api/v1/environments/${env}`, payload });
  const refusal = (res: { statusCode: number; json(): any }, code: string) => {
    expect(res.statusCode).toBe(code === 'deployment_in_progress' ? 409 : 422);
    expect(res.json().error.code).toBe(code);
    return res.json().error as { code: string; message: string; details: Record<string, unknown> };
  };

  it('deploys with the record executor: pending → running → succeeded on the caller\'s report', async () => {
    const f = await fixture();
    const version = await f.release();
    const res = await f.deploy({ version, environment: 'dev', reason: 'first deploy' });
    expect(res.statusCode, res.body).toBe(201);
    const d = res.json();
    expect(d).toMatchObject({ project: f.project, environment: 'dev', version, tag: `v${version}`, status: 'pending', requestedBy: 'admin', reason: 'first deploy', targets: [{ key: 'default', executor: 'record', status: 'pending' }] });
    expect(d.callbackToken).toMatch(/^slwcb_/);
    await drain(t);
    expect((await t.request({ method: 'GET', url: `/api/v1/deployments/${d.id}` })).json()).toMatchObject({ status: 'running', targets: [{ status: 'running' }] });
    const bad = await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/status`, token: 'slwcb_wrong', payload: { target: 'default', status: 'succeeded' } });
    expect(bad.statusCode).toBe(401);
    const unknownTarget = await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/status`, token: d.callbackToken, payload: { target: 'eu', status: 'succeeded' } });
    expect(unknownTarget.statusCode).toBe(404);
    const ok = await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/status`, token: d.callbackToken, payload: { target: 'default', status: 'succeeded', message: 'deployed by Argo' } });
    expect(ok.statusCode, ok.body).toBe(200);
    await drain(t);
    const done = (await t.request({ method: 'GET', url: `/api/v1/deployments/${d.id}` })).json();
    expect(done).toMatchObject({ status: 'succeeded', targets: [{ status: 'succeeded', message: 'deployed by Argo' }] });
    expect(done.callbackToken).toBeUndefined();
    const logs = (await t.request({ method: 'GET', url: `/api/v1/deployments/${d.id}/logs` })).json();
    expect(logs.items.map((l: { line: string }) => l.line).join('\n')).toContain('deployed by Argo');
    const types = (await t.services.uow.reads.outbox.listAfter(null, 10_000)).filter((e) => e.payload.deploymentId === d.id).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['deployment.requested', 'deployment.started', 'deployment.succeeded']));
    const succeeded = (await t.services.uow.reads.outbox.listAfter(null, 10_000)).find((e) => e.type === 'deployment.succeeded' && e.payload.deploymentId === d.id)!;
    expect(succeeded.payload).toMatchObject({ project: f.project, environment: 'dev', version, tag: `v${version}`, requestedBy: 'admin', outcome: 'succeeded', targets: [{ key: 'default', status: 'succeeded' }] });
    expect(typeof succeeded.payload.durationMs).toBe('number');
    const history = await t.request({ method: 'GET', url: `/api/v1/projects/${f.project}/deployments?environment=dev&status=succeeded` });
    expect(history.json().items.map((i: { id: string }) => i.id)).toEqual([d.id]);
  });

  it('refuses with release_unknown, not_in_lifecycle and promotion_order', async () => {
    const f = await fixture({ lifecycle: ['dev', 'qa', 'production'], hotfixLifecycle: ['qa', 'production'] });
    const version = await f.release();
    expect(refusal(await f.deploy({ version: '9.9.9', environment: 'dev' }), 'release_unknown').message).toContain('9.9.9');
    expect(refusal(await f.deploy({ version, environment: 'staging' }), 'not_in_lifecycle').message).toContain('dev → qa → production');
    const order = refusal(await f.deploy({ version, environment: 'qa' }), 'promotion_order');
    expect(order.message).toContain('deploy it to dev first');
    expect(order.details.requiredEnvironment).toBe('dev');
    await deployAndSucceed(t, f, version, 'dev');
    expect((await f.deploy({ version, environment: 'qa' })).statusCode).toBe(201);
  });

  it('takes hotfixes through the hotfix lifecycle', async () => {
    const f = await fixture({ lifecycle: ['dev', 'qa', 'production'], hotfixLifecycle: ['qa', 'production'] });
    const version = await f.release();
    await f.repo.commit('fix: urgent crash (SHOP-1)');
    await f.repo.push();
    const hotfix = await t.request({ method: 'POST', url: `/api/v1/projects/${f.project}/releases/${version}/hotfixes`, payload: { commits: [await f.repo.head()] } });
    expect(hotfix.statusCode, hotfix.body).toBe(201);
    const hv = hotfix.json().version;
    expect(await expectHotfixInvariants(t, f.project, f.repo.remote)).toBe(1);
    expect(refusal(await f.deploy({ version: hv, environment: 'dev' }), 'not_in_lifecycle').message).toContain('hotfix lifecycle');
    expect(refusal(await f.deploy({ version: hv, environment: 'production' }), 'promotion_order').details.requiredEnvironment).toBe('qa');
    await deployAndSucceed(t, f, hv, 'qa');
    expect((await f.deploy({ version: hv, environment: 'production' })).statusCode).toBe(201);
  });

  it('refuses signoff_missing and signoff_no_go (quoting the comment), then deploys on a go', async () => {
    await patchEnv('qa', { requiredSignoffs: ['qa'] });
    try {
      const f = await fixture();
      const version = await f.release();
      await deployAndSucceed(t, f, version, 'dev');
      const missing = refusal(await f.deploy({ version, environment: 'qa' }), 'signoff_missing');
      expect(missing.message).toContain(`slipway signoff --project ${f.project} --version ${version} --kind qa --go`);
      const signoffs = `/api/v1/projects/${f.project}/releases/${version}/signoffs`;
      await t.request({ method: 'POST', url: signoffs, payload: { kind: 'qa', decision: 'no-go', environment: 'qa', comment: 'login broken on Android' } });
      expect(refusal(await f.deploy({ version, environment: 'qa' }), 'signoff_no_go').message).toContain('"login broken on Android"');
      await t.request({ method: 'POST', url: signoffs, payload: { kind: 'qa', decision: 'go', comment: 'retested' } });
      expect((await f.deploy({ version, environment: 'qa' })).statusCode).toBe(201);
    } finally {
      await patchEnv('qa', { requiredSignoffs: [] });
    }
  });

  it('refuses frozen and outside_deploy_window; a release-manager overrides with a reason (audited, announced)', async () => {
    const f = await fixture({ lifecycle: ['staging'] });
    const version = await f.release();
    t.clock.set('2026-03-06T15:00:00Z'); // Friday 10:00 in New York
    await patchEnv('staging', {
      windows: [{ days: ['mon', 'tue', 'wed', 'thu'], start: '09:00', end: '16:00', timezone: 'America/New_York' }],
      freezes: [{ from: '2026-03-06T00:00:00Z', to: '2026-03-07T00:00:00Z', reason: 'quarter close' }],
    });
    try {
      const frozen = refusal(await f.deploy({ version, environment: 'staging' }), 'frozen');
      expect(frozen.message).toContain('until 2026-03-07T00:00:00.000Z (quarter close)');
      await patchEnv('staging', { freezes: [] });
      const window = refusal(await f.deploy({ version, environment: 'staging' }), 'outside_deploy_window');
      // Monday 09:00 after the DST change (EDT, UTC-4).
      expect(window.message).toContain('mon 2026-03-09 09:00 America/New_York (2026-03-09T13:00:00.000Z)');
      expect(window.details.nextWindowAt).toBe('2026-03-09T13:00:00.000Z');
      const engineer = await t.tokenFor('engineer');
      const denied = await f.deploy({ version, environment: 'staging', override: { reason: 'hotfix for outage' } }, engineer);
      expect(denied.statusCode).toBe(403);
      const rm = await t.tokenFor('release-manager');
      const overridden = await f.deploy({ version, environment: 'staging', override: { reason: 'outage INC-42' } }, rm);
      expect(overridden.statusCode, overridden.body).toBe(201);
      expect(overridden.json().override).toEqual({ reason: 'outage INC-42', overridden: ['outside_deploy_window'] });
      const event = (await t.services.uow.reads.outbox.listAfter(null, 10_000)).find((e) => e.type === 'deployment.override_used' && e.payload.deploymentId === overridden.json().id);
      expect(event?.payload).toMatchObject({ override: { reason: 'outage INC-42' }, requestedBy: 'release-manager-user' });
      const audit = await t.request({ method: 'GET', url: `/api/v1/audit?action=deployment.override_used` });
      expect(audit.json().items.length).toBeGreaterThanOrEqual(1);
      // Inside the window, no override is needed.
      await t.request({ method: 'POST', url: `/api/v1/deployments/${overridden.json().id}/cancel` });
      t.clock.set('2026-03-09T13:30:00Z');
      expect((await f.deploy({ version, environment: 'staging' })).statusCode).toBe(201);
    } finally {
      await patchEnv('staging', { windows: [], freezes: [] });
      t.clock.set(new Date());
    }
  });

  it('refuses tag_mismatch when the tag was deleted or moved in the remote', async () => {
    const f = await fixture();
    const first = await f.release();
    const second = await f.release();
    await f.repo.remoteGit('tag', '-d', `v${first}`);
    const missing = refusal(await f.deploy({ version: first, environment: 'dev' }), 'tag_mismatch');
    expect(missing.message).toContain('missing in the remote');
    await f.repo.remoteGit('tag', '-f', `v${second}`, (await f.repo.remoteGit('rev-parse', `v${second}^{commit}~1`)).trim());
    const moved = refusal(await f.deploy({ version: second, environment: 'dev' }), 'tag_mismatch');
    expect(moved.message).toContain('someone moved it');
  });

  it('keeps one deployment in flight per project and environment, even with 20 requests at once', async () => {
    const f = await fixture();
    const version = await f.release();
    const results = await Promise.all(Array.from({ length: 20 }, () => f.deploy({ version, environment: 'dev' })));
    const created = results.filter((r) => r.statusCode === 201);
    expect(created).toHaveLength(1);
    for (const r of results.filter((r) => r.statusCode !== 201)) {
      const error = refusal(r, 'deployment_in_progress');
      expect(error.details.deployment).toBe(created[0]!.json().id);
    }
    const list = await t.request({ method: 'GET', url: `/api/v1/projects/${f.project}/deployments?environment=dev` });
    expect(list.json().items).toHaveLength(1);
  });

  it('waits for approvals: not by the requester, only listed roles; cancel while pending', async () => {
    // The old single policy is still accepted, as one group.
    await patchEnv('production', { approvals: { required: 1, roles: ['release-manager', 'admin'] } });
    try {
      const f = await fixture({ lifecycle: ['production'] });
      const version = await f.release();
      const engineer = await t.tokenFor('engineer');
      expect((await f.deploy({ version, environment: 'production' }, engineer)).statusCode).toBe(403); // protected
      const rm = await t.tokenFor('release-manager');
      const res = await f.deploy({ version, environment: 'production' }, rm);
      expect(res.statusCode, res.body).toBe(201);
      const d = res.json();
      expect(d).toMatchObject({ status: 'pending_approval', approvals: { required: 1, roles: ['release-manager', 'admin'], given: [], missing: ['approvers'] } });
      await drain(t);
      expect((await t.request({ method: 'GET', url: `/api/v1/deployments/${d.id}` })).json().status).toBe('pending_approval');
      const self = await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/approve`, token: rm });
      expect(self.statusCode).toBe(403);
      expect(self.json().error.message).toContain('someone else must approve');
      const qa = await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/approve`, token: await t.tokenFor('qa') });
      expect(qa.statusCode).toBe(403);
      const approved = await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/approve`, payload: { comment: 'go' } });
      expect(approved.statusCode, approved.body).toBe(200);
      expect(approved.json()).toMatchObject({ status: 'pending', approvals: { given: [{ username: 'admin' }] } });
      await drain(t);
      expect((await t.request({ method: 'GET', url: `/api/v1/deployments/${d.id}` })).json().status).toBe('running');
      // Cancelling a running deployment stops its targets; it ends cancelled once every target has ended.
      const stopping = await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/cancel` });
      expect(stopping.statusCode, stopping.body).toBe(200);
      expect(stopping.json()).toMatchObject({ status: 'running', stopping: 'cancelled' });
      await drain(t);
      expect((await t.request({ method: 'GET', url: `/api/v1/deployments/${d.id}` })).json()).toMatchObject({ status: 'cancelled', targets: [{ status: 'cancelled' }] });
      expect((await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/cancel` })).statusCode).toBe(409);

      const g = await fixture({ lifecycle: ['production'] });
      const v2 = await g.release();
      const second = (await g.deploy({ version: v2, environment: 'production' }, rm)).json();
      const cancelled = await t.request({ method: 'POST', url: `/api/v1/deployments/${second.id}/cancel`, payload: { reason: 'wrong build' } });
      expect(cancelled.statusCode).toBe(200);
      expect(cancelled.json().status).toBe('cancelled');
      expect((await g.deploy({ version: v2, environment: 'production' }, rm)).statusCode).toBe(201);
    } finally {
      await patchEnv('production', { approvals: null });
    }
  });

  it('validates deployment settings strictly and never returns a webhook secret', async () => {
    const ok = await patchEnv('staging', {
      requiredSignoffs: ['qa', 'security'],
      approvals: { required: 2, roles: ['release-manager', 'admin'] },
      windows: [{ days: ['mon', 'fri'], start: '08:30', end: '17:00', timezone: 'Europe/Paris' }],
      targets: [
        { key: 'us-east', executor: { type: 'webhook', url: 'https://deploy.example.com/hook', secret: 'a-very-secret-value-123', timeoutMs: 60000 } },
        { key: 'eu', executor: { type: 'command', command: ['/usr/bin/true'] } },
      ],
      smoke: { http: { url: 'https://api.example.com/health' } },
      autoRollback: true,
      dashboards: [{ name: 'Grafana', url: 'https://grafana.example.com/d/1' }],
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ requiredSignoffs: ['qa', 'security'], autoRollback: true, smoke: { http: { url: 'https://api.example.com/health', expectStatus: 200 } } });
    expect(ok.json().targets[0].executor).toEqual({ type: 'webhook', url: 'https://deploy.example.com/hook', hasSecret: true, timeoutMs: 60000 });
    expect(ok.body).not.toContain('a-very-secret-value-123');
    // A PATCH without the secret keeps it, towards the same URL only (issue 11: a new URL needs the secret again).
    const kept = await patchEnv('staging', { targets: [{ key: 'us-east', executor: { type: 'webhook', url: 'https://deploy.example.com/hook', timeoutMs: 30000 } }] });
    expect(kept.statusCode, kept.body).toBe(200);
    expect(kept.json().targets[0].executor.hasSecret).toBe(true);
    const moved = await patchEnv('staging', { targets: [{ key: 'us-east', executor: { type: 'webhook', url: 'https://deploy.example.com/v2' } }] });
    expect(moved.statusCode, moved.body).toBe(422);
    expect(moved.json().error).toMatchObject({ code: 'secret_required', details: { field: 'targets/0/executor/secret' } });
    const audit = await t.request({ method: 'GET', url: '/api/v1/audit?resourceType=environment&resourceId=staging' });
    expect(audit.body).not.toContain('a-very-secret-value-123');
    const stored = await t.services.uow.reads.environments.get('staging');
    expect(JSON.stringify(stored!.settings)).not.toContain('a-very-secret-value-123');

    const bad = [
      { windows: [{ days: ['mon'], start: '09:00', end: '17:00', timezone: 'Mars/Olympus' }] },
      { windows: [{ days: ['monday'], start: '09:00', end: '17:00', timezone: 'UTC' }] },
      { windows: [{ days: ['mon'], start: '9:00', end: '17:00', timezone: 'UTC' }] },
      { windows: [{ days: ['mon'], start: '09:00', end: '09:00', timezone: 'UTC' }] },
      { freezes: [{ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z', reason: 'x' }] },
      { freezes: [{ from: 'tomorrow', to: '2026-01-01T00:00:00Z', reason: 'x' }] },
      { targets: [{ key: 'a', executor: { type: 'ssh' } }] },
      { targets: [{ key: 'new', executor: { type: 'webhook', url: 'https://x.example.com' } }] },
      { targets: [{ key: 'a', executor: { type: 'record' } }, { key: 'a', executor: { type: 'record' } }] },
      { targets: [{ key: 'a', executor: { type: 'command', command: 'rm -rf /' } }] },
      { approvals: { required: 1, roles: [] } },
      { approvals: { required: 1, roles: ['boss'] } },
      { smoke: { http: { url: 'ftp://x' } } },
      { dashboards: [{ name: 'x', url: 'javascript:alert(1)' }] },
    ];
    for (const payload of bad) {
      const res = await patchEnv('staging', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
    }
    await patchEnv('staging', { requiredSignoffs: [], approvals: null, windows: [], targets: [], smoke: null, autoRollback: false });
  });

  it('rolls back to the previous version; the original ends rolled_back; status shows current and previous', async () => {
    const f = await fixture({ lifecycle: ['dev'] });
    const v1 = await f.release();
    const v2 = await f.release();
    await deployAndSucceed(t, f, v1, 'dev');
    const second = await deployAndSucceed(t, f, v2, 'dev');
    let status = (await t.request({ method: 'GET', url: `/api/v1/status?project=${f.project}` })).json();
    expect(status.items).toEqual([expect.objectContaining({ project: f.project, environment: 'dev', current: expect.objectContaining({ version: v2 }), previous: expect.objectContaining({ version: v1 }), inFlight: null })]);
    const rb = await t.request({ method: 'POST', url: `/api/v1/deployments/${second.id}/rollback`, payload: { reason: 'errors up' } });
    expect(rb.statusCode, rb.body).toBe(201);
    expect(rb.json()).toMatchObject({ kind: 'rollback', version: v1, rollbackOf: second.id });
    status = (await t.request({ method: 'GET', url: `/api/v1/status?project=${f.project}` })).json();
    expect(status.items[0].inFlight).toMatchObject({ deploymentId: rb.json().id, version: v1 });
    await drain(t);
    await t.request({ method: 'POST', url: `/api/v1/deployments/${rb.json().id}/status`, token: rb.json().callbackToken, payload: { target: 'default', status: 'succeeded' } });
    await drain(t);
    expect((await t.request({ method: 'GET', url: `/api/v1/deployments/${second.id}` })).json().status).toBe('rolled_back');
    status = (await t.request({ method: 'GET', url: `/api/v1/status?project=${f.project}` })).json();
    expect(status.items[0]).toMatchObject({ current: { version: v1 }, previous: { version: v2 }, inFlight: null });
    const nothing = await t.request({ method: 'POST', url: `/api/v1/deployments/${rb.json().id}/rollback` });
    expect(nothing.statusCode).toBe(422);
  });
});
