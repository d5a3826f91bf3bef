// "Merged back" of a hotfix on a repository with 20,000 commits on the default branch since the line
// forked (issue 9 §2, target: GET …/releases/{version} under 200 ms, with a cache per default-branch head).
// Two hotfixes: one cherry-picked from main (found by its trailer), one from a branch whose change never
// reached main (the worst case: every commit of main since the fork that touches the same file is diffed).
// Anchors, same run: one `git ls-remote` (the round trip every answer makes to see whether main moved),
// and the scan the previous implementation made on every request (patch ids of all 20,000 commits).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { appendCommits, git, makeRepository } from './_git.mjs';
import { freePort, machine, median, percentile, requireBuild, SERVER_MAIN, spawnUntilReady, stop, tempDir } from './_support.mjs';

requireBuild();
const COMMITS = Number(process.env.COMMITS ?? 20_000);
const REPEAT = Number(process.env.REPEAT ?? 20);
const TOKEN = 'slw_bench-merged-token-0123456789';

const root = tempDir('slipway-bench-merged-');
const { remote, work } = makeRepository(root);
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const env = { PORT: String(port), SLIPWAY_DATA_DIR: path.join(root, 'data'), LOG_LEVEL: 'warn', SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, SLIPWAY_REPO_REFRESH_MS: '0' };
const { child } = await spawnUntilReady([SERVER_MAIN], env, `${base}/readyz`);
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const call = async (method, url, body) => {
  const res = await fetch(`${base}${url}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};
const time = async (fn) => {
  const started = performance.now();
  const result = await fn();
  return { ms: performance.now() - started, result };
};
const rows = [];
try {
  await call('POST', '/api/v1/projects', { key: 'big', repository: remote });
  const first = await call('POST', '/api/v1/projects/big/releases', {});
  // A fix that only ever lives on a branch off the release, touching a file main changes 2,000 times.
  git(work, ['fetch', '--quiet', '--tags', 'origin']);
  git(work, ['checkout', '--quiet', '-b', 'fix/line-only', `v${first.version}`]);
  fs.writeFileSync(path.join(work, 'file-3.txt'), 'fixed on the line only\n');
  git(work, ['add', 'file-3.txt']);
  git(work, ['commit', '--quiet', '-m', 'fix: only on the line (BIG-2)']);
  git(work, ['push', '--quiet', 'origin', 'fix/line-only']);
  git(work, ['checkout', '--quiet', 'main']);
  // A fix made on main, to be cherry-picked onto the line; then 20,000 more commits on main.
  fs.writeFileSync(path.join(work, 'fix.txt'), 'fixed on main\n');
  git(work, ['add', 'fix.txt']);
  git(work, ['commit', '--quiet', '-m', 'fix: made on main (BIG-1)']);
  const fix = git(work, ['rev-parse', 'HEAD']);
  appendCommits(work, COMMITS);
  await call('POST', '/api/v1/projects/big/repository/refresh?wait=true', {});
  const branch = await call('POST', `/api/v1/projects/big/releases/${first.version}/hotfixes`, { branch: 'fix/line-only' });
  const picked = await call('POST', `/api/v1/projects/big/releases/${branch.version}/hotfixes`, { commits: [fix] });

  for (const [label, version, expected] of [
    ['cherry-picked from main (trailer)', picked.version, true],
    ['only on the line (patch ids of main since the fork)', branch.version, false],
  ]) {
    const cold = await time(() => call('GET', `/api/v1/projects/big/releases/${version}`));
    if (cold.result.mergedBack !== expected) throw new Error(`${version}: mergedBack ${cold.result.mergedBack}`);
    const warm = [];
    for (let i = 0; i < REPEAT; i++) warm.push((await time(() => call('GET', `/api/v1/projects/big/releases/${version}`))).ms);
    rows.push([`GET …/releases/${version}, ${label}: first answer for this main head`, `${cold.ms.toFixed(0)} ms`]);
    rows.push([`… the same, answered again (cached; ${REPEAT} requests)`, `median ${median(warm).toFixed(1)} ms, p95 ${percentile(warm, 95).toFixed(1)} ms`]);
  }
  // After a push, the background fetch (or POST …/repository/refresh) computes the answers ahead of time.
  const afterPush = [];
  for (let i = 0; i < 5; i++) {
    appendCommits(work, 10);
    await call('POST', '/api/v1/projects/big/repository/refresh?wait=true', {});
    afterPush.push((await time(() => call('GET', `/api/v1/projects/big/releases/${branch.version}`))).ms);
  }
  rows.push([`GET …/releases/${branch.version} right after a push to main, once the background fetch ran (5 pushes)`, `median ${median(afterPush).toFixed(1)} ms, max ${Math.max(...afterPush).toFixed(1)} ms`]);
  const lsRemote = [];
  for (let i = 0; i < REPEAT; i++) lsRemote.push((await time(async () => git(root, ['ls-remote', '--symref', remote, 'HEAD']))).ms);
  rows.push(['anchor: git ls-remote --symref origin HEAD (the one round trip of a cached answer)', `median ${median(lsRemote).toFixed(1)} ms`]);
  const scan = await time(async () =>
    execFileSync('sh', ['-c', `git --git-dir=${remote} log -p --no-merges --format='commit %H' v${first.version}..main | git patch-id --stable | wc -l`], { maxBuffer: 1 << 30 }),
  );
  rows.push([`anchor: patch ids of all ${COMMITS.toLocaleString('en')} commits of main since the fork (what every request did before)`, `${scan.ms.toFixed(0)} ms`]);
} finally {
  await stop(child);
  fs.rmSync(root, { recursive: true, force: true });
}

console.log(`merged-back of hotfixes with ${COMMITS.toLocaleString('en')} commits on main since the line forked, ${machine()}`);
console.log('| what | time |');
console.log('|---|---|');
for (const [what, value] of rows) console.log(`| ${what} | ${value} |`);
