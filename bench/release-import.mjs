// Adopting a repository with 1,000 existing tags (issue 9 §3): POST /projects clones the repository and
// imports every matching tag as a release before it answers; POST …/releases/import re-runs it (nothing
// new: idempotent). Anchor, same run: the git work of an adoption done by hand — a bare clone and a
// listing of its tags with their commits and dates.
import fs from 'node:fs';
import path from 'node:path';
import { git, makeRepository } from './_git.mjs';
import { freePort, machine, median, requireBuild, SERVER_MAIN, spawnUntilReady, stop, tempDir } from './_support.mjs';

requireBuild();
const TAGS = Number(process.env.TAGS ?? 1000);
const RUNS = Number(process.env.RUNS ?? 3);
const TOKEN = 'slw_bench-import-token-0123456789';

/** TAGS commits on main, each tagged v<version> (every other tag annotated), plus a few tags that do not match. */
function taggedHistory(work) {
  const parent = git(work, ['rev-parse', 'HEAD']);
  const start = Number(git(work, ['log', '-1', '--format=%ct'])) + 1;
  const chunks = [];
  for (let i = 0; i < TAGS; i++) {
    const text = `${i % 5 === 0 ? 'feat' : 'fix'}: change ${i} (IMP-${i})\n`;
    const when = `${start + i} +0000`;
    chunks.push(`commit refs/heads/main\nmark :${i + 1}\nauthor Bench <bench@example.com> ${when}\ncommitter Bench <bench@example.com> ${when}\n`);
    chunks.push(`data ${Buffer.byteLength(text)}\n${text}`, i === 0 ? `from ${parent}\n` : '', `M 644 inline file-${i % 10}.txt\ndata ${String(i).length + 1}\n${i}\n\n`);
  }
  for (let i = 0; i < TAGS; i++) {
    const version = `${1 + Math.floor(i / 100)}.${Math.floor(i / 10) % 10}.${i % 10}`;
    if (i % 2 === 0) {
      const text = `release ${version}\n`;
      chunks.push(`tag v${version}\nfrom :${i + 1}\ntagger Bench <bench@example.com> ${start + i} +0000\ndata ${Buffer.byteLength(text)}\n${text}`);
    } else {
      chunks.push(`reset refs/tags/v${version}\nfrom :${i + 1}\n\n`);
    }
  }
  for (const name of ['nightly', 'v1', 'build-2024']) chunks.push(`reset refs/tags/${name}\nfrom :1\n\n`);
  git(work, ['fast-import', '--quiet', '--force'], chunks.join(''));
  git(work, ['reset', '--quiet', '--hard', 'HEAD']);
  git(work, ['push', '--quiet', 'origin', 'main', '--tags']);
}

const timings = { create: [], second: [], again: [], list: [], anchor: [] };
for (let run = 0; run < RUNS; run++) {
  const root = tempDir('slipway-bench-import-');
  const { remote, work } = makeRepository(root);
  taggedHistory(work);
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
  const timed = async (into, fn) => {
    const started = performance.now();
    const result = await fn();
    into.push(performance.now() - started);
    return result;
  };
  try {
    const created = await timed(timings.create, () => call('POST', '/api/v1/projects', { key: 'legacy', repository: remote }));
    if (created.import.imported !== TAGS || created.import.skippedCount !== 3) throw new Error(`unexpected import ${JSON.stringify(created.import).slice(0, 300)}`);
    const again = await timed(timings.again, () => call('POST', '/api/v1/projects/legacy/releases/import', {}));
    if (again.imported !== 0 || again.alreadyRecorded !== TAGS) throw new Error('the second import was not idempotent');
    await timed(timings.list, () => call('GET', '/api/v1/projects/legacy/releases?limit=200'));
    // The same adoption once the process has served the route before (schemas compiled, code warm).
    await timed(timings.second, () => call('POST', '/api/v1/projects', { key: 'legacy-2', repository: remote }));
    await timed(timings.anchor, async () => {
      git(root, ['clone', '--quiet', '--bare', remote, path.join(root, 'anchor.git')]);
      git(path.join(root, 'anchor.git'), ['for-each-ref', '--format=%(refname)%00%(objecttype)%00%(objectname)%00%(*objectname)%00%(creatordate:iso-strict)', 'refs/tags']);
    });
  } finally {
    await stop(child);
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const fmt = (v) => `${median(v).toFixed(0)} ms (runs: ${v.map((x) => x.toFixed(0)).join(', ')})`;
console.log(`adopting a repository with ${TAGS.toLocaleString('en')} tags (half annotated), ${RUNS} runs, ${machine()}`);
console.log('| what | median |');
console.log('|---|---|');
console.log(`| Slipway: POST /projects — clone, import ${TAGS.toLocaleString('en')} releases, answer | ${fmt(timings.create)} |`);
console.log(`| Slipway: the same POST /projects for a second project, in the same process | ${fmt(timings.second)} |`);
console.log(`| Slipway: POST …/releases/import again (fetch, nothing new) | ${fmt(timings.again)} |`);
console.log(`| Slipway: GET …/releases?limit=200 afterwards | ${fmt(timings.list)} |`);
console.log(`| anchor: git CLI by hand — clone --bare, for-each-ref of the tags | ${fmt(timings.anchor)} |`);
