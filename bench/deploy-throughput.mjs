// Deployments per second end to end with the `record` executor: request → the caller's report →
// the runner finishes it (`succeeded`, seen on the SSE stream's end event). One server process;
// PROJECTS projects deploy in parallel (one deployment in flight per project and environment is
// the rule), ROUNDS deployments each. Anchor: the same number of POST /api/v1/environments/{env}
// PATCHes (one audited write each) from the same parallel loops, on the same server.
import fs from 'node:fs';
import path from 'node:path';
import { makeRepository } from './_git.mjs';
import { freePort, machine, percentile, requireBuild, SERVER_MAIN, spawnUntilReady, stop, tempDir } from './_support.mjs';

requireBuild();
const PROJECTS = Number(process.env.PROJECTS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 20);
const TOKEN = 'slw_bench-deploy-token-0123456789';

async function call(base, method, url, body, token = TOKEN) {
  const res = await fetch(`${base}${url}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) }, ...(body !== undefined && { body: JSON.stringify(body) }) });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Resolves when the SSE stream of the deployment ends; returns its final status. */
async function untilEnd(base, id) {
  const res = await fetch(`${base}/api/v1/deployments/${id}/logs`, { headers: { authorization: `Bearer ${TOKEN}`, accept: 'text/event-stream' } });
  const text = await res.text();
  const match = /event: end\ndata: (\{.*\})/.exec(text);
  return match ? JSON.parse(match[1]).status : 'unknown';
}

async function run(label, extraEnv) {
  const dataDir = tempDir('slipway-bench-deploy-');
  const repo = makeRepository(tempDir('slipway-bench-deploy-git-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { child } = await spawnUntilReady([SERVER_MAIN], { PORT: String(port), SLIPWAY_DATA_DIR: dataDir, LOG_LEVEL: 'warn', SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, ...extraEnv }, `${base}/readyz`);
  try {
    await call(base, 'POST', '/api/v1/environments', { key: 'bench' });
    const projects = [];
    for (let p = 0; p < PROJECTS; p++) {
      const key = `svc-${p}`;
      await call(base, 'POST', '/api/v1/projects', { key, repository: repo.remote, lifecycle: ['bench'], tagTemplate: '{project}-v{version}' });
      const release = await call(base, 'POST', `/api/v1/projects/${key}/releases`, {});
      projects.push({ key, version: release.version });
    }
    const latencies = [];
    const started = process.hrtime.bigint();
    await Promise.all(
      projects.map(async ({ key, version }) => {
        for (let i = 0; i < ROUNDS; i++) {
          const t0 = process.hrtime.bigint();
          const d = await call(base, 'POST', `/api/v1/projects/${key}/deployments`, { version, environment: 'bench' });
          await call(base, 'POST', `/api/v1/deployments/${d.id}/status`, { target: 'default', status: 'succeeded' }, d.callbackToken);
          const status = await untilEnd(base, d.id);
          if (status !== 'succeeded') throw new Error(`deployment ${d.id} ended ${status}`);
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const anchorStarted = process.hrtime.bigint();
    await Promise.all(projects.map(async (_, p) => {
      for (let i = 0; i < ROUNDS; i++) await call(base, 'PATCH', '/api/v1/environments/bench', { name: `bench ${p}-${i}` });
    }));
    const anchorSeconds = Number(process.hrtime.bigint() - anchorStarted) / 1e9;
    const total = PROJECTS * ROUNDS;
    return { label, total, perSecond: total / seconds, p50: percentile(latencies, 50), p95: percentile(latencies, 95), anchor: total / anchorSeconds };
  } finally {
    await stop(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(path.dirname(repo.remote), { recursive: true, force: true });
  }
}

const results = [await run('SQLite', {})];
const pgUrl = process.env.BENCH_DATABASE_URL;
if (pgUrl) results.push(await run('PostgreSQL', { DATABASE_URL: pgUrl }));
console.log(`record executor, ${PROJECTS} projects in parallel × ${ROUNDS} deployments each (request + report + wait for the end), ${machine()}`);
console.log('| what | deployments/s | p50 request → succeeded | p95 | anchor: audited PATCH /environments/{env}, same loops |');
console.log('|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.label} (${r.total} deployments) | ${r.perSecond.toFixed(1)} | ${r.p50.toFixed(1)} ms | ${r.p95.toFixed(1)} ms | ${r.anchor.toFixed(0)}/s |`);
if (!pgUrl) console.log('(set BENCH_DATABASE_URL=postgres://… to add a PostgreSQL run; it must point at an empty database)');
