// GET /api/v1/status with 200 projects × 6 environments × 100,000 deployments (target p95 ≤ 20 ms),
// one server process, sequential requests, beside GET /healthz on the same server (the floor).
// Requests go through node:http with a keep-alive agent: fetch spent more time of its own on a
// 600 KiB answer than the server did (docs/benchmarks.md); one row measures it with fetch too.
// Seeding goes straight to the tables (the server migrates first); the status endpoint reads the
// per-(project, environment) state table, which the seed fills as deployments would have.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, machine, percentile, requireBuild, ROOT, SERVER_MAIN, spawnUntilReady, stop, tempDir } from './_support.mjs';

requireBuild();
const PROJECTS = Number(process.env.PROJECTS ?? 200);
const ENVS = ['dev', 'qa', 'staging', 'beta', 'production', 'dr'];
const DEPLOYMENTS = Number(process.env.DEPLOYMENTS ?? 100_000);
const REQUESTS = Number(process.env.REQUESTS ?? 500);
const HEARTBEATS = Number(process.env.HEARTBEATS ?? 1200);
const TOKEN = 'slw_bench-status-token-0123456789';
const dist = (p) => pathToFileURL(path.join(ROOT, 'packages/server/dist', p)).href;
const { openDatabase } = await import(dist('db/connect.js'));

const iso = (ms) => new Date(ms).toISOString();
const id = (n) => `0${String(n).padStart(25, '0')}`.slice(-26);

async function insertAll(db, table, rows, batch = 500) {
  for (let i = 0; i < rows.length; i += batch) await db.insertInto(table).values(rows.slice(i, i + batch)).execute();
}

async function seed(target) {
  const started = Date.now();
  const database = await openDatabase(target);
  const db = database.db;
  const base = Date.parse('2025-01-01T00:00:00Z');
  await insertAll(db, 'environments', ENVS.map((key, i) => ({ id: id(900_000_000 + i), key, name: key, rank: (i + 1) * 10, protected: key === 'production' ? 1 : 0, color: '#64748b', settings: '{}', created_at: iso(base), updated_at: iso(base) })));
  const projects = Array.from({ length: PROJECTS }, (_, p) => ({ id: id(800_000_000 + p), key: `service-${String(p).padStart(3, '0')}`, name: `Service ${p}`, repository: `/srv/git/s${p}.git`, tag_template: 'v{version}', ticket_pattern: '[A-Z]+-\\d+', lifecycle: null, hotfix_lifecycle: null, initial_version: '1.0.0', created_at: iso(base), updated_at: iso(base) }));
  await insertAll(db, 'projects', projects);
  // Deployments spread over every (project, environment); the last two of each cell are current and previous.
  const cells = PROJECTS * ENVS.length;
  const last = new Map();
  const rows = [];
  for (let n = 0; n < DEPLOYMENTS; n++) {
    const cell = n % cells;
    const project = projects[Math.floor(cell / ENVS.length)];
    const env = ENVS[cell % ENVS.length];
    const round = Math.floor(n / cells);
    const at = iso(base + n * 1000);
    const row = {
      id: id(n + 1), project_id: project.id, project_key: project.key, environment_key: env, version: `1.${round}.0`, tag: `v1.${round}.0`, commit_sha: 'a'.repeat(40), kind: 'deploy', rollback_of: null,
      status: 'succeeded', phase: 'done', reason: null, override_reason: null, overridden: '[]', requested_by: 'bench', requested_by_id: null, approvals_required: 0, approval_roles: '[]', smoke: null, auto_rollback: 0,
      callback_token_hash: 'x', failure_reason: null, failure_target: null, in_flight_key: null, lease_owner: null, lease_expires_at: null, next_check_at: null, wake: 0, created_at: at, started_at: at, finished_at: at, updated_at: at,
    };
    rows.push(row);
    const key = `${project.id}/${env}`;
    last.set(key, [last.get(key)?.[1] ?? null, row]);
    if (rows.length === 5000) await insertAll(db, 'deployments', rows.splice(0));
  }
  await insertAll(db, 'deployments', rows);
  const landed = (r) => (r ? JSON.stringify({ deploymentId: r.id, version: r.version, tag: r.tag, commit: r.commit_sha, at: r.finished_at, by: r.requested_by }) : null);
  const states = [...last.entries()].map(([key, [previous, current]]) => {
    const [projectId, env] = key.split('/');
    return { project_id: projectId, environment_key: env, current: landed(current), previous: landed(previous), in_flight: null, targets: JSON.stringify({ default: JSON.parse(landed(current)) }), current_version: current.version, targets_differ: 0, updated_at: current.finished_at };
  });
  await insertAll(db, 'deployment_state', states);
  await database.close();
  return Date.now() - started;
}

/** 1,200 instances seen just now: one per cell, every tenth running another version (drift). */
async function seedHeartbeats(db) {
  const now = new Date().toISOString();
  const states = await db.selectFrom('deployment_state').select(['project_id', 'environment_key', 'current_version']).execute();
  const rows = states.slice(0, HEARTBEATS).map((s, i) => ({ project_id: s.project_id, environment_key: s.environment_key, instance: `i-${i}`, target_key: i % 3 === 0 ? 'default' : null, version: i % 10 === 0 ? '0.0.1' : s.current_version, seen_at: now, reporter: 'bench' }));
  await insertAll(db, 'heartbeats', rows);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** One request through node:http, the whole body read; a payload is sent as JSON. */
function request(method, url, headers, payload) {
  return new Promise((resolve, reject) => {
    const body = payload === undefined ? null : Buffer.from(JSON.stringify(payload));
    const req = http.request(url, { method, agent, headers: body ? { ...headers, 'content-type': 'application/json', 'content-length': body.length } : headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

const get = (url, headers) => request('GET', url, headers);

/** The same through fetch, as earlier runs of this benchmark measured. */
async function getWithFetch(url, headers) {
  const res = await fetch(url, { headers });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

async function measure(url, headers, between = async () => {}, client = get) {
  for (let i = 0; i < 50; i++) await client(url, headers);
  const times = [];
  let bytes = 0;
  for (let i = 0; i < REQUESTS; i++) {
    await between();
    const t0 = process.hrtime.bigint();
    const res = await client(url, headers);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${res.body.toString().slice(0, 200)}`);
    bytes = res.body.byteLength;
  }
  return { p50: percentile(times, 50), p95: percentile(times, 95), bytes };
}

async function run(label, extraEnv, target) {
  const dataDir = tempDir('slipway-bench-status-');
  const env = { SLIPWAY_DATA_DIR: dataDir, LOG_LEVEL: 'warn', SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, ...extraEnv };
  const start = async (more = {}) => {
    const port = await freePort();
    const server = await spawnUntilReady([SERVER_MAIN], { ...env, ...more, PORT: String(port) }, `http://127.0.0.1:${port}/readyz`);
    return { server, base: `http://127.0.0.1:${port}` };
  };
  await stop((await start()).server.child);
  const seedMs = await seed(target(dataDir));
  let { server, base } = await start();
  const database = await openDatabase(target(dataDir));
  try {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const status = await measure(`${base}/api/v1/status`, auth);
    const withFetch = await measure(`${base}/api/v1/status`, auth, undefined, getWithFetch);
    const one = await measure(`${base}/api/v1/status?project=service-042`, auth);
    const health = await measure(`${base}/healthz`, {});
    // Issue 15 §4: the matrix rebuilt on every request (another process moved the revision, as a
    // deployment anywhere does), and with 1,200 instances reporting within the drift window.
    const bump = () => database.db.updateTable('status_revision').set((eb) => ({ revision: eb('revision', '+', 1) })).where('id', '=', 1).execute();
    const invalidated = await measure(`${base}/api/v1/status`, auth, bump);
    await seedHeartbeats(database.db);
    // One more heartbeat reaches the server before every request, as when instances report all
    // the time: the server applies it to the instances it holds and reads them all again once a
    // second.
    const beat = async () => {
      const { status } = await request('POST', `${base}/api/v1/projects/service-000/environments/dev/heartbeat`, auth, { version: '0.0.9', instance: 'bench-probe' });
      if (status !== 202) throw new Error(`heartbeat: ${status}`);
    };
    const beats = await measure(`${base}/api/v1/status`, auth, beat);
    const both = await measure(`${base}/api/v1/status`, auth, async () => {
      await beat();
      await bump();
    });
    // The worst case, not the default: a server told to read the 1,200+ instances for every answer.
    await stop(server.child);
    ({ server, base } = await start({ SLIPWAY_STATUS_INSTANCES_REUSE_MS: '0' }));
    const reread = await measure(`${base}/api/v1/status`, auth, beat);
    return { label, seedMs, status, withFetch, one, health, invalidated, beats, both, reread };
  } finally {
    await database.close();
    await stop(server.child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const results = [await run('SQLite', {}, (dataDir) => ({ dialect: 'sqlite', file: path.join(dataDir, 'slipway.db') }))];
const pgUrl = process.env.BENCH_DATABASE_URL;
if (pgUrl) results.push(await run('PostgreSQL', { DATABASE_URL: pgUrl }, () => ({ dialect: 'postgres', url: pgUrl })));
console.log(`GET /api/v1/status, ${PROJECTS} projects × ${ENVS.length} environments × ${DEPLOYMENTS.toLocaleString('en')} deployments, ${REQUESTS} sequential requests after 50 warm-up, ${machine()}`);
console.log('| what | p50 | p95 | response |');
console.log('|---|---|---|---|');
const ms = (v) => `${v.toFixed(2)} ms`;
for (const r of results) {
  console.log(`| ${r.label}: GET /api/v1/status (all ${PROJECTS * ENVS.length} cells) | ${ms(r.status.p50)} | ${ms(r.status.p95)} | ${(r.status.bytes / 1024).toFixed(0)} KiB |`);
  console.log(`| ${r.label}: the same, measured with fetch | ${ms(r.withFetch.p50)} | ${ms(r.withFetch.p95)} | ${(r.withFetch.bytes / 1024).toFixed(0)} KiB |`);
  console.log(`| ${r.label}: GET /api/v1/status?project= (one project) | ${ms(r.one.p50)} | ${ms(r.one.p95)} | ${(r.one.bytes / 1024).toFixed(1)} KiB |`);
  console.log(`| ${r.label}: GET /api/v1/status, cache invalidated before each request | ${ms(r.invalidated.p50)} | ${ms(r.invalidated.p95)} | ${(r.invalidated.bytes / 1024).toFixed(0)} KiB |`);
  console.log(`| ${r.label}: GET /api/v1/status with ${HEARTBEATS} recent heartbeats, one more before each request | ${ms(r.beats.p50)} | ${ms(r.beats.p95)} | ${(r.beats.bytes / 1024).toFixed(0)} KiB |`);
  console.log(`| ${r.label}: GET /api/v1/status, heartbeats and cache invalidated | ${ms(r.both.p50)} | ${ms(r.both.p95)} | ${(r.both.bytes / 1024).toFixed(0)} KiB |`);
  console.log(`| ${r.label}: worst case, every instance re-read for each request (SLIPWAY_STATUS_INSTANCES_REUSE_MS=0) | ${ms(r.reread.p50)} | ${ms(r.reread.p95)} | ${(r.reread.bytes / 1024).toFixed(0)} KiB |`);
  console.log(`| ${r.label}: anchor GET /healthz, same server | ${ms(r.health.p50)} | ${ms(r.health.p95)} | - |`);
}
for (const r of results) {
  const cases = { cached: r.status, invalidated: r.invalidated, heartbeats: r.beats, both: r.both };
  const verdict = Object.entries(cases).map(([k, v]) => `${k} ${v.p95 <= 20 ? 'met' : 'NOT met'}`).join(', ');
  console.log(`${r.label}: seeded in ${(r.seedMs / 1000).toFixed(1)} s; target p95 ≤ 20 ms (default settings) → ${verdict}; worst case (re-read every request) p95 ${ms(r.reread.p95)}`);
}
if (!pgUrl) console.log('(set BENCH_DATABASE_URL=postgres://… to add a PostgreSQL run; it must point at an empty database)');
