import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

// Issue 10 §6: for every union-typed field the branch is picked by its discriminator and only
// that branch's problem is reported, at its own path. One mistake per field of each branch.
const HOOK = { type: 'webhook', url: 'https://deploy.example.com/hook', secret: 'a-long-enough-secret-123' };
const CASES: Array<{ name: string; payload: Record<string, unknown>; path: string }> = [
  // executors (discriminator: type)
  { name: 'executor type', payload: { targets: [{ key: 'a', executor: { type: 'ssh' } }] }, path: 'body/targets/0/executor/type' },
  { name: 'record timeoutMs', payload: { targets: [{ key: 'a', executor: { type: 'record', timeoutMs: 5 } }] }, path: 'body/targets/0/executor/timeoutMs' },
  { name: 'record extra field', payload: { targets: [{ key: 'a', executor: { type: 'record', url: 'https://x.example.com' } }] }, path: 'body/targets/0/executor' },
  { name: 'command argv', payload: { targets: [{ key: 'a', executor: { type: 'command', command: [] } }] }, path: 'body/targets/0/executor/command' },
  { name: 'command timeoutMs', payload: { targets: [{ key: 'a', executor: { type: 'command', command: ['true'], timeoutMs: 'soon' } }] }, path: 'body/targets/0/executor/timeoutMs' },
  { name: 'webhook url', payload: { targets: [{ key: 'a', executor: { ...HOOK, url: 'ftp://deploy.example.com' } }] }, path: 'body/targets/0/executor/url' },
  { name: 'webhook secret', payload: { targets: [{ key: 'a', executor: { ...HOOK, secret: '14-characters!' } }] }, path: 'body/targets/0/executor/secret' },
  { name: 'webhook timeoutMs', payload: { targets: [{ key: 'a', executor: { ...HOOK, timeoutMs: -1 } }] }, path: 'body/targets/0/executor/timeoutMs' },
  // smoke checks (discriminator: which of http / command)
  { name: 'smoke http url', payload: { smoke: { http: { url: 'not a url' } } }, path: 'body/smoke/http/url' },
  { name: 'smoke http expectStatus', payload: { smoke: { http: { url: 'https://x.example.com', expectStatus: 42 } } }, path: 'body/smoke/http/expectStatus' },
  { name: 'smoke http timeoutMs', payload: { smoke: { http: { url: 'https://x.example.com', timeoutMs: 1 } } }, path: 'body/smoke/http/timeoutMs' },
  { name: 'smoke command', payload: { smoke: { command: 'curl x' } }, path: 'body/smoke/command' },
  { name: 'smoke command timeoutMs', payload: { smoke: { command: ['true'], timeoutMs: 0 } }, path: 'body/smoke/timeoutMs' },
  // approvals (a list of groups, or the old single object)
  { name: 'group required', payload: { approvals: [{ name: 'security', required: 0, roles: ['qa'] }] }, path: 'body/approvals/0/required' },
  { name: 'group kinds', payload: { approvals: [{ name: 'security', required: 1, roles: ['qa'], kinds: ['weekly'] }] }, path: 'body/approvals/0/kinds/0' },
  { name: 'group roles', payload: { approvals: [{ name: 'security', required: 1, roles: ['boss'] }] }, path: 'body/approvals/0/roles/0' },
  { name: 'old policy required', payload: { approvals: { required: -1, roles: [] } }, path: 'body/approvals/required' },
];

// Channel configs (discriminator: the channel's type): one mistake per field of each type.
const CHANNELS: Array<{ type: string; config: Record<string, unknown>; path: string }> = [
  { type: 'slack', config: { url: 'nope' }, path: 'body/config/url' },
  { type: 'webhook', config: { url: 'https://h.example.com', secret: 'short' }, path: 'body/config/secret' },
  { type: 'webhook', config: { url: 'https://h.example.com', secret: 'a-long-enough-secret-123', headers: { 'bad header': 'x' } }, path: 'body/config/headers' }, // a header name with a space
  { type: 'email', config: { host: 'smtp.example.com', port: 0, from: 'a@example.com', to: ['b@example.com'] }, path: 'body/config/port' },
  { type: 'email', config: { host: 'smtp.example.com', port: 25, from: 'a@example.com', to: ['not-an-address'] }, path: 'body/config/to/0' },
  { type: 'newrelic', config: { apiKey: 'k', entityGuid: '' }, path: 'body/config/entityGuid' },
  { type: 'datadog', config: { apiKey: 'k', site: 'X' }, path: 'body/config/site' },
  { type: 'grafana', config: { url: 'https://g.example.com', token: '' }, path: 'body/config/token' },
];

describe.each(DIALECTS)('validation of union-typed fields on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: 'uv', rank: 10 } });
  });
  afterAll(() => t.close());

  it.each(CASES)('environment settings: $name is reported at $path, nothing else', async ({ payload, path }) => {
    const before = (await t.request({ method: 'GET', url: '/api/v1/environments/uv' })).body;
    const res = await t.request({ method: 'PATCH', url: '/api/v1/environments/uv', payload });
    expect(res.statusCode, res.body).toBe(400);
    const error = res.json().error;
    expect(error.code).toBe('validation_failed');
    expect(error.message.startsWith(`${path} `), error.message).toBe(true);
    for (const p of error.details.problems) expect(p.path.startsWith(path), JSON.stringify(error.details.problems)).toBe(true);
    expect(error.message).not.toContain('must match "then"');
    expect(error.message).not.toContain('anyOf');
    expect((await t.request({ method: 'GET', url: '/api/v1/environments/uv' })).body).toBe(before);
  });

  it.each(CHANNELS)('channel config: a $type channel reports $path', async ({ type, config, path }) => {
    const res = await t.request({ method: 'POST', url: '/api/v1/channels', payload: { name: `c-${type}-${path.replace(/\W/g, '')}`, type, config, subscriptions: [] } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.message.startsWith(path), res.json().error.message).toBe(true);
  });

  it('names the allowed executor types when the discriminator is wrong', async () => {
    const res = await t.request({ method: 'PATCH', url: '/api/v1/environments/uv', payload: { targets: [{ key: 'a', executor: { type: 'ssh' } }] } });
    expect(res.json().error.message).toContain('record, command, webhook');
  });
});
