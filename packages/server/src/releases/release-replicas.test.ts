import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGit } from '../git/git-runner.js';
import { createTestRepository, type TestRepository } from '../testing/git-fixtures.js';
import { startServerProcess, type ServerProcess } from '../testing/server-process.js';
import { createEmptyPostgresDatabase } from '../testing/test-database.js';

const TOKEN = 'slw_release-replicas-admin-token-0123456789';

async function call(base: string, method: string, url: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/**
 * Two replicas on one PostgreSQL database and one git remote (issue 11 §3): release creation is serialised
 * per project across them, the loser of a race gets a 4xx, and no tag a recorded release owns is deleted.
 */
describe.runIf(process.env.TEST_DATABASE_URL)('release creation across two server processes', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let database: { url: string; drop(): Promise<void> };
  let repo: TestRepository;
  const dirs: string[] = [];

  beforeAll(async () => {
    database = await createEmptyPostgresDatabase();
    repo = await createTestRepository();
    await repo.commit('feat: first (REP-1)');
    await repo.push();
    const shared = { DATABASE_URL: database.url, SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, SLIPWAY_SECRET_KEY: randomBytes(32).toString('hex') };
    // Each replica has its own data directory (its own clone), as on separate machines.
    const dataDir = () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-replica-'));
      dirs.push(dir);
      return dir;
    };
    a = await startServerProcess({ ...shared, SLIPWAY_DATA_DIR: dataDir() });
    b = await startServerProcess({ ...shared, SLIPWAY_DATA_DIR: dataDir() });
    expect((await call(a.url, 'POST', '/api/v1/projects', { key: 'api', repository: repo.remote })).status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await database?.drop();
    await repo?.cleanup();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('50 concurrent release creations split between the replicas: no 5xx, every recorded release has its tag in the remote', async () => {
    const statuses: number[] = [];
    for (let round = 0; round < 10; round++) {
      await repo.commit(round % 3 === 0 ? `feat: feature ${round} (REP-${round})` : `fix: fix ${round} (REP-${round})`);
      await repo.push();
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => call(i % 2 === 0 ? a.url : b.url, 'POST', '/api/v1/projects/api/releases', round % 4 === 3 ? { prerelease: 'rc' } : {})));
      for (const r of results) {
        statuses.push(r.status);
        expect([201, 409, 422], JSON.stringify(r.json)).toContain(r.status);
        if (r.status !== 201) expect(['nothing_to_release', 'release_in_progress', 'tag_exists', 'conflict']).toContain(r.json.error.code);
      }
      // Exactly one of the five made this round's release; the others found nothing new to release.
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    }
    expect(statuses).toHaveLength(50);

    const recorded = (await call(b.url, 'GET', '/api/v1/projects/api/releases?limit=200')).json.items as Array<{ version: string; tag: string; commit: string }>;
    expect(recorded).toHaveLength(10);
    expect(new Set(recorded.map((r) => r.version)).size).toBe(10);
    const inRemote = new Map(
      (await runGit([`--git-dir=${repo.remote}`, 'for-each-ref', '--format=%(refname:strip=2) %(*objectname)', 'refs/tags'])).stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' ') as [string, string]),
    );
    for (const release of recorded) expect(inRemote.get(release.tag), `tag ${release.tag} of ${release.version}`).toBe(release.commit);
    expect([...inRemote.keys()].sort()).toEqual(recorded.map((r) => r.tag).sort());
  });
});
