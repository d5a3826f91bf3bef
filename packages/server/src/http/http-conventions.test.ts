import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';

describe('HTTP conventions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite');
  });
  afterAll(() => t.close());

  it('answers unknown routes with a JSON 404', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: 'No route GET /api/v1/nothing-here.', details: {} } });
  });

  it('echoes a valid x-request-id and makes one up otherwise', async () => {
    const echoed = await t.request({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    expect(echoed.headers['x-request-id']).toBe('abc-123');
    const made = await t.request({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses bodies over 1 MiB with 413', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/environments', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ key: 'big', name: 'x'.repeat(1024 * 1024) }) });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
  });

  it('refuses other content types with 415 and broken JSON with 400', async () => {
    const text = await t.request({ method: 'POST', url: '/api/v1/environments', headers: { 'content-type': 'text/plain' }, payload: 'key=dev' });
    expect(text.statusCode).toBe(415);
    expect(text.json().error.code).toBe('unsupported_media_type');
    const broken = await t.request({ method: 'POST', url: '/api/v1/environments', headers: { 'content-type': 'application/json' }, payload: '{"key": ' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.code).toBe('invalid_json');
  });

  it('serves health, readiness, metrics and the OpenAPI document', async () => {
    expect((await t.request({ method: 'GET', url: '/healthz', token: null })).json()).toEqual({ status: 'ok' });
    expect((await t.request({ method: 'GET', url: '/readyz', token: null })).json()).toMatchObject({ status: 'ready', database: 'sqlite' });
    await t.request({ method: 'GET', url: '/api/v1/projects' });
    const metrics = await t.request({ method: 'GET', url: '/metrics', token: null });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('slipway_http_request_duration_seconds_count{method="GET",route="/api/v1/projects",status="200"}');
    expect(metrics.body).toContain('process_cpu_user_seconds_total');
    const openapi = await t.request({ method: 'GET', url: '/api/openapi.json', token: null });
    expect(openapi.statusCode).toBe(200);
    const doc = openapi.json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of ['/api/v1/environments', '/api/v1/environments/{env}', '/api/v1/projects', '/api/v1/projects/{project}', '/api/v1/tokens', '/api/v1/users', '/api/v1/me', '/api/v1/audit']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    const docs = await t.request({ method: 'GET', url: '/api/docs', token: null });
    expect([200, 302]).toContain(docs.statusCode);
  });

  it('reports 503 from /readyz when the database is gone', async () => {
    const other = await createTestApp('sqlite');
    await other.database.close();
    const res = await other.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('not_ready');
    await other.app.close();
  });
});
