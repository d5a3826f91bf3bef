import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployFixture, deployAndSucceed, drain, type DeployFixture } from '../deployments/deploy-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

describe.each(DIALECTS)('status and drift on %s', (dialect) => {
  let t: TestApp;
  let f: DeployFixture;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    for (const [key, rank] of [['dev', 10], ['prod', 20]] as const) await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key, rank } });
    f = await createDeployFixture(t, { lifecycle: ['dev', 'prod'] });
  });
  afterAll(async () => {
    await f.cleanup();
    await t.close();
  });

  const status = async () => (await t.request({ method: 'GET', url: `/api/v1/status?project=${f.project}`, token: await t.tokenFor('viewer') })).json();
  const beat = async (env: string, payload: Record<string, unknown>, token?: string) =>
    t.request({ method: 'POST', url: `/api/v1/projects/${f.project}/environments/${env}/heartbeat`, payload, token: token ?? (await t.tokenFor('engineer')) });

  it('shows current, previous and in-flight per environment', async () => {
    const v1 = await f.release();
    const v2 = await f.release();
    await deployAndSucceed(t, f, v1, 'dev');
    await deployAndSucceed(t, f, v2, 'dev');
    await deployAndSucceed(t, f, v1, 'prod');
    const inflight = (await f.deploy({ version: v2, environment: 'prod' })).json();
    const s = await status();
    expect(s.environments).toEqual(['dev', 'prod']);
    expect(s.items).toHaveLength(2);
    expect(s.items[0]).toMatchObject({ project: f.project, environment: 'dev', current: { version: v2, tag: `v${v2}`, by: 'admin' }, previous: { version: v1 }, inFlight: null, targets: null, drift: null });
    expect(s.items[1]).toMatchObject({ environment: 'prod', current: { version: v1 }, previous: null, inFlight: { deploymentId: inflight.id, version: v2, status: 'pending' } });
    await t.request({ method: 'POST', url: `/api/v1/deployments/${inflight.id}/cancel` });
    expect((await status()).items[1].inFlight).toBeNull();
  });

  it('answers the whole matrix as UTF-8 bytes with a matching length, the same text as the stream, cached or rebuilt', async () => {
    await t.request({ method: 'PATCH', url: '/api/v1/environments/dev', payload: { name: 'Développement ☂' } });
    const token = await t.tokenFor('viewer');
    const first = await t.request({ method: 'GET', url: '/api/v1/status', token });
    const again = await t.request({ method: 'GET', url: '/api/v1/status', token });
    for (const res of [first, again]) {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(Number(res.headers['content-length'])).toBe(res.rawPayload.length);
      expect(res.json().environmentStates.find((e: { key: string }) => e.key === 'dev').name).toBe('Développement ☂');
    }
    const withoutTime = (text: string) => text.replace(/"generatedAt":"[^"]+"/, '');
    expect(withoutTime(again.body)).toBe(withoutTime(first.body));
    expect(withoutTime(again.body)).toBe(withoutTime((await t.services.status.matrix()).json));
    expect(again.headers.etag).toBe(first.headers.etag);
    await t.request({ method: 'PATCH', url: '/api/v1/environments/dev', payload: { name: 'dev' } });
  });

  it('keeps the whole matrix, put together from cached cells, equal to each project answered afresh', async () => {
    // A second project, so one deployment changes one cell among several and instances report in
    // a middle cell, in the last cell and where nothing was ever deployed.
    const g = await createDeployFixture(t, { lifecycle: ['dev', 'prod'] });
    try {
      const token = await t.tokenFor('viewer');
      const get = (headers: Record<string, string> = {}) => t.request({ method: 'GET', url: '/api/v1/status', token, headers });
      const withoutTime = (text: string) => text.replace(/"generatedAt":"[^"]+"/, '');
      const agrees = async () => {
        const res = await get();
        expect(res.statusCode).toBe(200);
        expect(Number(res.headers['content-length'])).toBe(res.rawPayload.length);
        expect(withoutTime((await t.services.status.matrix()).json)).toBe(withoutTime(res.body));
        const whole = res.json();
        const projects = [...new Set(whole.items.map((c: any) => c.project as string))];
        expect(projects).toEqual([...projects].sort());
        const afresh = [];
        for (const p of projects) afresh.push(...(await t.request({ method: 'GET', url: `/api/v1/status?project=${p}`, token })).json().items);
        expect(whole.items).toEqual(afresh);
        return { etag: res.headers.etag as string, items: whole.items as any[] };
      };
      const cellOf = (items: any[], project: string, environment: string) => items.find((c) => c.project === project && c.environment === environment);

      const v1 = await g.release();
      await deployAndSucceed(t, g, v1, 'dev');
      const first = await agrees();
      expect((await get({ 'if-none-match': first.etag })).statusCode).toBe(304);

      // One cell changes, then one is added.
      const v2 = await g.release();
      await deployAndSucceed(t, g, v2, 'dev');
      const changed = await agrees();
      expect(changed.etag).not.toBe(first.etag);
      expect(cellOf(changed.items, g.project, 'dev')).toMatchObject({ current: { version: v2 }, previous: { version: v1 } });
      await deployAndSucceed(t, g, v1, 'prod');
      const deployed = await agrees();
      expect(deployed.etag).not.toBe(changed.etag);
      expect(cellOf(deployed.items, g.project, 'prod').current.version).toBe(v1);

      // The same content answers the same ETag after the revision moved for nothing visible.
      await t.database.db.updateTable('status_revision').set((eb) => ({ revision: eb('revision', '+', 1) })).where('id', '=', 1).execute();
      expect((await agrees()).etag).toBe(deployed.etag);

      const engineer = await t.tokenFor('engineer');
      const report = (project: string, env: string, payload: Record<string, unknown>) => t.request({ method: 'POST', url: `/api/v1/projects/${project}/environments/${env}/heartbeat`, payload, token: engineer });
      await report(g.project, 'dev', { version: '0.0.1', instance: 'middle-1' });
      await report(g.project, 'prod', { version: v1, instance: 'last-1' });
      const beating = await agrees();
      expect(beating.etag).not.toBe(deployed.etag);
      expect(cellOf(beating.items, g.project, 'dev')).toMatchObject({ instances: 1, drift: [expect.objectContaining({ instance: 'middle-1', expected: v2 })] });
      expect(cellOf(beating.items, g.project, 'prod')).toMatchObject({ instances: 1, drift: null });
      await report(g.project, 'dev', { version: v2, instance: 'middle-1' });
      expect(cellOf((await agrees()).items, g.project, 'dev')).toMatchObject({ instances: 1, drift: null });

      // A report another replica took reaches this server's matrix within a second.
      const gid = (await t.services.uow.reads.projects.get(g.project))!.id;
      await t.services.uow.reads.heartbeats.upsert({ projectId: gid, environment: 'prod', instance: 'elsewhere-1', target: null, version: '0.0.2', seenAt: t.clock.now().toISOString(), reporter: 'replica' });
      t.clock.advance(1000);
      const replicated = await agrees();
      expect(cellOf(replicated.items, g.project, 'prod')).toMatchObject({ instances: 2, driftCount: 1, drift: [expect.objectContaining({ instance: 'elsewhere-1' })] });
      // The same instances judged against a new deployment: now both run another version.
      await deployAndSucceed(t, g, v2, 'prod');
      expect(cellOf((await agrees()).items, g.project, 'prod')).toMatchObject({ instances: 2, driftCount: 2 });

      // An instance where nothing was deployed through Slipway: a cell of its own, drifting.
      const h = await createDeployFixture(t, { lifecycle: ['dev', 'prod'] });
      try {
        await report(h.project, 'prod', { version: '9.9.9', instance: 'stray-1' });
        const stray = await agrees();
        expect(cellOf(stray.items, h.project, 'prod')).toMatchObject({ current: null, instances: 1, driftCount: 1 });
        expect(stray.etag).not.toBe(replicated.etag);
        expect((await get({ 'if-none-match': stray.etag })).statusCode).toBe(304);
      } finally {
        await h.cleanup();
      }
    } finally {
      await g.cleanup();
    }
  });

  it('detects drift: instances seen in the last 10 minutes running another version', async () => {
    const s0 = await status();
    const current = s0.items[0].current.version;
    expect((await beat('dev', { version: current, instance: 'web-1' })).statusCode).toBe(202);
    expect((await status()).items[0]).toMatchObject({ instances: 1, drift: null });
    await beat('dev', { version: '0.0.1', instance: 'web-2' });
    const drifted = (await status()).items[0];
    expect(drifted.instances).toBe(2);
    expect(drifted.drift).toEqual([expect.objectContaining({ instance: 'web-2', version: '0.0.1', expected: current })]);
    // The old instance goes away: 11 minutes later only web-1 keeps reporting.
    t.clock.advance(11 * 60 * 1000);
    await beat('dev', { version: current, instance: 'web-1' });
    expect((await status()).items[0]).toMatchObject({ instances: 1, drift: null });
  });

  it('needs engineer or above for heartbeats and checks project and environment', async () => {
    expect((await beat('dev', { version: '1.0.0', instance: 'x' }, await t.tokenFor('viewer'))).statusCode).toBe(403);
    expect((await beat('nowhere', { version: '1.0.0', instance: 'x' })).statusCode).toBe(404);
    expect((await beat('dev', { version: '1.0.0' })).statusCode).toBe(400);
    expect((await t.request({ method: 'GET', url: '/api/v1/status?project=ghost' })).statusCode).toBe(404);
  });

  it('takes heartbeats from a server SDK key of the same project and environment only', async () => {
    const key = async (env: string, kind: string) => (await t.request({ method: 'POST', url: `/api/v1/projects/${f.project}/environments/${env}/sdk-keys`, payload: { kind } })).json().key as string;
    const devServer = await key('dev', 'server');
    expect((await beat('dev', { version: '1.0.0', instance: 'sdk-1' }, devServer)).statusCode).toBe(202);
    const wrongEnv = await beat('prod', { version: '1.0.0', instance: 'sdk-1' }, devServer);
    expect(wrongEnv.statusCode).toBe(403);
    expect(wrongEnv.json().error.message).toContain('belongs to');
    expect((await beat('dev', { version: '1.0.0', instance: 'sdk-1' }, await key('dev', 'client'))).statusCode).toBe(403);
    expect((await beat('dev', { version: '1.0.0', instance: 'sdk-1' }, 'sdk-srv-not-a-key')).statusCode).toBe(401);
    // An SDK key is good for heartbeats only, not for the rest of the API.
    expect((await t.request({ method: 'GET', url: '/api/v1/status', token: devServer })).statusCode).toBe(401);
  });

  it('shows targets when they run different versions', async () => {
    const env = 'multi';
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: env, rank: 30 } });
    await t.request({ method: 'PATCH', url: `/api/v1/environments/${env}`, payload: { targets: [{ key: 'us', executor: { type: 'record' } }, { key: 'eu', executor: { type: 'record' } }] } });
    const g = await createDeployFixture(t, { lifecycle: [env] });
    try {
      const v1 = await g.release();
      const v2 = await g.release();
      await deployAndSucceed(t, g, v1, env);
      const d = (await g.deploy({ version: v2, environment: env })).json();
      await drain(t);
      const report = (target: string, status: string) => t.request({ method: 'POST', url: `/api/v1/deployments/${d.id}/status`, token: d.callbackToken, payload: { target, status } });
      await report('us', 'succeeded');
      await report('eu', 'failed');
      await drain(t);
      const cell = (await t.request({ method: 'GET', url: `/api/v1/status?project=${g.project}` })).json().items[0];
      expect(cell.current.version).toBe(v1);
      expect(cell.targets).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'us', version: v2 }), expect.objectContaining({ key: 'eu', version: v1 })]));
      // An instance of target us reporting v2 is not drift; one of eu reporting v2 is.
      await t.request({ method: 'POST', url: `/api/v1/projects/${g.project}/environments/${env}/heartbeat`, payload: { version: v2, instance: 'us-1', target: 'us' } });
      await t.request({ method: 'POST', url: `/api/v1/projects/${g.project}/environments/${env}/heartbeat`, payload: { version: v2, instance: 'eu-1', target: 'eu' } });
      const drift = (await t.request({ method: 'GET', url: `/api/v1/status?project=${g.project}` })).json().items[0].drift;
      expect(drift).toEqual([expect.objectContaining({ instance: 'eu-1', expected: v1 })]);
    } finally {
      await g.cleanup();
    }
  });

  it('announces drift once per change of what drifts, naming the instances', async () => {
    const g = await createDeployFixture(t, { lifecycle: ['dev'] });
    try {
      const v1 = await g.release();
      await deployAndSucceed(t, g, v1, 'dev');
      const drifts = async () => (await t.services.uow.reads.outbox.listAfter(null, 100_000)).filter((e) => e.type === 'deployment.drift_detected' && e.projectKey === g.project);
      const hb = (instance: string, version: string) => t.request({ method: 'POST', url: `/api/v1/projects/${g.project}/environments/dev/heartbeat`, payload: { version, instance } });
      await hb('web-1', v1);
      expect(await drifts()).toHaveLength(0);
      await hb('web-2', '0.0.1');
      await hb('web-2', '0.0.1');
      await hb('web-3', '0.0.1');
      let events = await drifts();
      expect(events).toHaveLength(1);
      expect(events[0]!.payload).toMatchObject({ expected: v1, versions: ['0.0.1'], instances: [expect.objectContaining({ instance: 'web-2', version: '0.0.1', expected: v1 })] });
      await hb('web-3', '0.0.2');
      events = await drifts();
      expect(events).toHaveLength(2);
      expect(events[1]!.payload.instances).toEqual(expect.arrayContaining([expect.objectContaining({ instance: 'web-2' }), expect.objectContaining({ instance: 'web-3', version: '0.0.2' })]));
      const cell = (await t.request({ method: 'GET', url: `/api/v1/status?project=${g.project}` })).json().items[0];
      expect(cell).toMatchObject({ driftCount: 2, driftVersions: expect.arrayContaining([{ version: '0.0.1', instances: 1 }, { version: '0.0.2', instances: 1 }]) });
    } finally {
      await g.cleanup();
    }
  });

  it('keeps at most 500 instances per reporter and environment', async () => {
    const g = await createDeployFixture(t, { lifecycle: ['dev'] });
    try {
      for (let i = 0; i < 505; i++) {
        t.clock.advance(10);
        const res = await t.request({ method: 'POST', url: `/api/v1/projects/${g.project}/environments/dev/heartbeat`, payload: { version: '1.0.0', instance: `pod-${i}` } });
        expect(res.statusCode).toBe(202);
      }
      const cell = (await t.request({ method: 'GET', url: `/api/v1/status?project=${g.project}` })).json().items.find((c: any) => c.environment === 'dev');
      expect(cell.instances).toBe(500);
      expect(cell.drift.length).toBeLessThanOrEqual(20);
      // The oldest went first.
      const beats = await t.services.uow.reads.heartbeats.cell((await t.services.uow.reads.projects.get(g.project))!.id, 'dev', '1970-01-01T00:00:00Z');
      expect(beats.some((b) => b.instance === 'pod-0')).toBe(false);
      expect(beats.some((b) => b.instance === 'pod-504')).toBe(true);
    } finally {
      await g.cleanup();
    }
  });

  it('reads the instances for every answer when told to (SLIPWAY_STATUS_INSTANCES_REUSE_MS=0)', async () => {
    const fresh = await createTestApp(dialect, { compose: { statusInstancesReuseMs: 0 } });
    await fresh.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'dev', rank: 10 } });
    const g = await createDeployFixture(fresh, { lifecycle: ['dev'] });
    try {
      const cell = async () => (await fresh.request({ method: 'GET', url: '/api/v1/status' })).json().items.find((c: any) => c.project === g.project);
      expect(await cell()).toBeUndefined();
      // Another replica took the report: with no reuse, this server's next answer shows it.
      const id = (await fresh.services.uow.reads.projects.get(g.project))!.id;
      await fresh.services.uow.reads.heartbeats.upsert({ projectId: id, environment: 'dev', instance: 'elsewhere-1', target: null, version: '1.2.3', seenAt: fresh.clock.now().toISOString(), reporter: 'replica' });
      expect(await cell()).toMatchObject({ environment: 'dev', current: null, instances: 1, driftCount: 1 });
    } finally {
      await g.cleanup();
      await fresh.close();
    }
  });
});
