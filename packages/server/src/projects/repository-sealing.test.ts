import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DIALECTS } from '../testing/test-database.js';
import { sealRepositoryCredentials } from './repository-sealing.js';

const PLAIN = 'https://deploy:hunter2-plaintext@git.example.com/shop.git';
const SHOWN = 'https://deploy:***@git.example.com/shop.git';

describe.each(DIALECTS)('repository credentials stored before 0012, on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(() => t.close());

  it('are sealed, and redacted in the project and its audit records, at start; a second run changes nothing', async () => {
    const created = await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'shop', repository: PLAIN, verify: false } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().repository).toBe(SHOWN);
    // As an older server wrote them: the password in the URL and in the audit record.
    const db = t.services.database.db;
    await db.updateTable('projects').set({ repository: PLAIN, repository_credentials: null }).where('key', '=', 'shop').execute();
    const record = await db.selectFrom('audit_log').select(['id', 'after']).where('action', '=', 'project.created').executeTakeFirstOrThrow();
    await db.updateTable('audit_log').set({ after: JSON.stringify({ ...JSON.parse(record.after!), repository: PLAIN, repositoryCredentials: undefined }) }).where('id', '=', record.id).execute();

    expect(await sealRepositoryCredentials(t.services.uow, t.services.secrets, t.dataDir)).toBe(1);
    const row = await db.selectFrom('projects').select(['repository', 'repository_credentials']).where('key', '=', 'shop').executeTakeFirstOrThrow();
    expect(row.repository).toBe(SHOWN);
    expect(JSON.parse(t.services.secrets.decrypt(row.repository_credentials!))).toEqual({ username: 'deploy', password: 'hunter2-plaintext' });
    const audit = await t.request({ method: 'GET', url: '/api/v1/audit?resourceType=project&resourceId=shop' });
    expect(audit.body).not.toContain('hunter2');
    expect(audit.json().items[0].after).toMatchObject({ repository: SHOWN, repositoryCredentials: 'set' });
    expect((await t.request({ method: 'GET', url: '/api/v1/projects/shop' })).json().repository).toBe(SHOWN);

    expect(await sealRepositoryCredentials(t.services.uow, t.services.secrets, t.dataDir)).toBe(0);
    const again = await db.selectFrom('projects').select('repository_credentials').where('key', '=', 'shop').executeTakeFirstOrThrow();
    expect(again.repository_credentials).toBe(row.repository_credentials);
  });

  it('says what to do when the secret key no longer opens the credentials, instead of failing', async () => {
    const other = await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'keyed', repository: PLAIN, verify: false } });
    expect(other.statusCode, other.body).toBe(201);
    // Sealed with another key, as after a change of SLIPWAY_SECRET_KEY.
    const foreign = 'v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA:AAAA';
    await t.services.database.db.updateTable('projects').set({ repository_credentials: foreign }).where('key', '=', 'keyed').execute();
    const release = await t.request({ method: 'POST', url: '/api/v1/projects/keyed/releases', payload: {} });
    expect(release.statusCode, release.body).toBe(422);
    expect(release.json().error).toMatchObject({ code: 'repository_unreachable' });
    expect(release.json().error.message).toContain('SLIPWAY_SECRET_KEY');
  });
});
