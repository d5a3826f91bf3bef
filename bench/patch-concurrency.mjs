// Concurrent PATCHes of ONE environment row on PostgreSQL (issue 11 §1), with the row locks and
// without them (the behaviour before the fix, as the anchor, same run):
//  1. throughput: CONNECTIONS clients PATCH the same row (`rank`) back to back for SECONDS;
//     requests/s and latency percentiles;
//  2. lost changes: ROUNDS rounds of four PATCHes at once, each to another field (name, colour,
//     rank, a freeze) with that round's value; then GET and count the values that are not there.
// Needs BENCH_DATABASE_URL or TEST_DATABASE_URL (a server to create a scratch database on).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort, machine, percentile, requireBuild, spawnUntilReady, stop, tempDir } from './_support.mjs';

requireBuild();
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!ADMIN_URL) {
  console.error('Set BENCH_DATABASE_URL or TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres).');
  process.exit(1);
}
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 16);
const SECONDS = Number(process.env.SECONDS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 200);
const TOKEN = 'slw_bench-patch-token-0123456789abcdef';
const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), '_patch-server.mjs');

async function admin(sql) {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function call(base, method, url, body) {
  const res = await fetch(`${base}${url}`, { method, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined && { 'content-type': 'application/json' }) }, ...(body !== undefined && { body: JSON.stringify(body) }) });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function run(label, extraEnv) {
  const name = `slipway_bench_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const dataDir = tempDir('slipway-bench-patch-');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { PORT: String(port), DATABASE_URL: url.toString(), SLIPWAY_DATA_DIR: dataDir, LOG_LEVEL: 'warn', SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, SLIPWAY_REPO_REFRESH_MS: '0', ...extraEnv };
  const { child } = await spawnUntilReady([SERVER], env, `${base}/readyz`);
  try {
    await call(base, 'POST', '/api/v1/environments', { key: 'bench' });

    // 1. Throughput on one row.
    const latencies = [];
    let errors = 0;
    const deadline = Date.now() + SECONDS * 1000;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, c) => {
        for (let i = 0; Date.now() < deadline; i++) {
          const t0 = process.hrtime.bigint();
          try {
            await call(base, 'PATCH', '/api/v1/environments/bench', { rank: c * 1000 + (i % 1000) });
          } catch (error) {
            if (errors++ === 0) console.error(`first error (${label}): ${error.message}`);
          }
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;

    // 2. Lost changes: four fields changed at once per round.
    let lost = 0;
    let roundsLosing = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const want = {
        name: `Bench ${round}`,
        color: `#${(0x100000 + round).toString(16)}`,
        rank: round,
        reason: `train ${round}`,
      };
      await Promise.all([
        call(base, 'PATCH', '/api/v1/environments/bench', { name: want.name }),
        call(base, 'PATCH', '/api/v1/environments/bench', { color: want.color }),
        call(base, 'PATCH', '/api/v1/environments/bench', { rank: want.rank }),
        call(base, 'PATCH', '/api/v1/environments/bench', { freezes: [{ from: '2030-01-01T00:00:00Z', to: '2030-01-02T00:00:00Z', reason: want.reason }] }),
      ]);
      const now = await call(base, 'GET', '/api/v1/environments/bench');
      const missing = [now.name !== want.name, now.color !== want.color, now.rank !== want.rank, now.freezes?.[0]?.reason !== want.reason].filter(Boolean).length;
      lost += missing;
      if (missing > 0) roundsLosing++;
    }
    return {
      label,
      requests: latencies.length,
      rps: latencies.length / seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      errors,
      lost,
      roundsLosing,
    };
  } finally {
    await stop(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

const rows = [await run('row locks (issue 11)', {}), await run('anchor: no row locks (before issue 11)', { NO_ROW_LOCKS: '1' })];
console.log(`PATCH /api/v1/environments/bench on PostgreSQL, one server process; ${machine()}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`throughput: ${CONNECTIONS} clients × ${SECONDS} s on one row; lost changes: ${ROUNDS} rounds × 4 fields at once (${ROUNDS * 4} changes)`);
console.log('| server | PATCH/s | p50 ms | p99 ms | errors | changes lost | rounds losing one |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.label} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} | ${r.lost} of ${ROUNDS * 4} | ${r.roundsLosing} of ${ROUNDS} |`);
}
