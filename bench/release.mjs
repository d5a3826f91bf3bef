// Release creation with 20,000 commits since the last tag, end to end over HTTP (fetch, version,
// changelog, annotated tag, push, record), target ≤ 2 s — measured twice per run:
//   cold: the 20,000 commits were pushed a moment ago and the release request fetches them itself;
//   warm: the server fetched them in the background first (POST …/repository/refresh, what a push
//         webhook or the periodic refresh does — docs/decisions/0007), so the request fetches nothing new.
// Anchors, same run: the same git work done by hand with the git CLI (fetch, log, tag, push), and
// without the fetch for the warm case.
import fs from 'node:fs';
import path from 'node:path';
import { appendCommits, git, makeRepository } from './_git.mjs';
import { freePort, machine, median, requireBuild, SERVER_MAIN, spawnUntilReady, stop, tempDir } from './_support.mjs';

requireBuild();
const COMMITS = Number(process.env.COMMITS ?? 20_000);
const RUNS = Number(process.env.RUNS ?? 3);
const TOKEN = 'slw_bench-release-token-0123456789';

const timings = { cold: [], refresh: [], warm: [], compare: [], anchor: [], anchorWarm: [] };
for (let run = 0; run < RUNS; run++) {
  const root = tempDir('slipway-bench-release-');
  const { remote, work } = makeRepository(root);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // The periodic refresh is off: the warm case asks for its fetch explicitly, so nothing runs by chance.
  const env = { PORT: String(port), SLIPWAY_DATA_DIR: path.join(root, 'data'), LOG_LEVEL: 'warn', SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, SLIPWAY_REPO_REFRESH_MS: '0' };
  const { child } = await spawnUntilReady([SERVER_MAIN], env, `${base}/readyz`);
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const post = async (url, body) => {
    const res = await fetch(`${base}${url}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const json = await res.json();
    if (res.status >= 300) throw new Error(`${url}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const timed = async (into, fn) => {
    const started = performance.now();
    const result = await fn();
    into.push(performance.now() - started);
    return result;
  };
  try {
    await post('/api/v1/projects', { key: 'bench', repository: remote });
    await post('/api/v1/projects/bench/releases', {});
    // The anchor's clone is as old as the server's: both must fetch the 20,000 new commits.
    const anchorClone = path.join(root, 'anchor.git');
    git(root, ['clone', '--quiet', '--bare', remote, anchorClone]);

    let last = '1.0.0';
    const cold = async () => {
      appendCommits(work, COMMITS);
      const made = await timed(timings.cold, () => post('/api/v1/projects/bench/releases', {}));
      if (made.changelog.length !== COMMITS) throw new Error(`expected ${COMMITS} commits, got ${made.changelog.length}`);
      const cmp = await timed(timings.compare, async () => (await fetch(`${base}/api/v1/projects/bench/compare?from=${last}&to=${made.version}`, { headers })).json());
      if (cmp.commits.length !== COMMITS) throw new Error('compare returned the wrong number of commits');
      await timed(timings.anchor, async () => {
        git(anchorClone, ['fetch', '--quiet', 'origin', '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*']);
        git(anchorClone, ['log', '-z', '--format=%H%x00%an%x00%ae%x00%aI%x00%s%x00%b', `v${last}..main`]);
        git(anchorClone, ['tag', '-a', '-m', 'anchor', `anchor-${made.version}`, 'main']);
        git(anchorClone, ['push', '--quiet', 'origin', `refs/tags/anchor-${made.version}`]);
      });
      last = made.version;
    };
    const warm = async () => {
      appendCommits(work, COMMITS);
      await timed(timings.refresh, () => post('/api/v1/projects/bench/repository/refresh?wait=true', {}));
      const made = await timed(timings.warm, () => post('/api/v1/projects/bench/releases', {}));
      if (made.changelog.length !== COMMITS) throw new Error(`expected ${COMMITS} commits, got ${made.changelog.length}`);
      git(anchorClone, ['fetch', '--quiet', 'origin', '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*']);
      await timed(timings.anchorWarm, async () => {
        git(anchorClone, ['log', '-z', '--format=%H%x00%an%x00%ae%x00%aI%x00%s%x00%b', `v${last}..main`]);
        git(anchorClone, ['tag', '-a', '-m', 'anchor', `anchor-${made.version}`, 'main']);
        git(anchorClone, ['push', '--quiet', 'origin', `refs/tags/anchor-${made.version}`]);
      });
      last = made.version;
    };
    // Alternate which comes first, so neither always gets the process's warmed-up JIT.
    if (run % 2 === 0) {
      await cold();
      await warm();
    } else {
      await warm();
      await cold();
    }
  } finally {
    await stop(child);
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const fmt = (v) => `${median(v).toFixed(0)} ms (runs: ${v.map((x) => x.toFixed(0)).join(', ')})`;
console.log(`release creation with ${COMMITS.toLocaleString('en')} commits since the last tag, ${RUNS} runs, ${machine()}`);
console.log('| what | median |');
console.log('|---|---|');
console.log(`| Slipway, warm clone: POST /releases end to end (no-op fetch, version, changelog, tag, push, record) | ${fmt(timings.warm)} |`);
console.log(`| Slipway, cold clone: POST /releases that fetches the ${COMMITS.toLocaleString('en')} commits itself | ${fmt(timings.cold)} |`);
console.log(`| Slipway: the background fetch that warms the clone (POST …/repository/refresh?wait=true, incl. commit-graph) | ${fmt(timings.refresh)} |`);
console.log(`| Slipway: GET /compare across the same commits | ${fmt(timings.compare)} |`);
console.log(`| anchor: git CLI by hand — fetch, log -z of the range, tag -a, push | ${fmt(timings.anchor)} |`);
console.log(`| anchor: git CLI by hand, already fetched — log -z, tag -a, push | ${fmt(timings.anchorWarm)} |`);
console.log(`target: ≤ 2000 ms → warm ${median(timings.warm) <= 2000 ? 'met' : 'NOT met'}, cold ${median(timings.cold) <= 2000 ? 'met' : 'NOT met'}`);
