// DORA and quality queries over 100,000 deployments and 50,000 bugs (target p95 ≤ 200 ms on SQLite
// and PostgreSQL), one server process, sequential requests, beside GET /healthz on the same server.
// Seeding goes straight to the tables (the server migrates first): 200 projects, each release going
// through 6 environments over two years, with failures, rollbacks and hotfixes, changelogs of 3
// commits, QA sign-offs; 50,000 bugs over the same two years.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, machine, percentile, requireBuild, ROOT, SERVER_MAIN, spawnUntilReady, stop, tempDir } from './_support.mjs';

requireBuild();
const PROJECTS = Number(process.env.PROJECTS ?? 200);
const ENVS = ['dev', 'qa', 'staging', 'beta', 'production', 'dr'];
const DEPLOYMENTS = Number(process.env.DEPLOYMENTS ?? 100_000);
const BUGS = Number(process.env.BUGS ?? 50_000);
const REQUESTS = Number(process.env.REQUESTS ?? 200);
const TOKEN = 'slw_bench-insights-token-0123456789';
const STAGES = ['staging', 'release-candidate', 'alpha', 'beta', 'push-to-production', 'production'];
const dist = (p) => pathToFileURL(path.join(ROOT, 'packages/server/dist', p)).href;
const { openDatabase } = await import(dist('db/connect.js'));

const DAY = 86_400_000;
const now = Date.now();
const start = now - 730 * DAY;
const iso = (ms) => new Date(ms).toISOString();
const id = (prefix, n) => `${prefix}${String(n).padStart(24, '0')}`;
let seedRandom = 42;
const random = () => ((seedRandom = (seedRandom * 1103515245 + 12345) % 2147483648) / 2147483648);

async function insertAll(db, table, rows, batch = 500) {
  for (let i = 0; i < rows.length; i += batch) await db.insertInto(table).values(rows.slice(i, i + batch)).execute();
}

async function seed(target) {
  const started = Date.now();
  const database = await openDatabase(target);
  const db = database.db;
  await insertAll(db, 'environments', ENVS.map((key, i) => ({ id: id('env', i), key, name: key, rank: (i + 1) * 10, protected: 0, color: '#64748b', settings: '{}', created_at: iso(start), updated_at: iso(start) })));
  const projects = Array.from({ length: PROJECTS }, (_, p) => ({ id: id('prj', p), key: `service-${String(p).padStart(3, '0')}`, name: `Service ${p}`, repository: `/srv/git/s${p}.git`, tag_template: 'v{version}', ticket_pattern: '[A-Z]+-\\d+', lifecycle: null, hotfix_lifecycle: null, initial_version: '1.0.0', created_at: iso(start), updated_at: iso(start) }));
  await insertAll(db, 'projects', projects);
  // Releases go dev → … → dr; each release makes one deployment per environment.
  const releasesPerProject = Math.ceil(DEPLOYMENTS / ENVS.length / PROJECTS);
  const span = (730 * DAY) / releasesPerProject;
  let releases = [];
  let deployments = [];
  let signoffs = [];
  let n = 0;
  for (const [p, project] of projects.entries()) {
    let previous = null;
    for (let r = 0; r < releasesPerProject && n < DEPLOYMENTS; r++) {
      const hotfix = r > 0 && random() < 0.05;
      const version = hotfix ? `1.${r - 1}.1` : `1.${r}.0`;
      const created = start + r * span + p * 1000;
      const commits = [0, 1, 2].map((c) => ({ sha: `${p}-${r}-${c}`.padEnd(40, '0'), type: c === 0 ? 'feat' : 'fix', scope: null, subject: `change ${c}`, breaking: false, author: { name: 'Dev', email: 'dev@example.com' }, time: iso(created - (c + 1) * 3_600_000 * (1 + random() * 20)), tickets: [`SVC-${p * 1000 + r * 3 + c}`] }));
      releases.push({ id: id('rel', n), project_id: project.id, version, tag: `v${version}`, commit_sha: commits[2].sha, kind: hotfix ? 'hotfix' : 'minor', parent_version: hotfix ? `1.${r - 1}.0` : null, previous_version: previous, ref: 'main', changelog: JSON.stringify(commits), tickets: JSON.stringify(commits.flatMap((c) => c.tickets)), idempotency_key: null, created_by: 'bench', created_at: iso(created) });
      if (!hotfix) previous = version;
      signoffs.push({ id: id('sgn', n), project_id: project.id, version, environment_key: null, kind: 'qa', decision: random() < 0.15 ? 'no-go' : 'go', comment: '', created_by: 'qa', created_at: iso(created + 3_600_000) });
      for (const [e, env] of ENVS.entries()) {
        if (n >= DEPLOYMENTS) break;
        const finished = created + (e + 1) * 6 * 3_600_000;
        const roll = random();
        const status = roll < 0.06 ? 'failed' : roll < 0.09 ? 'rolled_back' : 'succeeded';
        deployments.push({
          id: id('dep', n), project_id: project.id, project_key: project.key, environment_key: env, version, tag: `v${version}`, commit_sha: commits[2].sha, kind: roll > 0.995 ? 'rollback' : 'deploy', rollback_of: null,
          status, phase: 'done', reason: null, override_reason: null, overridden: '[]', requested_by: 'bench', requested_by_id: null, approvals_required: 0, approval_roles: '[]', smoke: null, auto_rollback: 0,
          callback_token_hash: 'x', failure_reason: status === 'failed' ? 'target_failed' : null, failure_target: null, in_flight_key: null, lease_owner: null, lease_expires_at: null, next_check_at: null, wake: 0,
          created_at: iso(finished - 600_000), started_at: iso(finished - 600_000), finished_at: iso(finished), updated_at: iso(finished),
        });
        n++;
      }
      if (deployments.length >= 5000) {
        await insertAll(db, 'releases', releases.splice(0));
        await insertAll(db, 'signoffs', signoffs.splice(0));
        await insertAll(db, 'deployments', deployments.splice(0));
      }
    }
  }
  await insertAll(db, 'releases', releases);
  await insertAll(db, 'signoffs', signoffs);
  await insertAll(db, 'deployments', deployments);
  const bugs = [];
  for (let b = 0; b < BUGS; b++) {
    const project = projects[b % PROJECTS];
    const at = start + random() * 730 * DAY;
    const stage = STAGES[Math.floor(random() * STAGES.length)];
    bugs.push({ id: id('bug', b), project_id: project.id, project_key: project.key, title: `bug ${b}`, ticket: `BUG-${b}`, severity: 'medium', found_in: stage, version: random() < 0.5 ? `1.${Math.floor(random() * releasesPerProject)}.0` : null, regression: random() < 0.2 ? 1 : 0, found_at: iso(at), source: 'api', fixed_in: null, fixed_at: null, created_by: 'bench', created_at: iso(at), updated_at: iso(at) });
    if (bugs.length === 5000) await insertAll(db, 'bugs', bugs.splice(0), 250);
  }
  await insertAll(db, 'bugs', bugs, 250);
  await database.close();
  return Date.now() - started;
}

async function once(url, headers) {
  const t0 = process.hrtime.bigint();
  const res = await fetch(url, { headers });
  const body = await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${Buffer.from(body).toString().slice(0, 300)}`);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes: body.byteLength };
}

async function measure(url, headers, requests = REQUESTS) {
  for (let i = 0; i < 10; i++) await once(url, headers);
  const times = [];
  let bytes = 0;
  for (let i = 0; i < requests; i++) {
    const r = await once(url, headers);
    times.push(r.ms);
    bytes = r.bytes;
  }
  return { p50: percentile(times, 50), p95: percentile(times, 95), bytes };
}

const QUERIES = [
  ['DORA, all projects, production, last 90 days, weekly trend', '/api/v1/insights/dora?environment=production'],
  ['DORA, one project, production, last 90 days', '/api/v1/insights/dora?project=service-042'],
  ['DORA, all projects, production, two years, monthly trend', `/api/v1/insights/dora?environment=production&from=${iso(start).slice(0, 10)}&interval=month`],
  ['quality, all projects, last 8 weeks', '/api/v1/insights/quality'],
  ['quality, one project, last 8 weeks', '/api/v1/insights/quality?project=service-042'],
  ['quality, all projects, one year, weekly (25,000 bugs)', `/api/v1/insights/quality?from=${iso(now - 365 * DAY).slice(0, 10)}`],
];

async function run(label, extraEnv, target) {
  const dataDir = tempDir('slipway-bench-insights-');
  const env = { SLIPWAY_DATA_DIR: dataDir, LOG_LEVEL: 'warn', SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, ...extraEnv };
  let port = await freePort();
  let server = await spawnUntilReady([SERVER_MAIN], { ...env, PORT: String(port) }, `http://127.0.0.1:${port}/readyz`);
  await stop(server.child);
  const seedMs = await seed(target(dataDir));
  port = await freePort();
  server = await spawnUntilReady([SERVER_MAIN], { ...env, PORT: String(port) }, `http://127.0.0.1:${port}/readyz`);
  try {
    const base = `http://127.0.0.1:${port}`;
    const headers = { authorization: `Bearer ${TOKEN}` };
    // The first query of a range walks the release history once to fill the lead-time table.
    const cold = await once(`${base}${QUERIES[2][1]}`, headers);
    const rows = [];
    for (const [name, url] of QUERIES) rows.push({ name, ...(await measure(`${base}${url}`, headers)) });
    const health = await measure(`${base}/healthz`, {});
    return { label, seedMs, cold, rows, health };
  } finally {
    await stop(server.child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const results = [await run('SQLite', {}, (dataDir) => ({ dialect: 'sqlite', file: path.join(dataDir, 'slipway.db') }))];
const pgUrl = process.env.BENCH_DATABASE_URL;
if (pgUrl) results.push(await run('PostgreSQL', { DATABASE_URL: pgUrl }, () => ({ dialect: 'postgres', url: pgUrl })));
console.log(`insights over ${DEPLOYMENTS.toLocaleString('en')} deployments (${PROJECTS} projects × ${ENVS.length} environments, two years) and ${BUGS.toLocaleString('en')} bugs; ${REQUESTS} sequential requests per query after 10 warm-up; ${machine()}`);
console.log('| what | p50 | p95 | response |');
console.log('|---|---|---|---|');
const ms = (v) => `${v.toFixed(1)} ms`;
for (const r of results) {
  for (const q of r.rows) console.log(`| ${r.label}: ${q.name} | ${ms(q.p50)} | ${ms(q.p95)} | ${(q.bytes / 1024).toFixed(1)} KiB |`);
  console.log(`| ${r.label}: anchor GET /healthz, same server | ${ms(r.health.p50)} | ${ms(r.health.p95)} | - |`);
}
for (const r of results) {
  const worst = Math.max(...r.rows.map((q) => q.p95));
  console.log(`${r.label}: seeded in ${(r.seedMs / 1000).toFixed(1)} s; first two-year DORA query (fills the lead-time table for ${Math.round(DEPLOYMENTS / ENVS.length).toLocaleString('en')} production deployments) ${ms(r.cold.ms)}; worst p95 ${ms(worst)} → target p95 ≤ 200 ms ${worst <= 200 ? 'met' : 'NOT met'}`);
}
if (!pgUrl) console.log('(set BENCH_DATABASE_URL=postgres://… to add a PostgreSQL run; it must point at an empty database)');
