import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';
import { createDeployFixture, drain, type DeployFixture } from './deploy-fixtures.js';

/** A real HTTP receiver on 127.0.0.1 that records requests and answers with `respond`. */
async function receiver(respond: (req: { headers: http.IncomingHttpHeaders; body: string }) => number) {
  const requests: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const r = { headers: req.headers, body };
      requests.push(r);
      res.writeHead(respond(r)).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe.each(DIALECTS)('deployment executors on %s', (dialect) => {
  let t: TestApp;
  let n = 0;
  const fixtures: DeployFixture[] = [];

  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    for (const f of fixtures) await f.cleanup();
    await t.close();
  });

  /** A fresh environment with these settings and a project whose lifecycle is only that environment. */
  async function setup(settings: Record<string, unknown>) {
    const env = `exec-${++n}`;
    expect((await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: env } })).statusCode).toBe(201);
    const patched = await t.request({ method: 'PATCH', url: `/api/v1/environments/${env}`, payload: settings });
    expect(patched.statusCode, patched.body).toBe(200);
    const f = await createDeployFixture(t, { lifecycle: [env] });
    fixtures.push(f);
    return { env, f };
  }

  const get = async (id: string) => (await t.request({ method: 'GET', url: `/api/v1/deployments/${id}` })).json();

  /** Drives the runner until the deployment ends (callbacks arrive asynchronously). */
  async function untilFinished(id: string) {
    for (let i = 0; i < 500; i++) {
      await drain(t);
      const d = await get(id);
      if (!['pending', 'pending_approval', 'running'].includes(d.status)) return d;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`deployment ${id} did not end`);
  }

  it('command executor: success with the SLIPWAY_* environment and output as logs', async () => {
    const { env, f } = await setup({ targets: [{ key: 'eu', executor: { type: 'command', command: ['sh', '-c', 'echo "deploying $SLIPWAY_PROJECT $SLIPWAY_VERSION ($SLIPWAY_TAG) to $SLIPWAY_ENVIRONMENT/$SLIPWAY_TARGET"; echo warn >&2'] } }] });
    const version = await f.release();
    const d = (await f.deploy({ version, environment: env })).json();
    const done = await untilFinished(d.id);
    expect(done).toMatchObject({ status: 'succeeded', targets: [{ key: 'eu', executor: 'command', status: 'succeeded' }] });
    const logs = (await t.request({ method: 'GET', url: `/api/v1/deployments/${d.id}/logs` })).json().items;
    expect(logs).toEqual(expect.arrayContaining([expect.objectContaining({ target: 'eu', stream: 'stdout', line: `deploying ${f.project} ${version} (v${version}) to ${env}/eu` }), expect.objectContaining({ stream: 'stderr', line: 'warn' })]));
  });

  it('command executor: a non-zero exit fails the deployment, with the last log lines in the event', async () => {
    const { env, f } = await setup({ targets: [{ key: 'eu', executor: { type: 'command', command: ['sh', '-c', 'echo "migrations failed: relation users exists"; exit 3'] } }] });
    const version = await f.release();
    const d = (await f.deploy({ version, environment: env })).json();
    const done = await untilFinished(d.id);
    expect(done).toMatchObject({ status: 'failed', failure: { reason: 'target_failed', target: 'eu' }, targets: [{ status: 'failed', message: 'command exited with 3' }] });
    const event = (await t.services.uow.reads.outbox.listAfter(null, 10_000)).find((e) => e.type === 'deployment.failed' && e.payload.deploymentId === d.id);
    expect(event?.payload).toMatchObject({ outcome: 'failed', failure: { reason: 'target_failed', target: 'eu' } });
    expect((event?.payload.failure as { lastLogLines: string[] }).lastLogLines).toContain('[eu] migrations failed: relation users exists');
  });

  it('command executor: a timeout kills the program and fails the target', async () => {
    const { env, f } = await setup({ targets: [{ key: 'eu', executor: { type: 'command', command: ['sleep', '30'], timeoutMs: 300 } }] });
    const version = await f.release();
    const d = (await f.deploy({ version, environment: env })).json();
    const done = await untilFinished(d.id);
    expect(done).toMatchObject({ status: 'failed', failure: { reason: 'timeout', target: 'eu' } });
    expect(done.targets[0].message).toContain('killed after 300 ms');
  });

  it('webhook executor: signed request to a real receiver, which calls back with the callback token', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const slipway = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const secret = 'webhook-signing-secret-0123';
    const verified: boolean[] = [];
    const hook = await receiver(({ headers, body }) => {
      const expected = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
      verified.push(headers['x-slipway-signature'] === expected);
      const payload = JSON.parse(body);
      // The receiver reports progress and the result asynchronously, as a deploy tool would.
      setTimeout(async () => {
        const url = `${slipway}${new URL(payload.callbackUrl).pathname}`;
        const post = (status: string, message: string) =>
          fetch(url, { method: 'POST', headers: { authorization: `Bearer ${payload.callbackToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ target: payload.target, status, message }) });
        await post('running', 'rolling out 3 pods');
        await post('succeeded', 'all pods ready');
      }, 10);
      return 202;
    });
    try {
      const { env, f } = await setup({ targets: [{ key: 'us-east', executor: { type: 'webhook', url: `${hook.url}/deploy`, secret } }] });
      const version = await f.release();
      const d = (await f.deploy({ version, environment: env })).json();
      const done = await untilFinished(d.id);
      expect(done).toMatchObject({ status: 'succeeded', targets: [{ key: 'us-east', executor: 'webhook', status: 'succeeded', message: 'all pods ready' }] });
      expect(verified).toEqual([true]);
      const payload = JSON.parse(hook.requests[0]!.body);
      expect(payload).toMatchObject({ deploymentId: d.id, project: f.project, environment: env, target: 'us-east', version, tag: `v${version}`, commit: d.commit });
      expect(payload.callbackUrl).toMatch(new RegExp(`/api/v1/deployments/${d.id}/status$`));
      const lines = (await t.request({ method: 'GET', url: `/api/v1/deployments/${d.id}/logs` })).json().items.map((l: { line: string }) => l.line);
      expect(lines).toEqual(expect.arrayContaining(['running: rolling out 3 pods', 'succeeded: all pods ready']));
    } finally {
      await hook.close();
    }
  });

  it('webhook executor: no callback before the timeout fails the target; a refused request fails at once', async () => {
    const silent = await receiver(() => 202);
    const refusing = await receiver(() => 500);
    try {
      const { env, f } = await setup({ targets: [{ key: 'a', executor: { type: 'webhook', url: silent.url, secret: 'another-secret-0123456', timeoutMs: 5000 } }] });
      const version = await f.release();
      const d = (await f.deploy({ version, environment: env })).json();
      await drain(t);
      expect((await get(d.id)).status).toBe('running');
      t.clock.advance(6000);
      await drain(t);
      expect(await get(d.id)).toMatchObject({ status: 'failed', failure: { reason: 'timeout', target: 'a' } });

      const other = await setup({ targets: [{ key: 'b', executor: { type: 'webhook', url: refusing.url, secret: 'another-secret-0123456' } }] });
      const v = await other.f.release();
      const e = (await other.f.deploy({ version: v, environment: other.env })).json();
      const failed = await untilFinished(e.id);
      expect(failed).toMatchObject({ status: 'failed', failure: { reason: 'target_failed', target: 'b' } });
      expect(failed.targets[0].message).toContain('HTTP 500');
    } finally {
      await silent.close();
      await refusing.close();
    }
  });

  it('smoke gate failure fails the deployment and, with autoRollback, rolls back to the previous version', async () => {
    // Healthy for the first deployment, failing after the second, healthy again once rolled back.
    let calls = 0;
    const health = await receiver(() => (++calls === 2 ? 503 : 200));
    try {
      const { env, f } = await setup({ targets: [{ key: 'k8s', executor: { type: 'command', command: ['true'] } }], smoke: { http: { url: `${health.url}/health`, expectStatus: 200 } }, autoRollback: true });
      const v1 = await f.release();
      const v2 = await f.release();
      const first = (await f.deploy({ version: v1, environment: env })).json();
      expect((await untilFinished(first.id)).status).toBe('succeeded');
      const second = (await f.deploy({ version: v2, environment: env })).json();
      await untilFinished(second.id);
      const events = (await t.services.uow.reads.outbox.listAfter(null, 10_000)).filter((e) => e.payload.deploymentId === second.id).map((e) => e.type);
      expect(events).toEqual(expect.arrayContaining(['deployment.started', 'deployment.failed', 'deployment.rolled_back']));
      const rollbacks = (await t.request({ method: 'GET', url: `/api/v1/projects/${f.project}/deployments?environment=${env}` })).json().items.filter((d: { kind: string }) => d.kind === 'rollback');
      expect(rollbacks).toHaveLength(1);
      expect(rollbacks[0]).toMatchObject({ version: v1, rollbackOf: second.id, requestedBy: 'slipway' });
      expect(rollbacks[0].reason).toContain(`automatic: ${v2} failed (smoke_failed)`);
      expect((await untilFinished(rollbacks[0].id)).status).toBe('succeeded');
      expect(await get(second.id)).toMatchObject({ status: 'rolled_back', failure: { reason: 'smoke_failed', target: null } });
      const lines = (await t.request({ method: 'GET', url: `/api/v1/deployments/${second.id}/logs` })).json().items.map((l: { line: string }) => l.line);
      expect(lines.join('\n')).toContain('→ 503 (expected 200)');
      const status = (await t.request({ method: 'GET', url: `/api/v1/status?project=${f.project}` })).json();
      expect(status.items[0].current.version).toBe(v1);
    } finally {
      await health.close();
    }
  });

  it('streams logs over SSE until the deployment ends', async () => {
    const address = t.app.server.address() as AddressInfo | null;
    if (!address) await t.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const { env, f } = await setup({ targets: [{ key: 'eu', executor: { type: 'command', command: ['sh', '-c', 'echo one; sleep 0.2; echo two'] } }] });
    const version = await f.release();
    const d = (await f.deploy({ version, environment: env })).json();
    t.services.deployments.runner.start();
    try {
      const res = await fetch(`${base}/api/v1/deployments/${d.id}/logs`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${t.adminToken}` } });
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const text = await res.text(); // ends when the deployment ends
      expect(text).toContain('"line":"one"');
      expect(text).toContain('"line":"two"');
      expect(text).toMatch(/event: end\ndata: \{"status":"succeeded"/);
    } finally {
      await t.services.deployments.runner.stop();
    }
  });
});
