// GET /api/v1/projects with 1,000 projects, one server process, autocannon 10 s keep-alive,
// beside /healthz on the same server in the same run (the framework's floor).
import fs from 'node:fs';
import autocannon from 'autocannon';
import { freePort, machine, requireBuild, SERVER_MAIN, spawnUntilReady, stop, tempDir } from './_support.mjs';

requireBuild();
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const TOKEN = 'slw_bench-token-0123456789abcdef';

async function bench(title, url, headers = {}) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, headers });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${title}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { title, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

async function run(label, extraEnv) {
  const dataDir = tempDir('slipway-bench-list-');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { child } = await spawnUntilReady([SERVER_MAIN], { PORT: String(port), SLIPWAY_DATA_DIR: dataDir, LOG_LEVEL: 'warn', SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, ...extraEnv }, `${base}/readyz`);
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  try {
    for (const [key, rank] of [['dev', 10], ['qa', 20], ['staging', 30], ['production', 40]]) {
      await fetch(`${base}/api/v1/environments`, { method: 'POST', headers, body: JSON.stringify({ key, rank }) });
    }
    for (let i = 0; i < 1000; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, j) =>
          fetch(`${base}/api/v1/projects`, { method: 'POST', headers, body: JSON.stringify({ key: `project-${String(i + j).padStart(4, '0')}`, repository: `/srv/git/p${i + j}.git`, verify: false }) }).then((r) => {
            if (r.status !== 201) throw new Error(`seed failed: ${r.status}`);
          }),
        ),
      );
    }
    const auth = { authorization: `Bearer ${TOKEN}` };
    const results = [
      await bench(`${label}: GET /api/v1/projects (50 per page)`, `${base}/api/v1/projects`, auth),
      await bench(`${label}: GET /api/v1/projects?limit=200`, `${base}/api/v1/projects?limit=200`, auth),
      await bench(`${label}: anchor GET /healthz (no auth, no database)`, `${base}/healthz`),
    ];
    return results;
  } finally {
    await stop(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const rows = [...(await run('SQLite', {}))];
const pgUrl = process.env.BENCH_DATABASE_URL;
if (pgUrl) rows.push(...(await run('PostgreSQL', { DATABASE_URL: pgUrl })));
console.log(`1,000 projects, autocannon ${CONNECTIONS} connections × ${DURATION} s keep-alive, ${machine()}`);
console.log('| what | requests/s | p50 | p99 |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.title} | ${Math.round(r.rps)} | ${r.p50} ms | ${r.p99} ms |`);
if (!pgUrl) console.log('(set BENCH_DATABASE_URL=postgres://… to add a PostgreSQL run; it must point at an empty database)');
