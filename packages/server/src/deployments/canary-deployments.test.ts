import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../../../sdk-node/src/client.js';
import { slipwayMetrics } from '../../../sdk-node/src/middleware.js';
import { memoryLogger } from '../../../sdk-node/src/testing/fixtures.js';
import { startHttpReceiver, type HttpReceiver } from '../notifications/receiver-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';
import { createDeployFixture, drain, type DeployFixture } from './deploy-fixtures.js';
import { callbackTokenFor } from './deployment-service.js';

const SECRET = 'canary-receiver-secret-0123456789';

// Issue 13 (a): canary deployments. A rollout tells the environment's executors each weight — a
// real webhook receiver on 127.0.0.1 that checks every signature, a record target that waits for a
// report per step, a command that writes what it saw — and the deployment ends as its rollout does.
describe.each(DIALECTS)('canary deployments on %s', (dialect) => {
  let t: TestApp;
  let hook: HttpReceiver;
  let notes: HttpReceiver;
  let serverUrl: string;
  let envCount = 0;
  const fixtures: DeployFixture[] = [];
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    t = await createTestApp(dialect);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    serverUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    hook = await startHttpReceiver({ secret: SECRET });
    // Normal deployments: accepted now, reported later; canary steps: 200 once the weight is in place.
    hook.respond((req) => (req.json?.strategy === 'canary' ? { status: 200, body: '{"ok":true}' } : { status: 202, body: '{"accepted":true}' }));
    notes = await startHttpReceiver({ secret: SECRET });
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    for (const f of fixtures) await f.cleanup();
    await hook.close();
    await notes.close();
    await t.close();
  });

  const get = async (id: string) => (await t.request({ method: 'GET', url: `/api/v1/deployments/${id}` })).json();
  const cell = async (project: string, env: string) => (await t.request({ method: 'GET', url: `/api/v1/status?project=${project}` })).json().items.find((c: any) => c.environment === env);
  const newEnv = async (settings: Record<string, unknown>) => {
    const key = `canary-${++envCount}`;
    expect((await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key, rank: 100 + envCount } })).statusCode).toBe(201);
    if (Object.keys(settings).length > 0) {
      const res = await t.request({ method: 'PATCH', url: `/api/v1/environments/${key}`, payload: settings });
      expect(res.statusCode, res.body).toBe(200);
    }
    const f = await createDeployFixture(t, { lifecycle: [key] });
    fixtures.push(f);
    return { env: key, f };
  };
  /** One turn of the background work: the deployment runner, then the rollout ticker. */
  const turn = async () => {
    await drain(t);
    for (let i = 0; i < 10; i++) if ((await t.services.rollouts.ticker.runOnce()) === 0) break;
    await drain(t);
  };
  const report = (id: string, target: string, status: string) =>
    t.request({ method: 'POST', url: `/api/v1/deployments/${id}/status`, token: callbackTokenFor(t.services.secrets, id), payload: { target, status } });
  const canaryCalls = (deploymentId: string) =>
    hook.requests.filter((r) => r.json?.deploymentId === deploymentId && r.json?.strategy === 'canary').map((r) => [r.json.action, r.json.weight] as [string, number]);

  it('webhook: release → deploy → canary promoted step by step → a canary whose errors (reported by the SDK middleware) roll it back', { timeout: 60_000 }, async () => {
    const { env, f } = await newEnv({ targets: [{ key: 'web', executor: { type: 'webhook', url: `${hook.url}/deploy`, secret: SECRET } }] });
    const channel = await t.request({
      method: 'POST',
      url: '/api/v1/channels',
      payload: { name: `canary-${dialect}`, type: 'webhook', config: { url: `${notes.url}/hook`, secret: SECRET }, subscriptions: [{ events: ['rollout.*', 'deployment.*'] }] },
    });
    expect(channel.statusCode, channel.body).toBe(201);

    // 1. The first version, deployed normally.
    const v1 = await f.release();
    const first = (await f.deploy({ version: v1, environment: env })).json();
    await drain(t);
    expect((await report(first.id, 'web', 'succeeded')).statusCode).toBe(200);
    await drain(t);
    expect((await get(first.id)).status).toBe('succeeded');

    // 2. A canary of the next version, on a plan of seconds.
    const v2 = await f.release();
    const created = await f.deploy({ version: v2, environment: env, strategy: 'canary', plan: { steps: [{ setWeight: 5 }, { pause: { duration: '2s' } }, { setWeight: 25 }, { pause: { duration: '2s' } }, { setWeight: 50 }, { pause: { duration: '2s' } }] } });
    expect(created.statusCode, created.body).toBe(201);
    const canary = created.json();
    expect(canary).toMatchObject({ strategy: 'canary', rolloutId: expect.any(String), status: 'pending', canary: { stableVersion: v1, canaryVersion: v2, weight: 0 } });
    let seen25 = false;
    for (let i = 0; i < 40 && (i === 0 || (await get(canary.id)).status === "running"); i++) {
      await turn();
      const c = await cell(f.project, env);
      if (c.inFlight?.canary?.weight === 25) {
        // In flight: the stable version serves the rest, the canary its weight.
        expect(c).toMatchObject({ current: { version: v1 }, inFlight: { version: v2, canary: { stableVersion: v1, weight: 25, status: 'running' } } });
        seen25 = true;
      }
      t.clock.advance(1000);
    }
    expect(seen25).toBe(true);
    expect(canaryCalls(canary.id)).toEqual([
      ['deploy', 5],
      ['set-weight', 25],
      ['set-weight', 50],
      ['set-weight', 100],
      ['promote', 100],
    ]);
    const calls = hook.requests.filter((r) => r.json?.deploymentId === canary.id);
    expect(calls.every((r) => r.signatureValid === true && r.headers['x-slipway-action'] === r.json.action)).toBe(true);
    expect(calls.every((r) => r.json.stableVersion === v1 && r.json.canaryVersion === v2 && r.json.rolloutId === canary.rolloutId)).toBe(true);
    expect(new Set(calls.map((r) => r.json.stepId)).size).toBe(calls.length);
    const done = await get(canary.id);
    expect(done).toMatchObject({ status: 'succeeded', canary: { status: 'succeeded', weight: 100 }, targets: [{ key: 'web', status: 'succeeded' }] });
    expect((await t.request({ method: 'GET', url: `/api/v1/rollouts/${canary.rolloutId}` })).json()).toMatchObject({ status: 'succeeded', target: { kind: 'deployment', deploymentId: canary.id, stableVersion: v1, canaryVersion: v2 } });
    expect(await cell(f.project, env)).toMatchObject({ current: { version: v2 }, inFlight: null });

    // 3. The next canary fails: the demo service's new version answers 500 to every other request.
    const sdkKey = (await t.request({ method: 'POST', url: `/api/v1/projects/${f.project}/environments/${env}/sdk-keys`, payload: { kind: 'server' } })).json().key;
    const slipway = new SlipwayClient({ url: serverUrl, sdkKey, logger: memoryLogger(), metricsFlushIntervalMs: 60_000 });
    cleanups.push(() => slipway.close());
    expect(await slipway.ready()).toBe(true);
    const v3 = await f.release();
    const demo = (version: string, failing: boolean) => {
      const track = slipwayMetrics(slipway, { version });
      let n = 0;
      const server = http.createServer((req, res) => {
        track(req, res);
        res.writeHead(failing && n++ % 2 === 0 ? 500 : 200).end();
      });
      cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
      return new Promise<string>((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
    };
    const stableUrl = await demo(v2, false);
    const canaryUrl = await demo(v3, true);
    const traffic = async () => {
      await Promise.all([...Array.from({ length: 19 }, () => stableUrl), canaryUrl, canaryUrl].map((u) => fetch(u).then((r) => r.arrayBuffer())));
      await slipway.flushMetrics();
    };
    const template = await t.request({
      method: 'POST',
      url: `/api/v1/projects/${f.project}/analysis-templates`,
      payload: { name: 'canary-errors', metrics: [{ name: 'error-rate', provider: { slipway: { metric: 'error-rate', window: '1m' } }, interval: '5s', failureCondition: 'result > 0.05', failureLimit: 1, inconclusiveLimit: 5 }] },
    });
    expect(template.statusCode, template.body).toBe(201);
    const bad = (await f.deploy({ version: v3, environment: env, strategy: 'canary', plan: { steps: [{ setWeight: 10 }, { pause: { duration: '10m' } }, { setWeight: 50 }] }, analysis: { templates: ['canary-errors'] } })).json();
    expect(bad).toMatchObject({ status: 'pending', canary: { stableVersion: v2, canaryVersion: v3 } });
    for (let i = 0; i < 60 && ((await get(bad.id)).status === 'running' || i === 0); i++) {
      await traffic();
      await turn();
      t.clock.advance(1000);
    }
    expect(canaryCalls(bad.id)).toEqual([
      ['deploy', 10],
      ['set-weight', 0],
      ['rollback', 0],
    ]);
    const rollback = hook.requests.filter((r) => r.json?.deploymentId === bad.id).pop()!.json;
    expect(rollback).toMatchObject({ action: 'rollback', version: v2, stableVersion: v2, canaryVersion: v3, weight: 0 });
    const ended = await get(bad.id);
    expect(ended).toMatchObject({ status: 'rolled_back', failure: { reason: 'canary_analysis_failed' }, canary: { status: 'rolled_back', weight: 0 } });
    expect(await cell(f.project, env)).toMatchObject({ current: { version: v2 }, inFlight: null });
    const r = (await t.request({ method: 'GET', url: `/api/v1/rollouts/${bad.rolloutId}` })).json();
    expect(r.status).toBe('rolled_back');
    const failed = r.measurements.filter((m: any) => m.phase === 'Failed');
    expect(failed.length).toBe(2);
    for (const m of failed) {
      expect(m.value).toBeGreaterThan(0.3); // the canary fails about half its requests
      expect(m.baseline).toBe(0); // the stable version none
    }
    // The timeline shows the rollout's decisions; the announcements say which metric breached.
    const items = (await t.request({ method: 'GET', url: `/api/v1/deployments/${bad.id}/events` })).json().items;
    expect(items.map((e: any) => e.type)).toEqual(expect.arrayContaining(['requested', 'started', 'rollout.started', 'rollout.step_started', 'rollout.analysis_failed', 'rollout.rolled_back', 'rolled_back']));
    await t.services.notifications.dispatcher.drain();
    expect(notes.requests.every((req) => req.signatureValid)).toBe(true);
    const rolledBack = notes.requests.find((req) => req.json.event.type === 'rollout.rolled_back' && req.json.event.payload.rolloutId === bad.rolloutId)!.json;
    expect(rolledBack.message.title).toBe(`Rollout of canary ${v3} (stable ${v2}) in ${f.project}/${env} rolled back automatically`);
    expect(rolledBack.message.summary).toMatch(/Breach: error-rate \(canary-errors\): .* — failureCondition result > 0\.05; 2 failed > failureLimit 1$/);
    expect(JSON.stringify(rolledBack)).toContain(`/rollouts/${bad.rolloutId}`);
    const deploymentRolledBack = notes.requests.find((req) => req.json.event.type === 'deployment.rolled_back' && req.json.event.payload.deploymentId === bad.id)!.json;
    expect(deploymentRolledBack.event.payload).toMatchObject({ rolledBackTo: v2, strategy: 'canary', rolloutId: bad.rolloutId });
    expect(deploymentRolledBack.event.payload.rollbackReason).toMatch(/error-rate/);
  });

  it('record executor: every step waits for its report; a failed report aborts and rolls back, each step reported too', async () => {
    const { env, f } = await newEnv({});
    const v1 = await f.release();
    const first = (await f.deploy({ version: v1, environment: env })).json();
    await drain(t);
    expect((await report(first.id, 'default', 'succeeded')).statusCode).toBe(200);
    await drain(t);
    const v2 = await f.release();
    const d = (await f.deploy({ version: v2, environment: env, strategy: 'canary', plan: { steps: [{ setWeight: 10 }, { pause: { duration: '1s' } }, { setWeight: 100 }] } })).json();
    // Nothing waits for a report before the rollout starts.
    expect((await report(d.id, 'default', 'succeeded')).statusCode).toBe(409);
    const steps: Array<[string, number]> = [];
    for (let i = 0; i < 30; i++) {
      await turn();
      const now = await get(d.id);
      if (now.status !== 'running') break;
      if (now.canary.step?.targets.default !== 'sent') {
        t.clock.advance(500);
        continue;
      }
      // The rollout waits: the same step, still unconfirmed, however often the ticker looks.
      await turn();
      expect((await get(d.id)).canary.step).toEqual(now.canary.step);
      steps.push([now.canary.step.action, now.canary.step.weight]);
      expect((await report(d.id, 'default', 'succeeded')).statusCode).toBe(200);
    }
    expect(steps).toEqual([
      ['deploy', 10],
      ['set-weight', 100],
      ['promote', 100],
    ]);
    expect(await get(d.id)).toMatchObject({ status: 'succeeded', targets: [{ status: 'succeeded' }] });
    expect(await cell(f.project, env)).toMatchObject({ current: { version: v2 } });

    // The next canary: the target cannot take the first weight.
    const v3 = await f.release();
    const bad = (await f.deploy({ version: v3, environment: env, strategy: 'canary', plan: { steps: [{ setWeight: 10 }, { pause: {} }] } })).json();
    await turn();
    expect((await get(bad.id)).canary.step).toMatchObject({ action: 'deploy', weight: 10, targets: { default: 'sent' } });
    expect((await report(bad.id, 'default', 'failed')).statusCode).toBe(200);
    const back: Array<[string, number]> = [];
    for (let i = 0; i < 5; i++) {
      await turn();
      const now = await get(bad.id);
      if (now.status !== 'running') break;
      back.push([now.canary.step.action, now.canary.step.weight]);
      expect((await report(bad.id, 'default', 'succeeded')).statusCode).toBe(200);
    }
    expect(back).toEqual([
      ['set-weight', 0],
      ['rollback', 0],
    ]);
    expect(await get(bad.id)).toMatchObject({ status: 'rolled_back', failure: { reason: 'canary_aborted' } });
    expect((await t.request({ method: 'GET', url: `/api/v1/rollouts/${bad.rolloutId}` })).json().status).toBe('aborted');
    expect(await cell(f.project, env)).toMatchObject({ current: { version: v2 }, inFlight: null });
  });

  it('a canary waiting for approval starts its rollout once approved; pause shows on the deployment', async () => {
    const { env, f } = await newEnv({ targets: [{ key: 'web', executor: { type: 'webhook', url: `${hook.url}/deploy`, secret: SECRET } }] });
    const v1 = await f.release();
    const first = (await f.deploy({ version: v1, environment: env })).json();
    await drain(t);
    expect((await report(first.id, 'web', 'succeeded')).statusCode).toBe(200);
    await drain(t);
    const patched = await t.request({ method: 'PATCH', url: `/api/v1/environments/${env}`, payload: { approvals: { required: 1, roles: ['release-manager', 'admin'] } } });
    expect(patched.statusCode, patched.body).toBe(200);
    const v2 = await f.release();
    const rm = await t.tokenFor('release-manager');
    const d = (await f.deploy({ version: v2, environment: env, strategy: 'canary', plan: { steps: [{ setWeight: 30 }, { pause: {} }, { setWeight: 100 }] } }, rm)).json();
    expect(d).toMatchObject({ status: 'pending_approval', strategy: 'canary', canary: { status: 'pending' } });
    await turn();
    expect((await t.request({ method: 'GET', url: `/api/v1/rollouts/${d.rolloutId}` })).statusCode).toBe(404);
    expect(canaryCalls(d.id)).toEqual([]);
    expect((await t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/approve`, payload: { comment: 'go' } })).statusCode).toBe(200);
    await turn();
    expect(canaryCalls(d.id)).toEqual([['deploy', 30]]);
    // The plan waits for a person at 30 %: the deployment runs, its canary shows paused.
    expect(await get(d.id)).toMatchObject({ status: 'running', canary: { status: 'paused', weight: 30 } });
    expect((await cell(f.project, env)).inFlight).toMatchObject({ version: v2, canary: { stableVersion: v1, weight: 30, status: 'paused' } });
    expect((await t.request({ method: 'POST', url: `/api/v1/rollouts/${d.rolloutId}/promote`, payload: {} })).statusCode).toBe(200);
    await turn();
    expect(canaryCalls(d.id)).toEqual([
      ['deploy', 30],
      ['set-weight', 100],
      ['promote', 100],
    ]);
    expect(await get(d.id)).toMatchObject({ status: 'succeeded', canary: { status: 'succeeded' } });
  });

  it('command executor: each step runs the command with SLIPWAY_ACTION, SLIPWAY_WEIGHT and both versions', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-canary-cmd-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const log = path.join(dir, 'seen.txt');
    const script = `echo "\${SLIPWAY_ACTION:-none} \${SLIPWAY_WEIGHT:-none} \${SLIPWAY_STABLE_VERSION:-none} \${SLIPWAY_CANARY_VERSION:-none} $SLIPWAY_VERSION" >> "${log}"`;
    const { env, f } = await newEnv({ targets: [{ key: 'vm', executor: { type: 'command', command: ['sh', '-c', script] } }] });
    const v1 = await f.release();
    (await f.deploy({ version: v1, environment: env })).json();
    await drain(t);
    const v2 = await f.release();
    const d = (await f.deploy({ version: v2, environment: env, strategy: 'canary', plan: { steps: [{ setWeight: 20 }, { pause: { duration: '1s' } }, { setWeight: 60 }] } })).json();
    for (let i = 0; i < 10 && ((await get(d.id)).status === 'running' || i === 0); i++) {
      await turn();
      t.clock.advance(1000);
    }
    expect(await get(d.id)).toMatchObject({ status: 'succeeded' });
    expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toEqual([
      `none none none none ${v1}`,
      `deploy 20 ${v1} ${v2} ${v2}`,
      `set-weight 60 ${v1} ${v2} ${v2}`,
      `set-weight 100 ${v1} ${v2} ${v2}`,
      `promote 100 ${v1} ${v2} ${v2}`,
    ]);
  });

  it('bad input: 4xx naming the field, nothing created; no stable version: 422; dryRun lists it', async () => {
    const { env, f } = await newEnv({});
    const v1 = await f.release();
    const count = async () => (await t.request({ method: 'GET', url: `/api/v1/projects/${f.project}/deployments` })).json().items.length;
    const noStable = await f.deploy({ version: v1, environment: env, strategy: 'canary' });
    expect(noStable.statusCode, noStable.body).toBe(422);
    expect(noStable.json()).toMatchObject({ error: { code: 'no_stable_version' } });
    const dry = await f.deploy({ version: v1, environment: env, strategy: 'canary', dryRun: true });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toMatchObject({ allowed: false, refusals: [{ code: 'no_stable_version' }] });
    (await f.deploy({ version: v1, environment: env })).json();
    await drain(t);
    const d1 = (await t.request({ method: 'GET', url: `/api/v1/projects/${f.project}/deployments` })).json().items[0];
    expect((await report(d1.id, 'default', 'succeeded')).statusCode).toBe(200);
    await drain(t);
    const v2 = await f.release();
    const before = await count();
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ strategy: 'canary', plan: 'no-such-plan' }, 400, /body\.plan/],
      [{ strategy: 'canary', analysis: { templates: ['no-such-template'] } }, 400, /body\.analysis\.templates\[0\]/],
      [{ strategy: 'canary', plan: { steps: [{ setWeight: 50 }, { setWeight: 20 }] } }, 400, /body\.plan\.steps\[1\]/],
      [{ strategy: 'canary', plan: { steps: [{ setWeight: 150 }] } }, 400, /body\.plan\.steps\[0\]/],
      [{ plan: 'standard-canary' }, 400, /body\.plan/],
      [{ strategy: 'blue-green' }, 400, /body\/strategy|body\.strategy/],
      [{ strategy: 'canary', version: v1 }, 422, /already runs/],
    ];
    for (const [extra, status, field] of cases) {
      const res = await f.deploy({ version: v2, environment: env, ...extra });
      expect(res.statusCode, `${JSON.stringify(extra)}: ${res.body}`).toBe(status);
      expect(res.body).toMatch(field);
    }
    expect(await count()).toBe(before);
    // The default plan is standard-canary.
    const ok = (await f.deploy({ version: v2, environment: env, strategy: 'canary' })).json();
    await turn();
    expect((await t.request({ method: 'GET', url: `/api/v1/rollouts/${ok.rolloutId}` })).json()).toMatchObject({ plan: 'standard-canary', status: 'running', weight: 5 });
    // Cancelling a running canary aborts its rollout and rolls back.
    expect((await t.request({ method: 'POST', url: `/api/v1/deployments/${ok.id}/cancel`, payload: {} })).statusCode).toBe(200);
    for (let i = 0; i < 5 && (await get(ok.id)).status === 'running'; i++) {
      await turn();
      await report(ok.id, 'default', 'succeeded');
    }
    const cancelled = await get(ok.id);
    expect(cancelled).toMatchObject({ status: 'rolled_back', failure: { reason: 'canary_aborted' } });
  });
});
