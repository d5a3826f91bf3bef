import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseCommit } from '../releases/versioning.js';
import { createTestRepository, type TestRepository } from '../testing/git-fixtures.js';
import { ProjectRepository } from './project-repository.js';

/** Timings on a 20,000-commit repository are printed for docs/benchmarks.md, never asserted. */
const COUNT = 20_000;
let origin: TestRepository;
let dataDir: string;
let repo: ProjectRepository;
let base: string;

function ms(started: number): string {
  return `${(performance.now() - started).toFixed(0)} ms`;
}

beforeAll(async () => {
  origin = await createTestRepository();
  base = await origin.commit('chore: initial');
  await origin.tag('v1.0.0', { message: 'v1.0.0' });
  let started = performance.now();
  await origin.fastCommits(COUNT, {
    message: (i) => `${['feat', 'fix', 'chore', 'docs'][i % 4]}(area${i % 9}): change ${i} (API-${i})\n\nDetails for OPS-${i % 100}.`,
  });
  console.log(`[timing] fast-import of ${COUNT} commits: ${ms(started)}`);
  await origin.push();
  dataDir = await mkdtemp(path.join(tmpdir(), 'slipway-data-'));
  repo = new ProjectRepository({ remote: origin.remote, dir: path.join(dataDir, 'repos', 'big.git') });
  started = performance.now();
  await repo.sync();
  console.log(`[timing] first sync (clone) of ${COUNT + 1} commits: ${ms(started)}`);
}, 120_000);

afterAll(async () => {
  await origin?.cleanup();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe(`a repository with ${COUNT} commits since the last tag`, () => {
  it('syncs with nothing new, logs and parses every commit (timings printed)', async () => {
    for (const run of [1, 2, 3]) {
      const started = performance.now();
      await repo.sync();
      console.log(`[timing] no-op sync, run ${run}: ${ms(started)}`);
    }
    const tags = await repo.listTags();
    const head = await repo.resolveCommit('main');
    for (const run of [1, 2]) {
      let started = performance.now();
      const commits = await repo.log(tags.get('v1.0.0')!, head);
      const logTime = ms(started);
      started = performance.now();
      const entries = commits.map((commit) => parseCommit(commit, /[A-Z][A-Z0-9]+-\d+/));
      console.log(`[timing] log of ${commits.length} commits: ${logTime}; parse: ${ms(started)} (run ${run})`);
      expect(entries).toHaveLength(COUNT);
      expect(entries[0]!.tickets).toEqual([`API-${COUNT - 1}`, `OPS-${(COUNT - 1) % 100}`]);
    }
    expect(await repo.log(base, base)).toEqual([]);
  });

  it('computes patch ids and merged-back status across all of them (timings printed)', async () => {
    const head = await repo.resolveCommit('main');
    let started = performance.now();
    const ids = await repo.patchIds(base, head);
    console.log(`[timing] patch ids of ${COUNT} commits: ${ms(started)}`);
    expect(ids.size).toBeGreaterThan(0);
    started = performance.now();
    const files = await repo.changedPaths([head]);
    const narrowed = await repo.patchIds(base, head, files);
    console.log(`[timing] patch ids of the commits touching ${files.join(', ')}: ${ms(started)}`);
    expect(narrowed.size).toBe(COUNT / 10);
    started = performance.now();
    const tags = await repo.mergedTags(head);
    console.log(`[timing] mergedTags: ${ms(started)}`);
    expect(tags).toEqual(new Set(['v1.0.0']));
  });
});
