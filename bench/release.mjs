// Release creation with 20,000 commits since the last tag, end to end over HTTP (fetch, version,
// changelog, annotated tag, push, record), target ≤ 2 s; and compare across those commits. Beside
// it, the anchor: the same git work done by hand with the git CLI (fetch, log, tag, push).
import fs from 'node:fs';
import path from 'node:path';
import { appendCommits, git, makeRepository } from './_git.mjs';
import { freePort, machine, median, requireBuild, SERVER_MAIN, spawnUntilReady, stop, tempDir } from './_support.mjs';

requireBuild();
const COMMITS = Number(process.env.COMMITS ?? 20_000);
const RUNS = Number(process.env.RUNS ?? 3);
const TOKEN = 'slw_bench-release-token-0123456789';

const timings = { create: [], compare: [], anchor: [] };
for (let run = 0; run < RUNS; run++) {
  const root = tempDir('slipway-bench-release-');
  const { remote, work } = makeRepository(root);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { child } = await spawnUntilReady([SERVER_MAIN], { PORT: String(port), SLIPWAY_DATA_DIR: path.join(root, 'data'), LOG_LEVEL: 'warn', SLIPWAY_BOOTSTRAP_TOKEN: TOKEN }, `${base}/readyz`);
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const post = async (url, body) => {
    const res = await fetch(`${base}${url}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const json = await res.json();
    if (res.status >= 300) throw new Error(`${url}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  try {
    await post('/api/v1/projects', { key: 'bench', repository: remote });
    await post('/api/v1/projects/bench/releases', {});
    // The anchor's clone is as old as the server's: both must fetch the 20,000 new commits.
    const anchorClone = path.join(root, 'anchor.git');
    git(root, ['clone', '--quiet', '--bare', remote, anchorClone]);
    appendCommits(work, COMMITS);

    let started = performance.now();
    const release = await post('/api/v1/projects/bench/releases', {});
    timings.create.push(performance.now() - started);
    if (release.changelog.length !== COMMITS) throw new Error(`expected ${COMMITS} commits, got ${release.changelog.length}`);

    started = performance.now();
    const res = await fetch(`${base}/api/v1/projects/bench/compare?from=1.0.0&to=${release.version}`, { headers });
    const cmp = await res.json();
    timings.compare.push(performance.now() - started);
    if (cmp.commits.length !== COMMITS) throw new Error('compare returned the wrong number of commits');

    started = performance.now();
    git(anchorClone, ['fetch', '--quiet', 'origin', '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*']);
    git(anchorClone, ['log', '-z', '--format=%H%x00%an%x00%ae%x00%aI%x00%s%x00%b', 'v1.0.0..main']);
    git(anchorClone, ['tag', '-a', '-m', 'anchor', 'anchor-tag', 'main']);
    git(anchorClone, ['push', '--quiet', 'origin', 'refs/tags/anchor-tag']);
    timings.anchor.push(performance.now() - started);
  } finally {
    await stop(child);
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const fmt = (v) => `${median(v).toFixed(0)} ms (runs: ${v.map((x) => x.toFixed(0)).join(', ')})`;
console.log(`release creation with ${COMMITS.toLocaleString('en')} commits since the last tag, ${RUNS} runs, ${machine()}`);
console.log('| what | median |');
console.log('|---|---|');
console.log(`| Slipway: POST /releases end to end (fetch, version, changelog, tag, push, record) | ${fmt(timings.create)} |`);
console.log(`| Slipway: GET /compare across the same commits | ${fmt(timings.compare)} |`);
console.log(`| anchor: git CLI by hand — fetch, log -z of the range, tag -a, push | ${fmt(timings.anchor)} |`);
console.log(`target: ≤ 2000 ms → ${median(timings.create) <= 2000 ? 'met' : 'NOT met'}`);
