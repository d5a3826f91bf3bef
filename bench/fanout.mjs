// A flag change → every one of 1,000 REAL Node SDK clients (500 per replica, 2 server processes on
// one PostgreSQL) spread over WORKERS processes: each client receives the patch on its own event
// stream, parses and applies it, recompiles its rule set and evaluates the flag; the figure is the
// time from sending the change to each client answering the new value (p50/p99 over 20 changes).
// Run with LISTEN/NOTIFY, then with Redis pub/sub (REDIS_URL, default redis://127.0.0.1:6379).
// Needs BENCH_DATABASE_URL or TEST_DATABASE_URL (a server to create a scratch database on).
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, machine, percentile, requireBuild, ROOT, SERVER_MAIN, spawnUntilReady, stop, tempDir } from './_support.mjs';

requireBuild();
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!ADMIN_URL) {
  console.error('Set BENCH_DATABASE_URL or TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres).');
  process.exit(1);
}
const REDIS_URL = process.env.REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CLIENTS = Number(process.env.CLIENTS ?? 1000);
// As many client processes as cores by default: the clients of a real fleet run on other machines,
// and more CPU-bound processes than cores here measures the scheduler, not the fan-out.
const WORKERS = Number(process.env.WORKERS ?? Math.max(2, os.cpus().length));
const CHANGES = Number(process.env.CHANGES ?? 20);
const OTHER_FLAGS = Number(process.env.OTHER_FLAGS ?? 50); // the rest of a realistic rule set, unchanged
// Changes not measured: V8 is still optimizing the clients' and servers' code during the first ones
// (with --trace-opt, a worker compiled 26, 36, 34, 21, 9 and 7 functions during changes 1–6, then
// 0–6): those are reported apart, as "settling", not in the figure.
const WARMUP = Number(process.env.WARMUP ?? 8);
const FIRST_SETTLING = 4; // what an earlier version of this bench measured from
const FLAG = 'checkout-flavor';
const TOKEN = 'slw_bench-token-0123456789abcdef';
const now = () => performance.timeOrigin + performance.now();

async function admin(sql) {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Resolves with the next message of `type` from each worker. */
function fromAll(workers, type, timeoutMs = 60_000) {
  return Promise.all(
    workers.map(
      (w) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`a worker sent no ${type} in ${timeoutMs} ms`)), timeoutMs);
          const on = (m) => {
            if (m.type !== type) return;
            clearTimeout(timer);
            w.off('message', on);
            resolve(m);
          };
          w.on('message', on);
        }),
    ),
  );
}

async function run(label, extraEnv) {
  const name = `slipway_bench_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const dataDir = tempDir('slipway-bench-fanout-');
  const env = { DATABASE_URL: url.toString(), SLIPWAY_DATA_DIR: dataDir, LOG_LEVEL: 'warn', SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, ...extraEnv };
  const servers = [];
  const workers = [];
  try {
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const { child } = await spawnUntilReady([SERVER_MAIN], { ...env, PORT: String(port) }, `${base}/readyz`);
      servers.push({ base, child });
    }
    const [a] = servers;
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const call = async (method, path, body) => {
      const res = await fetch(`${a.base}${path}`, { method, headers, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    await call('POST', '/api/v1/environments', { key: 'production', rank: 10 });
    await call('POST', '/api/v1/projects', { key: 'web', repository: '/srv/git/web.git', verify: false });
    const variants = [
      { key: 'a', value: 'standard' },
      { key: 'b', value: 'dedicated' },
    ];
    await call('POST', '/api/v1/projects/web/flags', { key: FLAG, variants });
    for (let i = 0; i < OTHER_FLAGS; i++) {
      await call('POST', '/api/v1/projects/web/flags', { key: `flag-${i}`, variants: [{ key: 'on', value: true }, { key: 'off', value: false }] });
      await call('PUT', `/api/v1/projects/web/flags/flag-${i}/environments/production`, {
        enabled: true,
        offVariant: 'off',
        rules: [{ conditions: [{ attribute: 'company', operator: 'in', values: ['acme', `c${i}`] }], serve: { variant: 'on' } }],
        defaultServe: { split: [{ variant: 'on', weight: 25 }, { variant: 'off', weight: 75 }] },
      });
    }
    const key = (await call('POST', '/api/v1/projects/web/environments/production/sdk-keys', { kind: 'server' })).key;

    const per = Math.ceil(CLIENTS / WORKERS);
    for (let w = 0; w < WORKERS; w++) {
      const count = Math.min(per, CLIENTS - w * per);
      const args = JSON.stringify({ root: ROOT, urls: servers.map((s) => s.base), key, count, offset: w * per, flag: FLAG });
      const execArgv = process.env.PROFILE_WORKERS ? ['--cpu-prof', '--cpu-prof-interval', process.env.PROFILE_INTERVAL ?? '100', `--cpu-prof-dir=${process.env.PROFILE_WORKERS}`] : [];
      workers.push(fork(path.join(ROOT, 'bench/_fanout-worker.mjs'), [args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv }));
    }
    const ready = await fromAll(workers, 'ready', 120_000);
    if (!ready.every((r) => r.ok)) throw new Error('some clients never got a rule set');

    const latencies = [];
    const puts = [];
    const byReplica = [];
    const byWorker = [];
    const workerCpu = [];
    const settling = [];
    // The first changes warm the JIT on the servers and in every client: not measured.
    for (let c = 1; c <= WARMUP + CHANGES; c++) {
      const variant = c % 2 === 1 ? 'b' : 'a';
      const expected = variants.find((v) => v.key === variant).value;
      for (const w of workers) w.send({ type: 'expect', value: expected });
      await fromAll(workers, 'expecting');
      const arrivals = fromAll(workers, 'arrivals');
      const sentAt = now();
      await call('PUT', `/api/v1/projects/web/flags/${FLAG}/environments/production`, { enabled: true, defaultServe: { variant } });
      const answeredAt = now();
      const got = await arrivals;
      if (c >= FIRST_SETTLING && c <= WARMUP) for (const g of got) for (const [t] of g.arrivals) settling.push(t - sentAt);
      if (c > WARMUP) {
        puts.push(answeredAt - sentAt);
        for (const g of got) workerCpu.push(g.cpuMs);
        got.forEach((g, w) => {
          for (const [t, replica] of g.arrivals) {
            latencies.push(t - sentAt);
            (byReplica[replica] ??= []).push(t - sentAt);
            (byWorker[w] ??= []).push(t - sentAt);
          }
        });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const p = (list, q) => percentile(list, q).toFixed(1);
    const detail = [
      `the change request itself answered in p50 ${p(puts, 50)} ms`,
      ...byReplica.map((l, r) => `clients of replica ${r === 0 ? 'A (took the change)' : 'B (told by the fan-out)'}: p50 ${p(l, 50)}, p99 ${p(l, 99)} ms`),
      `per worker process p99: ${byWorker.map((l) => p(l, 99)).join(', ')} ms`,
      `CPU of a worker (${Math.ceil(CLIENTS / WORKERS)} clients) per change: p50 ${p(workerCpu, 50)} ms`,
      ...(settling.length > 0 ? [`changes ${FIRST_SETTLING}–${WARMUP} (JIT settling, not in the figure): p50 ${p(settling, 50)}, p99 ${p(settling, 99)} ms`] : []),
    ];
    return { label, n: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies), detail };
  } finally {
    for (const w of workers) {
      w.send({ type: 'stop' });
      await new Promise((r) => (w.exitCode !== null ? r() : w.once('exit', r)));
    }
    for (const s of servers) await stop(s.child);
    fs.rmSync(dataDir, { recursive: true, force: true });
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

const rows = [await run('PostgreSQL LISTEN/NOTIFY', {})];
try {
  rows.push(await run(`Redis pub/sub (${REDIS_URL})`, { REDIS_URL }));
} catch (error) {
  console.error(`Redis run skipped: ${error.message}`);
}
console.log(
  `flag change → ${CLIENTS} real Node SDK clients (parse, apply, recompile ${OTHER_FLAGS + 1} flags, evaluate) in ${WORKERS} processes, over 2 server processes on one PostgreSQL, ${CHANGES} changes after ${WARMUP} unmeasured; ${machine()}`,
);
console.log('target: p99 ≤ 100 ms');
console.log('| fan-out | samples | p50 | p99 | max |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.label} | ${r.n} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.max.toFixed(1)} ms |`);
for (const r of rows) console.log(`\n${r.label}: ${r.detail.join('; ')}`);
