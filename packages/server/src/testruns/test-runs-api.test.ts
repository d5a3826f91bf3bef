import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../notifications/receiver-fixtures.js';
import { BILLION_LAUGHS, bigReport, pytestReport, surefireReport, VITEST_SUITE, vitestJunit } from '../testing/junit-samples.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

describe.each(DIALECTS)('test runs API on %s', (dialect) => {
  let t: TestApp;
  let tracker: HttpReceiver;
  let chat: HttpReceiver;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    tracker = await startHttpReceiver();
    chat = await startHttpReceiver();
    for (const [key, rank] of [['staging', 30], ['production', 50]] as const) await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key, rank } });
    for (const key of ['shop', 'pay', 'auth']) expect((await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key, repository: `/srv/git/${key}.git`, verify: false } })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await tracker.close();
    await chat.close();
    await t.close();
  });

  const upload = (project: string, body: string, query = '', contentType = 'application/xml') => t.request({ method: 'POST', url: `/api/v1/projects/${project}/test-runs${query}`, headers: { 'content-type': contentType }, payload: body });
  const drain = () => t.services.notifications.dispatcher.drain();

  it('takes a JUnit upload and answers with the contract fields', async () => {
    const res = await upload('shop', vitestJunit(VITEST_SUITE), '?version=1.4.0&environment=staging&suite=unit');
    expect(res.statusCode, res.body).toBe(201);
    const run = res.json();
    expect(run).toMatchObject({ project: 'shop', version: '1.4.0', environment: 'staging', suite: 'unit', source: 'upload', status: 'failed', total: 4, failed: 1, skipped: 1, errors: 0 });
    expect(typeof run.id).toBe('string');
    expect(typeof run.durationMs).toBe('number');
    const one = (await t.request({ method: 'GET', url: `/api/v1/test-runs/${run.id}` })).json();
    expect(one.outcomes).toEqual([expect.objectContaining({ name: 'cart > applies a coupon', kind: 'failed' })]);
    const list = (await t.request({ method: 'GET', url: '/api/v1/projects/shop/test-runs?suite=unit' })).json();
    expect(list.items.map((r: { id: string }) => r.id)).toEqual([run.id]);
  });

  it('refuses hostile or wrong bodies with 4xx and stores nothing', async () => {
    const before = (await t.request({ method: 'GET', url: '/api/v1/projects/auth/test-runs' })).json().items.length;
    const laughs = await upload('auth', BILLION_LAUGHS);
    expect(laughs.statusCode).toBe(400);
    expect(laughs.json().error).toMatchObject({ code: 'validation_failed', details: { field: 'body', reason: 'doctype_refused' } });
    expect((await upload('auth', '<testsuite><testcase name="x">', '')).statusCode).toBe(400);
    expect((await upload('auth', '{"tests": 1}', '', 'application/json')).statusCode).toBe(400);
    const plain = await upload('auth', surefireReport(), '', 'text/plain');
    expect(plain.statusCode).toBe(415);
    expect((await upload('nope', surefireReport())).statusCode).toBe(404);
    expect((await upload('auth', surefireReport(), '?environment=moon')).statusCode).toBe(404);
    expect((await upload('auth', surefireReport(), '?version=1%202')).statusCode).toBe(400);
    expect((await upload('auth', surefireReport(), '?suite=E2E!')).statusCode).toBe(400);
    // Bigger than the API's 1 MiB, within the route's 20 MB: accepted. Beyond 20 MB: 413 naming the limit.
    const big = bigReport(500, { padding: 3000 });
    expect(big.length).toBeGreaterThan(1024 * 1024);
    expect((await upload('auth', big, '?suite=big')).statusCode).toBe(201);
    const huge = await upload('auth', bigReport(100, { padding: 210_000 }));
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.message).toContain('20 MB');
    const after = (await t.request({ method: 'GET', url: '/api/v1/projects/auth/test-runs' })).json().items.length;
    expect(after).toBe(before + 1);
  });

  /** What `curl -F file=@report.xml` sends: a real multipart body built by the platform's FormData. */
  async function multipart(parts: Array<[string, string, string?]>) {
    const form = new FormData();
    for (const [field, text, filename] of parts) {
      if (filename === undefined) form.append(field, text);
      else form.append(field, new Blob([text], { type: 'application/xml' }), filename);
    }
    const request = new Request('http://127.0.0.1/', { method: 'POST', body: form });
    return { body: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get('content-type')! };
  }

  it('takes the report as a file part of multipart/form-data, and refuses a form without one', async () => {
    expect((await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'forms', repository: '/srv/git/forms.git', verify: false } })).statusCode).toBe(201);
    const sent = await multipart([['comment', 'nightly'], ['file', surefireReport(), 'TEST-checkout.xml']]);
    const res = await t.request({ method: 'POST', url: '/api/v1/projects/forms/test-runs?version=2.0.0&suite=surefire', headers: { 'content-type': sent.contentType }, payload: sent.body });
    expect(res.statusCode, res.body).toBe(201);
    const raw = await upload('forms', surefireReport(), '?version=2.0.1&suite=surefire');
    const pick = (r: Record<string, unknown>) => ({ suite: r.suite, status: r.status, total: r.total, failed: r.failed, errors: r.errors, skipped: r.skipped });
    expect(res.json()).toMatchObject({ version: '2.0.0', source: 'upload' });
    expect(pick(res.json())).toEqual(pick(raw.json()));
    expect(res.json().total).toBeGreaterThan(0);
    const before = (await t.request({ method: 'GET', url: '/api/v1/projects/forms/test-runs' })).json().items.length;
    const noFile = await multipart([['comment', 'forgot the file']]);
    const refused = await t.request({ method: 'POST', url: '/api/v1/projects/forms/test-runs', headers: { 'content-type': noFile.contentType }, payload: noFile.body });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.details).toMatchObject({ field: 'file' });
    const two = await multipart([['a', surefireReport(), 'a.xml'], ['b', surefireReport(), 'b.xml']]);
    const twice = await t.request({ method: 'POST', url: '/api/v1/projects/forms/test-runs', headers: { 'content-type': two.contentType }, payload: two.body });
    expect(twice.statusCode).toBe(400);
    expect(twice.json().error.details).toMatchObject({ field: 'b' });
    const laughs = await multipart([['file', BILLION_LAUGHS, 'evil.xml']]);
    expect((await t.request({ method: 'POST', url: '/api/v1/projects/forms/test-runs', headers: { 'content-type': laughs.contentType }, payload: laughs.body })).statusCode).toBe(400);
    const huge = await multipart([['file', bigReport(100, { padding: 210_000 }), 'huge.xml']]);
    const tooBig = await t.request({ method: 'POST', url: '/api/v1/projects/forms/test-runs', headers: { 'content-type': huge.contentType }, payload: huge.body });
    expect(tooBig.statusCode).toBe(413);
    expect((await t.request({ method: 'GET', url: '/api/v1/projects/forms/test-runs' })).json().items.length).toBe(before);
  });

  it('finds flaky tests: failed, then passed on the same version', async () => {
    const first = (await upload('pay', surefireReport({ failing: ['testRefundTwice'] }), '?version=2.0.0&environment=staging&suite=integration')).json();
    expect(first.flakyTests).toEqual(['com.example.payments.PaymentServiceTest::testRetryingCapture']);
    const second = (await upload('pay', surefireReport({ failing: [], passing: ['testCharge', 'testRefund', 'testRefundTwice'] }), '?version=2.0.0&environment=staging&suite=integration')).json();
    expect(second.flakyTests.sort()).toEqual(['com.example.payments.PaymentServiceTest::testRefundTwice', 'com.example.payments.PaymentServiceTest::testRetryingCapture']);
    // On another version a pass is just a pass.
    const other = (await upload('pay', surefireReport({ failing: [], passing: ['testCharge', 'testRefund', 'testRefundTwice'] }), '?version=2.0.1&environment=staging&suite=integration')).json();
    expect(other.flakyTests).toEqual(['com.example.payments.PaymentServiceTest::testRetryingCapture']);
    const flaky = (await t.request({ method: 'GET', url: '/api/v1/projects/pay/tests/flaky' })).json().items;
    expect(flaky[0]).toMatchObject({ key: 'com.example.payments.PaymentServiceTest::testRetryingCapture', count: 3 });
    expect(flaky.find((f: { name: string }) => f.name === 'testRefundTwice')).toMatchObject({ count: 1, versions: ['2.0.0'] });
  });

  it('opens one tracker task per newly failing test, not again while it keeps failing, and again after it recovered', async () => {
    const channel = await t.request({
      method: 'POST',
      url: '/api/v1/channels',
      payload: { name: 'jira', type: 'task', config: { url: `${tracker.url}/rest/api/2/issue`, preset: 'jira', params: { projectKey: 'QA' }, headers: { Authorization: 'Basic cWE6dG9rZW4=' } }, subscriptions: [{ events: ['test.failing'], projects: ['auth'] }] },
    });
    expect(channel.statusCode, channel.body).toBe(201);
    expect(channel.json().config.headers).toEqual({ Authorization: 'set' });
    const announce = await t.request({ method: 'POST', url: '/api/v1/channels', payload: { name: 'qa-room', type: 'slack', config: { url: `${chat.url}/hook` }, subscriptions: [{ events: ['test_run.failed'], projects: ['auth'] }] } });
    expect(announce.statusCode).toBe(201);
    const e2e = (failing: string[], passing: string[]) => upload('auth', pytestReport({ failing, passing }), '?version=3.0.0&environment=production&suite=e2e');
    const tasks = () => tracker.requests.filter((r) => r.path === '/rest/api/2/issue');

    expect((await e2e(['test_login_locked_account', 'test_reset_password'], ['test_login'])).json().newlyFailing.sort()).toEqual(['tests.test_auth::test_login_locked_account', 'tests.test_auth::test_reset_password', 'tests.test_auth::test_sso']);
    await drain();
    expect(tasks()).toHaveLength(3);
    const locked = tasks().find((r) => r.json.fields.summary.includes('test_login_locked_account'))!;
    expect(locked.json.fields).toMatchObject({ project: { key: 'QA' }, issuetype: { name: 'Bug' }, labels: ['slipway'] });
    expect(locked.json.fields.summary).toBe('Failing test: test_login_locked_account (auth 3.0.0 in production)');
    expect(locked.json.fields.description).toContain('AssertionError: assert 401 == 423');
    expect(locked.headers.authorization).toBe('Basic cWE6dG9rZW4=');

    // Still failing: no new task.
    expect((await e2e(['test_login_locked_account', 'test_reset_password'], ['test_login'])).json().newlyFailing).toEqual([]);
    await drain();
    expect(tasks()).toHaveLength(3);
    // One recovers, the other keeps failing: nothing to open.
    const third = (await e2e(['test_reset_password'], ['test_login', 'test_login_locked_account'])).json();
    expect(third.recovered).toEqual(['tests.test_auth::test_login_locked_account']);
    await drain();
    expect(tasks()).toHaveLength(3);
    // It fails again: a new task.
    expect((await e2e(['test_login_locked_account', 'test_reset_password'], ['test_login'])).json().newlyFailing).toEqual(['tests.test_auth::test_login_locked_account']);
    await drain();
    expect(tasks()).toHaveLength(4);
    const failing = (await t.request({ method: 'GET', url: '/api/v1/projects/auth/tests/failing?environment=production' })).json().items.map((f: { key: string }) => f.key);
    expect(failing.sort()).toEqual(['tests.test_auth::test_login_locked_account', 'tests.test_auth::test_reset_password', 'tests.test_auth::test_sso']);
    // Failures were announced in the chat room, once per failed run.
    const posts = chat.requests.filter((r) => r.path === '/hook');
    expect(posts).toHaveLength(4);
    expect(posts[0]!.json.text).toContain('e2e tests failed for auth 3.0.0 in production');
  });
});
