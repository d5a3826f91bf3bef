// A flag change → every one of 1,000 SSE-connected clients (500 on each of 2 server processes on one
// PostgreSQL) has it: p50/p99 of the time from sending the change to each client reading the
// patch. Run with LISTEN/NOTIFY, then with Redis pub/sub (REDIS_URL, default redis://127.0.0.1:6379).
// Needs BENCH_DATABASE_URL or TEST_DATABASE_URL (a server to create a scratch database on).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import pg from 'pg';
import { freePort, machine, percentile, requireBuild, SERVER_MAIN, spawnUntilReady, stop, tempDir } from './_support.mjs';

requireBuild();
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!ADMIN_URL) {
  console.error('Set BENCH_DATABASE_URL or TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres).');
  process.exit(1);
}
const REDIS_URL = process.env.REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CLIENTS = Number(process.env.CLIENTS ?? 1000);
const CHANGES = Number(process.env.CHANGES ?? 20);
const WARMUP = 3;
const TOKEN = 'slw_bench-token-0123456789abcdef';

async function admin(sql) {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * One SSE client on a raw socket: the bench process reads 1,000 streams on a shared machine, so it
 * only looks for a marker in what arrives instead of parsing HTTP and JSON (an SDK does that in its own process).
 */
function connect(base, key, onData) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(`GET /api/v1/sdk/stream HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${key}\r\nAccept: text/event-stream\r\n\r\n`);
      resolve(socket);
    });
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

async function run(label, extraEnv) {
  const name = `slipway_bench_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const dataDir = tempDir('slipway-bench-fanout-');
  const env = { DATABASE_URL: url.toString(), SLIPWAY_DATA_DIR: dataDir, LOG_LEVEL: 'warn', SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, ...extraEnv };
  const servers = [];
  const sockets = [];
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
    await call('POST', '/api/v1/projects/web/flags', { key: 'new-checkout', variants: [{ key: 'on', value: true }, { key: 'off', value: false }] });
    const key = (await call('POST', '/api/v1/projects/web/environments/production/sdk-keys', { kind: 'server' })).key;

    let marker = '\u0000';
    let sentAt = 0;
    let pending = 0;
    let done = () => {};
    const latencies = [];
    let puts = 0;
    for (let i = 0; i < CLIENTS; i++) {
      const server = servers[i % 2];
      sockets.push(
        await connect(server.base, key, (chunk) => {
          if (chunk.includes('event: put')) puts++;
          if (pending === 0 || !chunk.includes(marker)) return;
          latencies.push(performance.now() - sentAt);
          if (--pending === 0) done();
        }),
      );
    }
    while (puts < CLIENTS) await new Promise((r) => setTimeout(r, 20));
    // The first changes compile route schemas and warm the JIT on both processes: not measured.
    for (let c = 1; c <= WARMUP + CHANGES; c++) {
      if (c === WARMUP + 1) latencies.length = 0;
      marker = `{"variant":"on","weight":${c}}`;
      pending = CLIENTS;
      const all = new Promise((resolve) => (done = resolve));
      sentAt = performance.now();
      await call('PUT', '/api/v1/projects/web/flags/new-checkout/environments/production', {
        enabled: true,
        offVariant: 'off',
        defaultServe: { split: [{ variant: 'on', weight: c }, { variant: 'off', weight: 100 - c }] },
      });
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`${pending} clients missed change ${c}`)), 30_000));
      await Promise.race([all, timeout]);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { label, n: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) };
  } finally {
    for (const s of sockets) s.destroy();
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
console.log(`flag change → ${CLIENTS} SSE clients over 2 server processes on one PostgreSQL, ${CHANGES} changes, ${machine()}`);
console.log('target: p99 ≤ 100 ms');
console.log('| fan-out | samples | p50 | p99 | max |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.label} | ${r.n} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.max.toFixed(1)} ms |`);
