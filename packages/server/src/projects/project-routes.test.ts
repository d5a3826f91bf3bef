import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';

describe.each(DIALECTS)('projects API on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    for (const [key, rank] of [['dev', 10], ['qa', 20], ['staging', 30], ['production', 40]] as const) {
      await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key, rank } });
    }
  });
  afterAll(() => t.close());

  it('creates a project with defaults: tag template, ticket pattern, lifecycle of every environment by rank', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'api', name: 'API', repository: 'https://git.example.com/acme/api.git', verify: false } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      key: 'api',
      name: 'API',
      tagTemplate: 'v{version}',
      ticketPattern: '[A-Z][A-Z0-9]+-\\d+',
      lifecycle: ['dev', 'qa', 'staging', 'production'],
      hotfixLifecycle: ['dev', 'qa', 'staging', 'production'],
      lifecycleIsDefault: true,
      initialVersion: '1.0.0',
    });
    const got = await t.request({ method: 'GET', url: '/api/v1/projects/api' });
    expect(got.json().repository).toBe('https://git.example.com/acme/api.git');
  });

  it('stores explicit lifecycles, templates and versions, and updates them', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/projects',
      payload: { key: 'web', repository: '/srv/git/web.git', verify: false, tagTemplate: '{project}-v{version}', ticketPattern: 'WEB-\\d+', lifecycle: ['dev', 'qa', 'production'], hotfixLifecycle: ['qa', 'production'], initialVersion: '0.1.0' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ lifecycle: ['dev', 'qa', 'production'], hotfixLifecycle: ['qa', 'production'], lifecycleIsDefault: false, initialVersion: '0.1.0' });

    const patched = await t.request({ method: 'PATCH', url: '/api/v1/projects/web', payload: { name: 'Web app', lifecycle: null, hotfixLifecycle: null } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ name: 'Web app', lifecycleIsDefault: true, lifecycle: ['dev', 'qa', 'staging', 'production'] });
  });

  it('lists projects by key with pagination', async () => {
    for (const key of ['p-c', 'p-a', 'p-b']) await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key, repository: 'git@example.com:acme/x.git', verify: false } });
    const first = await t.request({ method: 'GET', url: '/api/v1/projects?limit=2' });
    expect(first.json().items.map((p: { key: string }) => p.key)).toEqual(['api', 'p-a']);
    const second = await t.request({ method: 'GET', url: `/api/v1/projects?limit=2&cursor=${first.json().nextCursor}` });
    expect(second.json().items.map((p: { key: string }) => p.key)).toEqual(['p-b', 'p-c']);
    expect((await t.request({ method: 'GET', url: '/api/v1/projects?cursor=garbage' })).statusCode).toBe(400);
  });

  it.each([
    [{ key: 'x1', repository: 'not a url' }, 'repository'],
    [{ key: 'x2', repository: '/r', tagTemplate: 'release-1' }, 'tagTemplate must contain {version}'],
    [{ key: 'x3', repository: '/r', tagTemplate: 'v{version}{branch}' }, 'unknown placeholder {branch}'],
    [{ key: 'x4', repository: '/r', tagTemplate: 'v {version}' }, 'valid git tag name'],
    [{ key: 'x5', repository: '/r', ticketPattern: '([A-Z]+' }, 'not a valid regular expression'],
    [{ key: 'x6', repository: '/r', ticketPattern: 'A'.repeat(201) }, 'ticketPattern'],
    [{ key: 'x7', repository: '/r', lifecycle: ['dev', 'mars'] }, 'unknown environment mars'],
    [{ key: 'x8', repository: '/r', lifecycle: ['dev', 'qa'], hotfixLifecycle: ['qa', 'dev'] }, 'ordered subset'],
    [{ key: 'x9', repository: '/r', initialVersion: 'one' }, 'initialVersion'],
    [{ key: 'x10', repository: '-upload-pack=evil' }, 'repository'],
  ])('rejects %j', async (payload, message) => {
    const res = await t.request({ method: 'POST', url: '/api/v1/projects', payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
    expect(res.json().error.message).toContain(message);
    expect((await t.request({ method: 'GET', url: `/api/v1/projects/${payload.key}` })).statusCode).toBe(404);
  });

  it('refuses an unreachable repository at creation with git\'s message, unless verification is off', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'unreachable', repository: '/srv/git/nowhere.git' } });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('repository_unreachable');
    expect(res.json().error.details.gitMessage).toMatch(/nowhere\.git/);
    expect((await t.request({ method: 'GET', url: '/api/v1/projects/unreachable' })).statusCode).toBe(404);
    const unchecked = await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'unreachable', repository: '/srv/git/nowhere.git', verify: false } });
    expect(unchecked.statusCode).toBe(201);
    expect(unchecked.json().import).toBeUndefined();
    // Changing to another unreachable repository is refused the same way; nothing changes.
    const moved = await t.request({ method: 'PATCH', url: '/api/v1/projects/unreachable', payload: { repository: '/srv/git/elsewhere.git' } });
    expect(moved.statusCode).toBe(422);
    expect((await t.request({ method: 'GET', url: '/api/v1/projects/unreachable' })).json().repository).toBe('/srv/git/nowhere.git');
  });

  it('checks tag templates by rendering them for the project and asking git check-ref-format', async () => {
    // {version}.loc{project} looks fine with placeholders, but for project "k" it renders 1.0.0.lock.
    const res = await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'k', repository: '/r', tagTemplate: '{version}.loc{project}', verify: false } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe('tagTemplate renders "1.0.0.lock" for version 1.0.0 of project k, which git refuses as a tag name (git check-ref-format); change the template.');
    expect(res.json().error.details.problems).toEqual([{ field: 'tagTemplate', message: expect.stringContaining('1.0.0.lock') }]);
    expect((await t.request({ method: 'GET', url: '/api/v1/projects/k' })).statusCode).toBe(404);
    expect((await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'kx', repository: '/r', tagTemplate: '{version}.loc{project}', verify: false } })).statusCode).toBe(201);
    expect((await t.request({ method: 'PATCH', url: '/api/v1/projects/api', payload: { tagTemplate: 'v{version}.lock' } })).statusCode).toBe(400);
    expect((await t.request({ method: 'GET', url: '/api/v1/projects/api' })).json().tagTemplate).toBe('v{version}');
  });

  it('refuses duplicates (409), unknown projects (404), missing tokens (401) and low roles (403)', async () => {
    expect((await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'api', repository: '/r', verify: false } })).statusCode).toBe(409);
    expect((await t.request({ method: 'GET', url: '/api/v1/projects/ghost' })).statusCode).toBe(404);
    expect((await t.request({ method: 'PATCH', url: '/api/v1/projects/ghost', payload: { name: 'x' } })).statusCode).toBe(404);
    expect((await t.request({ method: 'GET', url: '/api/v1/projects', token: null })).statusCode).toBe(401);
    const engineer = await t.tokenFor('engineer');
    expect((await t.request({ method: 'GET', url: '/api/v1/projects/api', token: engineer })).statusCode).toBe(200);
    expect((await t.request({ method: 'POST', url: '/api/v1/projects', token: engineer, payload: { key: 'mine', repository: '/r' } })).statusCode).toBe(403);
    expect((await t.request({ method: 'PATCH', url: '/api/v1/projects/api', token: engineer, payload: { name: 'x' } })).statusCode).toBe(403);
  });

  it('writes an audit record and an outbox event in the same transaction as the change', async () => {
    const events: string[] = [];
    const unsubscribe = t.services.outbox.subscribe((e) => events.push(`${e.type}:${e.projectKey}`));
    await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'evented', repository: '/r', verify: false } });
    await t.request({ method: 'PATCH', url: '/api/v1/projects/evented', payload: { name: 'Evented' } });
    unsubscribe();
    expect(events).toEqual(['project.created:evented', 'project.updated:evented']);
    const stored = await t.services.uow.reads.outbox.listAfter(null, 1000);
    expect(stored.filter((e) => e.projectKey === 'evented').map((e) => e.type)).toEqual(['project.created', 'project.updated']);
    const audit = await t.request({ method: 'GET', url: '/api/v1/audit?resourceType=project&resourceId=evented' });
    expect(audit.json().items[0]).toMatchObject({ action: 'project.updated', before: { name: 'evented' }, after: { name: 'Evented' } });
  });
});
