// Rollouts: (1) decision overhead of one ticker tick over 1,000 active rollouts (CPU of the server
// process; anchor: the pure engine making the same decisions without I/O); (2) detection latency
// from breach to rollback decision on a simulated clock (anchor: the template's interval); (3) the
// same against a real Prometheus in real time; (4) ingestion throughput of POST /api/v1/metrics on
// SQLite (and PostgreSQL with DATABASE_URL), anchor: GET /healthz of the same process, same load.
//   npm run bench -- rollouts            (PART=tick|simulated|prometheus|ingestion to run one)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { git, makeRepository } from './_git.mjs';
import { freePort, machine, median, requireBuild, ROOT, SERVER_MAIN, spawnUntilReady, stop, tempDir } from './_support.mjs';

requireBuild();
const PART = process.env.PART ?? 'all';
const ROLLOUTS = Number(process.env.ROLLOUTS ?? 1000);
const dist = (p) => pathToFileURL(path.join(ROOT, 'packages/server/dist', p)).href;
const { compose } = await import(dist('composition.js'));
const { openDatabase, migrate } = await import(dist('db/connect.js'));
const { ManualClock } = await import(dist('shared/clock.js'));
const { systemContext } = await import(dist('auth/actor.js'));
const engine = await import(pathToFileURL(path.join(ROOT, 'packages/rollout-engine/dist/index.js')).href);
const ctx = systemContext();
const BOOL = [{ key: 'on', value: true }, { key: 'off', value: false }];
const cpuMs = (u) => (u.user + u.system) / 1000;

async function composed(label) {
  const dir = tempDir(`slipway-bench-rollouts-${label}-`);
  const database = process.env.DATABASE_URL && label.endsWith('pg') ? await openDatabase({ dialect: 'postgres', url: process.env.DATABASE_URL }) : await openDatabase({ dialect: 'sqlite', file: path.join(dir, 'slipway.db') });
  await migrate(database.db);
  const clock = new ManualClock('2026-01-05T10:00:00.000Z');
  const services = compose({ database, dataDir: dir, clock });
  return { services, clock, close: async () => (await database.close(), fs.rmSync(dir, { recursive: true, force: true })) };
}

async function setup(s, flags, env = 'production') {
  await s.environments.create(ctx, { key: env, rank: 10 });
  await s.projects.create(ctx, { key: 'shop', repository: '/srv/git/shop.git', verify: false });
  for (let i = 0; i < flags; i++) {
    await s.flags.create(ctx, 'shop', { key: `f${i}`, variants: BOOL });
    await s.flags.configure(ctx, 'shop', `f${i}`, env, { enabled: true, offVariant: 'off', defaultServe: { variant: 'off' } });
  }
}

async function report(s, minuteRates, flags) {
  const points = [];
  for (let i = 0; i < flags; i++) for (const [variant, rate] of Object.entries(minuteRates)) points.push({ flag: `f${i}`, variant, requests: 1000, errors: Math.round(1000 * rate), latencyMs: 40 });
  for (let i = 0; i < points.length; i += 1000) await s.rollouts.ingestion.ingest({ projectKey: 'shop', environmentKey: 'production' }, points.slice(i, i + 1000));
}

async function tickAll(s) {
  let total = 0;
  for (let n; (n = await s.rollouts.ticker.runOnce()) > 0; ) total += n;
  return total;
}

async function partTick(label) {
  const { services: s, clock, close } = await composed(label);
  await setup(s, ROLLOUTS);
  for (let i = 0; i < ROLLOUTS; i++) await s.rollouts.service.startFlagRollout(ctx, 'shop', `f${i}`, 'production', { variant: 'on', plan: 'standard-canary' });
  await tickAll(s); // weight 5 applied everywhere (flag changes, not measured)
  const rows = [];
  for (let minute = 1; minute <= 3; minute++) {
    clock.advance(60_000);
    await report(s, { on: 0.001, off: 0.001 }, ROLLOUTS);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const n = await tickAll(s);
    rows.push({ n, cpu: cpuMs(process.cpuUsage(cpu0)), wall: performance.now() - t0 });
  }
  // Anchor: the engine's own decisions for the same rollouts, no I/O (judge + record + advance).
  const spec = (await s.uow.reads.rollouts.get((await s.uow.reads.rollouts.page((await s.uow.reads.projects.get('shop')).id, { beforeId: null, limit: 1 }))[0].id)).spec;
  const states = [];
  for (let i = 0; i < ROLLOUTS; i++) states.push(engine.acknowledge(spec, engine.startRollout(spec, 0).state, 0).state);
  const e0 = process.cpuUsage();
  for (let i = 0; i < ROLLOUTS; i++) {
    let st = states[i];
    for (const d of engine.dueMeasurements(spec, st, 60_000)) {
      const j = engine.judge(d.metric, { value: 0.001, baseline: 0.001 });
      st = engine.recordMeasurement(spec, st, { runId: d.runId, metric: d.metric.name, seq: d.seq, at: 60_000, phase: j.phase, value: 0.001, baseline: 0.001, message: j.message }).state;
    }
    engine.advance(spec, st, 60_000);
  }
  const engineCpu = cpuMs(process.cpuUsage(e0));
  await close();
  const best = rows.reduce((a, b) => (a.cpu < b.cpu ? a : b));
  console.log(`tick of ${best.n} active rollouts (${label}; standard-canary, 3 background metrics each, one measurement per metric due): CPU ${best.cpu.toFixed(0)} ms, wall ${best.wall.toFixed(0)} ms (best of ${rows.length}; all: ${rows.map((r) => r.cpu.toFixed(0)).join(', ')} ms CPU) | anchor, the engine alone: ${engineCpu.toFixed(1)} ms CPU | target ≤ 1000 ms CPU`);
}

async function partSimulated() {
  const { services: s, clock, close } = await composed('sim');
  await setup(s, 1);
  const r = await s.rollouts.service.startFlagRollout(ctx, 'shop', 'f0', 'production', { variant: 'on', plan: 'standard-canary' });
  const results = [];
  const step = 5_000;
  let rates = { on: 0.001, off: 0.001 };
  let breachAt = null;
  let lastReportMinute = -1;
  for (let t = 0; t < 4 * 3_600_000; t += step) {
    clock.advance(step);
    const minute = Math.floor(clock.now().getTime() / 60_000);
    if (minute !== lastReportMinute) {
      await report(s, rates, 1);
      lastReportMinute = minute;
    }
    await tickAll(s);
    const state = (await s.uow.reads.rollouts.get(r.id)).state;
    if (state.weight === 25 && breachAt === null) {
      rates = { on: 0.05, off: 0.001 };
      breachAt = clock.now().getTime();
    }
    if (state.status === 'rolled_back') {
      const decided = (await s.uow.reads.rollouts.decisions(r.id)).find((d) => d.type === 'rolled_back').at;
      // The template's condition is "error rate > 1 % for 5 consecutive minutes": it holds 5 minutes after the breach starts.
      results.push({ fromErrors: decided - breachAt, fromCondition: decided - (breachAt + 5 * 60_000) });
      break;
    }
  }
  await close();
  const x = results[0];
  console.log(`detection on a simulated clock (error-rate-absolute-5m, interval 1m, ticks every 5 s): rollback decided ${(x.fromErrors / 60_000).toFixed(2)} min after the errors started, ${(x.fromCondition / 1000).toFixed(0)} s = ${(x.fromCondition / 60_000).toFixed(2)} intervals after "> 1 % for 5 minutes" first held | anchor: the interval, 60 s | target ≤ 2 intervals`);
}

/**
 * (5) A canary deployment judged by ingested metrics per version: the shipped plan, a real webhook
 * executor on 127.0.0.1, errors of the canary version from 25 % on; simulated clock for the
 * analysis, wall clock from the tick that decides the rollback to the receiver's `rollback` call.
 * Anchor: the flag rollout of part (2), same template, same clock steps.
 */
async function partCanary() {
  const { services: s, clock, close } = await composed('canary');
  const dir = tempDir('slipway-bench-canary-git-');
  const { remote, work } = makeRepository(dir);
  const calls = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const j = JSON.parse(body);
      calls.push({ at: performance.now(), action: j.action, weight: j.weight });
      res.writeHead(j.strategy === 'canary' ? 200 : 202).end('{}');
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${receiver.address().port}/deploy`;
  await s.environments.create(ctx, { key: 'production', rank: 10 });
  await s.environments.update(ctx, 'production', { targets: [{ key: 'web', executor: { type: 'webhook', url, secret: 'bench-canary-secret-0123456789' } }] });
  await s.projects.create(ctx, { key: 'shop', repository: remote, lifecycle: ['production'] });
  const v1 = (await s.releases.create(ctx, 'shop', {})).release.version;
  const first = await s.deployments.service.request(ctx, 'shop', { version: v1, environment: 'production' });
  await s.deployments.runner.runOnce();
  await s.deployments.reports.report(ctx, first.deployment.id, { target: 'web', status: 'succeeded' }, false);
  await s.deployments.runner.runOnce();
  git(work, ['commit', '--quiet', '--allow-empty', '-m', 'fix: the next version']);
  git(work, ['push', '--quiet', 'origin', 'main']);
  const v2 = (await s.releases.create(ctx, 'shop', {})).release.version;
  const { deployment } = await s.deployments.service.request(ctx, 'shop', { version: v2, environment: 'production', strategy: 'canary' });
  await s.deployments.runner.runOnce();
  const rolloutId = deployment.canary.rolloutId;
  let rates = { [v1]: 0.001, [v2]: 0.001 };
  let breachAt = null;
  let lastReportMinute = -1;
  let result = null;
  for (let t = 0; t < 4 * 3_600_000 && !result; t += 5_000) {
    clock.advance(5_000);
    const minute = Math.floor(clock.now().getTime() / 60_000);
    if (minute !== lastReportMinute) {
      await s.rollouts.ingestion.ingest({ projectKey: 'shop', environmentKey: 'production' }, Object.entries(rates).map(([version, rate]) => ({ version, requests: 1000, errors: Math.round(1000 * rate), latencyMs: 40 })));
      lastReportMinute = minute;
    }
    const tickStart = performance.now();
    await tickAll(s);
    const state = (await s.uow.reads.rollouts.get(rolloutId)).state;
    if (state.weight === 25 && breachAt === null) {
      rates = { [v1]: 0.001, [v2]: 0.05 };
      breachAt = clock.now().getTime();
    }
    if (state.status === 'rolled_back') {
      const decided = (await s.uow.reads.rollouts.decisions(rolloutId)).find((d) => d.type === 'rolled_back').at;
      const rollback = calls.find((c) => c.action === 'rollback');
      const d = await s.deployments.service.get(deployment.id);
      result = { fromErrors: decided - breachAt, fromCondition: decided - (breachAt + 5 * 60_000), toReceiver: rollback ? rollback.at - tickStart : NaN, status: d.status, calls: calls.slice(1).map((c) => `${c.action} ${c.weight}`).join(', ') };
    }
  }
  await new Promise((r) => receiver.close(r));
  await close();
  fs.rmSync(dir, { recursive: true, force: true });
  const x = result;
  console.log(`canary deployment, ingestion by version (error-rate-absolute-5m, interval 1m, ticks every 5 s): rollback decided ${(x.fromErrors / 60_000).toFixed(2)} min after the canary's errors started, ${(x.fromCondition / 1000).toFixed(0)} s after "> 1 % for 5 minutes" first held; the receiver had set-weight 0 + rollback ${x.toReceiver.toFixed(0)} ms (wall) after the start of the deciding tick; deployment ${x.status}; calls: ${x.calls} | anchor: the flag rollout above`);
}

async function partPrometheus() {
  if (!spawnSync('sh', ['-c', 'command -v prometheus']).stdout.toString().trim()) return console.log('detection with Prometheus: skipped, prometheus is not installed (apt-get install -y prometheus)');
  // A demo service exposing counters, scraped every second.
  let rate = 0;
  let requests = 0;
  let errors = 0;
  let carry = 0;
  const timer = setInterval(() => {
    requests += 20;
    carry += 20 * rate;
    errors += Math.floor(carry);
    carry -= Math.floor(carry);
  }, 100);
  const demo = http.createServer((req, res) => res.writeHead(200).end(`demo_requests_total{variant="on"} ${requests}\ndemo_errors_total{variant="on"} ${errors}\n`));
  await new Promise((r) => demo.listen(0, '127.0.0.1', r));
  const dir = tempDir('slipway-bench-prom-');
  const port = await freePort();
  fs.writeFileSync(path.join(dir, 'p.yml'), `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: demo\n    static_configs:\n      - targets: ['127.0.0.1:${demo.address().port}']\n`);
  const prom = spawn('prometheus', [`--config.file=${path.join(dir, 'p.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'], { stdio: 'ignore' });
  const promUrl = `http://127.0.0.1:${port}`;
  for (;;) {
    const ok = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent('sum(rate(demo_requests_total[3s]))')}`).then((r) => r.json()).then((j) => j.data?.result?.length > 0, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const INTERVAL_S = 5;
  const runs = [];
  for (let run = 0; run < 3; run++) {
    const { services: s, close } = await (async () => {
      const d = tempDir('slipway-bench-promdb-');
      const database = await openDatabase({ dialect: 'sqlite', file: path.join(d, 'db') });
      await migrate(database.db);
      const services = compose({ database, dataDir: d, clock: { now: () => new Date() } });
      return { services, close: async () => (await database.close(), fs.rmSync(d, { recursive: true, force: true })) };
    })();
    await setup(s, 1);
    await s.rollouts.analysis.createTemplate(ctx, 'shop', {
      name: 'prom',
      metrics: [{ name: 'ratio', provider: { prometheus: { address: promUrl, query: 'sum(rate(demo_errors_total{variant="{{variant}}"}[3s])) / sum(rate(demo_requests_total{variant="{{variant}}"}[3s]))' } }, interval: `${INTERVAL_S}s`, failureCondition: 'result > 0.1', failureLimit: 0 }],
    });
    rate = 0;
    // The previous run's errors must have left the query's window before this run starts.
    for (;;) {
      const v = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent('sum(rate(demo_errors_total[3s]))')}`).then((x) => x.json()).then((j) => Number(j.data?.result?.[0]?.value?.[1] ?? 1));
      if (v === 0) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    const r = await s.rollouts.service.startFlagRollout(ctx, 'shop', 'f0', 'production', { variant: 'on', plan: { steps: [{ setWeight: 20 }, { pause: { duration: '1h' } }] }, analysis: { templates: ['prom'] } });
    const until = Date.now() + 1000 + Math.random() * INTERVAL_S * 1000;
    while (Date.now() < until) {
      await tickAll(s);
      await new Promise((res) => setTimeout(res, 50));
    }
    rate = 0.5;
    const breach = Date.now();
    for (;;) {
      await tickAll(s);
      if ((await s.uow.reads.rollouts.get(r.id)).state.status === 'rolled_back') break;
      await new Promise((res) => setTimeout(res, 50));
    }
    const decided = (await s.uow.reads.rollouts.decisions(r.id)).find((d) => d.type === 'rolled_back').at;
    runs.push(decided - breach);
    await close();
  }
  clearInterval(timer);
  prom.kill('SIGTERM');
  demo.close();
  await new Promise((r) => prom.once('exit', r));
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`detection with a real Prometheus (scrape 1 s, rate over 3 s, interval ${INTERVAL_S} s, failureLimit 0; breach at a random point of the interval): ${runs.map((x) => (x / 1000).toFixed(1)).join(', ')} s, median ${(median(runs) / 1000).toFixed(1)} s = ${(median(runs) / 1000 / INTERVAL_S).toFixed(2)} intervals | anchor: the interval, ${INTERVAL_S} s | target ≤ 2 intervals`);
}

async function partIngestion(dialect) {
  if (dialect === 'postgres' && !process.env.DATABASE_URL) return console.log('ingestion on PostgreSQL: skipped (set DATABASE_URL to a scratch database)');
  const TOKEN = 'slw_bench-rollouts-token-0123456789';
  const dir = tempDir('slipway-bench-ingest-');
  const port = await freePort();
  const env = { PORT: String(port), SLIPWAY_DATA_DIR: dir, LOG_LEVEL: 'warn', SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, ...(dialect === 'postgres' && { DATABASE_URL: process.env.DATABASE_URL }) };
  const base = `http://127.0.0.1:${port}`;
  const { child } = await spawnUntilReady([SERVER_MAIN], env, `${base}/readyz`);
  const api = (method, p, body) => fetch(`${base}${p}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
  await api('POST', '/api/v1/environments', { key: `bench-${Date.now()}` }).then(async (e) => {
    await api('POST', '/api/v1/projects', { key: `p${Date.now()}`, repository: '/srv/git/x.git', verify: false }).then(async (p) => {
      env.key = (await api('POST', `/api/v1/projects/${p.key}/environments/${e.key}/sdk-keys`, { kind: 'server' })).key;
    });
  });
  const POINTS = 100;
  const points = Array.from({ length: POINTS }, (_, i) => ({ flag: `flag-${i % 20}`, variant: i % 2 ? 'on' : 'off', version: `1.${i % 5}.0`, requests: 100, errors: 1, latencyMs: 42 }));
  const body = JSON.stringify({ points });
  const load = (opts) => autocannon({ connections: 10, duration: Number(process.env.DURATION ?? 8), ...opts });
  await load({ url: `${base}/api/v1/metrics`, method: 'POST', headers: { authorization: `Bearer ${env.key}`, 'content-type': 'application/json' }, body, duration: 2 });
  const ingest = await load({ url: `${base}/api/v1/metrics`, method: 'POST', headers: { authorization: `Bearer ${env.key}`, 'content-type': 'application/json' }, body });
  const anchor = await load({ url: `${base}/healthz` });
  await stop(child);
  fs.rmSync(dir, { recursive: true, force: true });
  const non2xx = ingest.non2xx;
  console.log(`ingestion on ${dialect} (one process, autocannon 10 connections, ${POINTS} points per request merging into 20 series-minutes, as many instances reporting the same series do): ${Math.round(ingest.requests.average)} requests/s = ${Math.round(ingest.requests.average * POINTS).toLocaleString('en')} points/s, p99 ${ingest.latency.p99} ms${non2xx ? `, ${non2xx} non-2xx` : ''} | anchor, GET /healthz same process and load: ${Math.round(anchor.requests.average)} requests/s`);
}

console.log(`Rollouts benchmark, ${machine()}`);
if (PART === 'all' || PART === 'tick') {
  await partTick('sqlite');
  if (process.env.DATABASE_URL) await partTick('pg');
}
if (PART === 'all' || PART === 'simulated') await partSimulated();
if (PART === 'all' || PART === 'simulated' || PART === 'canary') await partCanary();
if (PART === 'all' || PART === 'prometheus') await partPrometheus();
if (PART === 'all' || PART === 'ingestion') {
  await partIngestion('sqlite');
  await partIngestion('postgres');
}
