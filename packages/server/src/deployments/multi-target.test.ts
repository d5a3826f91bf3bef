import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../notifications/receiver-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';
import { createDeployFixture, deployAndSucceed, drain, type DeployFixture } from './deploy-fixtures.js';
import { callbackTokenFor } from './deployment-service.js';

const SECRET = 'multi-target-secret-0123456789';

// Issue 10 §1/§2 and issue 11 §9: every target tracked to its end, the matrix from what targets
// reported, rollbacks to the last good version on the targets that changed — with a real webhook
// receiver on 127.0.0.1 and real commands.
describe.each(DIALECTS)('multi-target deployments and rollbacks on %s', (dialect) => {
  let t: TestApp;
  let hook: HttpReceiver;
  let flags: string;
  const fixtures: DeployFixture[] = [];
  let envCount = 0;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    hook = await startHttpReceiver({ secret: SECRET });
    // The receiver accepts the work and reports later, as a deploy tool does.
    hook.respond(() => ({ status: 202, body: '{"accepted":true}' }));
    flags = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-mt-'));
  });
  afterAll(async () => {
    for (const f of fixtures) await f.cleanup();
    await hook.close();
    fs.rmSync(flags, { recursive: true, force: true });
    await t.close();
  });

  const get = async (id: string) => (await t.request({ method: 'GET', url: `/api/v1/deployments/${id}` })).json();
  const report = (id: string, target: string, status: string, token?: string) =>
    t.request({ method: 'POST', url: `/api/v1/deployments/${id}/status`, token: token ?? callbackTokenFor(t.services.secrets, id), payload: { target, status } });
  const cell = async (project: string, env: string) => (await t.request({ method: 'GET', url: `/api/v1/status?project=${project}` })).json().items.find((c: any) => c.environment === env);
  const newEnv = async (settings: Record<string, unknown>) => {
    const key = `mt-${++envCount}`;
    expect((await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key, rank: 100 + envCount } })).statusCode).toBe(201);
    if (Object.keys(settings).length === 0) return key;
    const res = await t.request({ method: 'PATCH', url: `/api/v1/environments/${key}`, payload: settings });
    expect(res.statusCode, res.body).toBe(200);
    return key;
  };
  const fixture = async (env: string) => {
    const f = await createDeployFixture(t, { lifecycle: [env] });
    fixtures.push(f);
    return f;
  };
  // A command that fails for versions listed as files in `flags` (the test decides what breaks).
  const failingWhenFlagged = (name: string) => ({ type: 'command', command: ['sh', '-c', `echo "deploying $SLIPWAY_VERSION to $SLIPWAY_TARGET"; test ! -e "${flags}/${name}-$SLIPWAY_VERSION"`] });

  it('one target fails, the other is told to cancel and reports later: tracked to its end, matrix from the reports, auto-rollback of the changed target only', async () => {
    const env = await newEnv({
      targets: [
        { key: 'us-cluster', executor: failingWhenFlagged('us') },
        { key: 'eu-cluster', executor: { type: 'webhook', url: `${hook.url}/deploy`, secret: SECRET } },
      ],
      autoRollback: true,
    });
    const f = await fixture(env);
    const v1 = await f.release();
    const first = (await f.deploy({ version: v1, environment: env })).json();
    await drain(t);
    expect((await report(first.id, 'eu-cluster', 'succeeded')).statusCode).toBe(200);
    await drain(t);
    expect((await get(first.id)).status).toBe('succeeded');

    const v2 = await f.release();
    fs.writeFileSync(path.join(flags, `us-${v2}`), '');
    hook.requests.length = 0;
    const d = (await f.deploy({ version: v2, environment: env })).json();
    await drain(t);
    // us-cluster failed; eu-cluster was asked to cancel but has not answered: still running, still taking reports.
    let now = await get(d.id);
    expect(now).toMatchObject({ status: 'running', stopping: 'target_failed', failure: { target: 'us-cluster' } });
    expect(now.targets.find((x: any) => x.key === 'us-cluster')).toMatchObject({ status: 'failed' });
    expect(now.targets.find((x: any) => x.key === 'eu-cluster')).toMatchObject({ status: 'running', waitingFor: 'callback' });
    expect(now.targets.find((x: any) => x.key === 'eu-cluster').stopRequestedAt).not.toBeNull();
    const actions = hook.requests.filter((r) => r.json?.deploymentId === d.id).map((r) => [r.json.action, r.headers['x-slipway-action'], r.json.target, r.signatureValid]);
    expect(actions).toEqual([
      ['deploy', 'deploy', 'eu-cluster', true],
      ['cancel', 'cancel', 'eu-cluster', true],
    ]);
    expect(hook.requests.find((r) => r.json?.action === 'cancel')!.json.reason).toContain('us-cluster failed');

    // eu-cluster had really installed v2 before the cancel arrived: its report is taken.
    const late = await report(d.id, 'eu-cluster', 'succeeded');
    expect(late.statusCode, late.body).toBe(200);
    await drain(t);
    now = await get(d.id);
    expect(now).toMatchObject({ status: 'failed', failure: { reason: 'target_failed', target: 'us-cluster' } });
    expect(now.targets.map((x: any) => [x.key, x.status])).toEqual([
      ['us-cluster', 'failed'],
      ['eu-cluster', 'succeeded'],
    ]);
    // A report after the target ended is refused, naming the target's end.
    const again = await report(d.id, 'eu-cluster', 'failed');
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toContain('already ended succeeded');

    // The automatic rollback went to both: us-cluster ran (and failed: maybe half-installed), eu-cluster installed v2.
    const latest = async () => get((await t.request({ method: 'GET', url: `/api/v1/projects/${f.project}/deployments?environment=${env}&limit=1` })).json().items[0].id);
    const rb = await latest();
    expect(rb).toMatchObject({ kind: 'rollback', version: v1, rollbackOf: d.id });
    expect(rb.targets.map((x: any) => x.key)).toEqual(['us-cluster', 'eu-cluster']);
    expect(hook.requests.find((r) => r.json?.deploymentId === rb.id)!.json).toMatchObject({ action: 'deploy', version: v1, target: 'eu-cluster' });
    await report(rb.id, 'eu-cluster', 'succeeded');
    await drain(t);
    expect((await get(rb.id)).status).toBe('succeeded');
    expect((await get(d.id)).status).toBe('rolled_back');
    let c = await cell(f.project, env);
    expect(c.current.version).toBe(v1);
    expect(c.targets).toBeNull();
    const events = (await t.services.uow.reads.outbox.listAfter(null, 100_000)).filter((e) => e.payload.deploymentId === d.id);
    const rolledBack = events.find((e) => e.type === 'deployment.rolled_back')!;
    expect(rolledBack.payload).toMatchObject({ rolledBackTo: v1, rollbackTargets: ['us-cluster', 'eu-cluster'] });
    expect(String(rolledBack.payload.rollbackReason)).toContain('automatic');

    // Next time eu-cluster stops when told (it reports cancelled): it did not change, so only us-cluster is rolled back, and the reason says so.
    const v3 = await f.release();
    fs.writeFileSync(path.join(flags, `us-${v3}`), '');
    const d3 = (await f.deploy({ version: v3, environment: env })).json();
    await drain(t);
    expect((await report(d3.id, 'eu-cluster', 'cancelled')).statusCode).toBe(200);
    await drain(t);
    expect(await get(d3.id)).toMatchObject({ status: 'rolled_back', failure: { target: 'us-cluster' } });
    const rb3 = await latest();
    expect(rb3).toMatchObject({ kind: 'rollback', version: v1, rollbackOf: d3.id, status: 'succeeded' });
    expect(rb3.targets.map((x: any) => x.key)).toEqual(['us-cluster']);
    expect(rb3.reason).toContain('on us-cluster only (the targets that changed)');
    const logs = (await t.request({ method: 'GET', url: `/api/v1/deployments/${d3.id}/logs` })).json().items.map((l: any) => l.line).join('\n');
    expect(logs).toContain(`automatic rollback to ${v1} started on us-cluster (the targets that changed)`);
    c = await cell(f.project, env);
    expect(c.current.version).toBe(v1);
    expect(c.targets).toBeNull();
  });

  it('shows per-target versions while targets differ, and forgets a removed target', async () => {
    const env = await newEnv({ targets: [{ key: 'us', executor: { type: 'record' } }, { key: 'eu', executor: { type: 'record' } }] });
    const f = await fixture(env);
    const v1 = await f.release();
    await deployAndSucceed(t, f, v1, env);
    const v2 = await f.release();
    const d = (await f.deploy({ version: v2, environment: env })).json();
    await drain(t);
    expect((await get(d.id)).targets.map((x: any) => x.waitingFor)).toEqual(['report', 'report']);
    await report(d.id, 'us', 'succeeded', d.callbackToken);
    // Before the deployment ends, the matrix already shows what us reported.
    let c = await cell(f.project, env);
    expect(c.targets).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'us', version: v2 }), expect.objectContaining({ key: 'eu', version: v1 })]));
    expect(c.inFlight.deploymentId).toBe(d.id);
    await report(d.id, 'eu', 'failed', d.callbackToken);
    await drain(t);
    expect((await get(d.id))).toMatchObject({ status: 'failed', failure: { target: 'eu' } });
    c = await cell(f.project, env);
    expect(c.current.version).toBe(v1);

    // Replace both with one k8s target: the old targets leave the matrix, the history stays.
    await t.request({ method: 'PATCH', url: `/api/v1/environments/${env}`, payload: { targets: [{ key: 'k8s', executor: { type: 'record' } }] } });
    c = await cell(f.project, env);
    expect(c.targets).toBeNull();
    const v3 = await f.release();
    await deployAndSucceed(t, f, v3, env);
    c = await cell(f.project, env);
    expect(c.current.version).toBe(v3);
    expect(c.targets).toBeNull();
    expect((await get(d.id)).targets.map((x: any) => x.key)).toEqual(['us', 'eu']);
  });

  it('stops a running command with SIGTERM when another target fails', async () => {
    const env = await newEnv({
      targets: [
        { key: 'slow', executor: { type: 'command', command: ['sh', '-c', 'trap "echo stopping on TERM; exit 143" TERM; echo started; sleep 30 & wait'] } },
        { key: 'broken', executor: { type: 'webhook', url: `${hook.url.replace(/:\d+$/, ':1')}/nowhere`, secret: SECRET } },
      ],
    });
    const f = await fixture(env);
    const v1 = await f.release();
    const d = (await f.deploy({ version: v1, environment: env })).json();
    await drain(t);
    const done = await get(d.id);
    expect(done).toMatchObject({ status: 'failed', failure: { target: 'broken' } });
    expect(done.targets.map((x: any) => [x.key, x.status])).toEqual([
      ['slow', 'cancelled'],
      ['broken', 'failed'],
    ]);
    const logs = (await t.request({ method: 'GET', url: `/api/v1/deployments/${d.id}/logs` })).json().items.map((l: any) => l.line).join('\n');
    expect(logs).toContain('stopping: target broken failed (SIGTERM');
    expect(logs).toContain('stopping on TERM');
  });

  it('rolls back to the last good version, asks for a version after a failed rollback, previews what goes away, and refuses an old deployment', async () => {
    const env = await newEnv({ targets: [{ key: 'main', executor: failingWhenFlagged('main') }], autoRollback: true });
    const f = await fixture(env);
    const v1 = await f.release('feat: first (SHOP-1)');
    const v2 = await f.release('fix: second (SHOP-2)');
    await deployAndSucceedCommand(f, v1);
    const second = await deployAndSucceedCommand(f, v2);
    const v3 = await f.release('feat: third (SHOP-3)');
    fs.writeFileSync(path.join(flags, `main-${v3}`), '');
    // The automatic rollback to v2 fails too.
    fs.writeFileSync(path.join(flags, `main-${v2}`), '');
    const d = (await f.deploy({ version: v3, environment: env })).json();
    await drain(t);
    expect((await get(d.id)).status).toBe('failed');
    const list = (await t.request({ method: 'GET', url: `/api/v1/projects/${f.project}/deployments?environment=${env}&limit=1` })).json().items;
    expect(list[0]).toMatchObject({ kind: 'rollback', version: v2, status: 'failed' });

    const base = `/api/v1/projects/${f.project}/environments/${env}`;
    const needs = await t.request({ method: 'GET', url: `${base}/rollback-preview` });
    expect(needs.statusCode).toBe(409);
    expect(needs.json().error.code).toBe('rollback_version_needed');
    expect(needs.json().error.message).toContain(`The last rollback to ${v2}`);
    expect((await t.request({ method: 'POST', url: `${base}/rollback`, payload: {} })).json().error.code).toBe('rollback_version_needed');

    const preview = await t.request({ method: 'GET', url: `${base}/rollback-preview?version=${v1}` });
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json()).toMatchObject({
      from: { version: v3, deploymentId: d.id },
      to: { version: v1, explicit: true },
      targets: [{ key: 'main', to: v1, rollsBack: true }],
      failedRollback: { version: v2 },
    });
    expect(preview.json().notes.releases.map((r: any) => r.version)).toEqual([v2, v3]);
    expect(preview.json().notes.tickets).toEqual(expect.arrayContaining(['SHOP-2', 'SHOP-3']));
    expect((await t.request({ method: 'GET', url: `${base}/rollback-preview?version=9.9.9` })).json().error.code).toBe('rollback_version_unknown');

    // Rolling back an old deployment would put an older version over the current one: refused.
    const old = await t.request({ method: 'POST', url: `/api/v1/deployments/${second.id}/rollback`, payload: {} });
    expect(old.statusCode).toBe(409);
    expect(old.json().error.code).toBe('not_latest_deployment');

    const rb = await t.request({ method: 'POST', url: `${base}/rollback`, payload: { version: v1, reason: 'v2 and v3 both broken' } });
    expect(rb.statusCode, rb.body).toBe(201);
    await drain(t);
    expect((await get(rb.json().id)).status).toBe('succeeded');
    expect((await get(d.id)).status).toBe('rolled_back');
    const c = await cell(f.project, env);
    expect(c.current.version).toBe(v1);
    const event = (await t.services.uow.reads.outbox.listAfter(null, 100_000)).find((e) => e.type === 'deployment.rolled_back' && e.payload.deploymentId === d.id)!;
    expect(event.payload).toMatchObject({ rolledBackTo: v1 });
    expect(String(event.payload.rollbackReason)).toContain('v2 and v3 both broken');
  });

  it('refuses to delete an environment while a deployment runs there', async () => {
    const env = await newEnv({});
    const f = await fixture(env);
    const v1 = await f.release();
    const d = (await f.deploy({ version: v1, environment: env })).json();
    const res = await t.request({ method: 'DELETE', url: `/api/v1/environments/${env}` });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('environment_busy');
    expect((await t.request({ method: 'GET', url: `/api/v1/environments/${env}` })).statusCode).toBe(200);
    await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/cancel` });
  });

  it('three targets report at the same moment: the matrix keeps every report, the deployment ends once (10 rounds)', async () => {
    const keys = ['us', 'eu', 'ap'];
    const env = await newEnv({ targets: keys.map((key) => ({ key, executor: { type: 'record' } })) });
    const f = await fixture(env);
    await deployAndSucceed(t, f, await f.release(), env);
    const lost: string[] = [];
    for (let round = 0; round < 10; round++) {
      const v = await f.release();
      const d = (await f.deploy({ version: v, environment: env })).json();
      await drain(t);
      const answers = await Promise.all(keys.map((key) => report(d.id, key, 'succeeded', d.callbackToken)));
      expect(answers.map((a) => a.statusCode), answers.map((a) => a.body).join('\n')).toEqual([200, 200, 200]);
      // Before the runner ends the deployment, the matrix shows what each target reported.
      const c = await cell(f.project, env);
      const shown = Object.fromEntries((c.targets ?? []).map((x: any) => [x.key, x.version]));
      for (const key of keys) if (shown[key] !== v) lost.push(`round ${round}: ${key} shows ${shown[key]} after reporting ${v}`);
      await drain(t);
      expect((await get(d.id)).status).toBe('succeeded');
      expect((await cell(f.project, env)).current.version).toBe(v);
    }
    expect(lost).toEqual([]);
  });

  // Issue 11 §9: rolling back 1.0.1 while 1.0.2 runs would deploy 1.0.0 over 1.0.2.
  it('while a newer deployment runs: rolling back an older one is refused (409), so is deleting the environment; nothing is created', async () => {
    const env = await newEnv({});
    const f = await fixture(env);
    const v1 = await f.release('feat: first (RUN-1)');
    const v2 = await f.release('fix: second (RUN-2)');
    const v3 = await f.release('fix: third (RUN-3)');
    const first = await deployAndSucceed(t, f, v1, env);
    const second = await deployAndSucceed(t, f, v2, env);
    const third = (await f.deploy({ version: v3, environment: env })).json();
    await drain(t);
    expect((await get(third.id)).status).toBe('running');
    const list = async () => (await t.request({ method: 'GET', url: `/api/v1/projects/${f.project}/deployments?environment=${env}&limit=50` })).json().items.map((d: any) => `${d.id} ${d.status}`);
    const before = await list();

    for (const old of [second, first]) {
      const res = await t.request({ method: 'POST', url: `/api/v1/deployments/${old.id}/rollback`, payload: { reason: 'old one' } });
      expect(res.statusCode, res.body).toBe(409);
      expect(['not_latest_deployment', 'deployment_in_progress']).toContain(res.json().error.code);
    }
    const deleted = await t.request({ method: 'DELETE', url: `/api/v1/environments/${env}` });
    expect(deleted.statusCode).toBe(409);
    expect(deleted.json().error.code).toBe('environment_busy');
    expect(await list()).toEqual(before);
    expect((await get(third.id)).status).toBe('running');

    const done = await report(third.id, third.targets[0].key, 'succeeded', third.callbackToken);
    expect(done.statusCode, done.body).toBe(200);
    await drain(t);
    expect((await cell(f.project, env)).current.version).toBe(v3);
  });

  async function deployAndSucceedCommand(f: DeployFixture, version: string) {
    const env = f.project && (await t.request({ method: 'GET', url: `/api/v1/projects/${f.project}` })).json().lifecycle[0];
    const res = await f.deploy({ version, environment: env });
    expect(res.statusCode, res.body).toBe(201);
    await drain(t);
    const d = await get(res.json().id);
    expect(d.status).toBe('succeeded');
    return d;
  }
});
