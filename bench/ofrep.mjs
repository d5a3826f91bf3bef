// OFREP evaluation over HTTP with the server's DEFAULT settings (LOG_LEVEL unset = info), one
// process on SQLite, beside the framework's floor in the same run: a bare Fastify route that parses
// the same JSON body and answers a constant of the same size, in its own process. Both are loaded
// in turn (anchor, Slipway, anchor, Slipway, …) by the same load generator — wrk (Debian's package,
// one thread: far cheaper than the server) when installed, else autocannon — keep-alive.
// Before measuring, the server clones a real repository and cuts a release, as a server in use has.
// Also: bulk evaluation of 300 flags (informational).
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { git, makeRepository } from './_git.mjs';
import { freePort, machine, median, requireBuild, ROOT, SERVER_MAIN, spawnUntilReady, stop, tempDir } from './_support.mjs';

requireBuild();
const run = promisify(execFile);
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 20);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const FLAGS = 300;
const TOKEN = 'slw_bench-token-0123456789abcdef';
const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => fs.existsSync(p));

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
function cpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}

/** Load, plus the server's CPU time per request: steadier than requests/s on a shared machine. */
async function measured(pid, url, headers, body) {
  const before = cpuSeconds(pid);
  const r = await load(url, headers, body);
  const after = cpuSeconds(pid);
  return { ...r, cpuUs: before === undefined ? undefined : ((after - before) * 1e6) / (r.rps * DURATION) };
}

async function load(url, headers, body, seconds = DURATION) {
  if (WRK) {
    const dir = tempDir('slipway-wrk-');
    const script = path.join(dir, 'post.lua');
    fs.writeFileSync(
      script,
      `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\n${Object.entries(headers)
        .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
        .join('\n')}\n` +
        `done = function(summary, latency, requests)\n  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, latency:percentile(50), latency:percentile(99), 0))\nend\n`,
    );
    const { stdout } = await run(WRK, ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '-s', script, url], { maxBuffer: 1 << 20 });
    fs.rmSync(dir, { recursive: true, force: true });
    const [, requests, durationUs, errors, p50, p99] = /RESULT (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(stdout) ?? [];
    if (Number(errors) > 0) throw new Error(`${url}: ${errors} errors\n${stdout}`);
    return { rps: Number(requests) / (Number(durationUs) / 1e6), p50: Number(p50) / 1000, p99: Number(p99) / 1000 };
  }
  const result = await autocannon({ url, method: 'POST', headers, body, connections: CONNECTIONS, duration: seconds });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

async function seed(base) {
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const call = async (method, p, body) => {
    const res = await fetch(`${base}${p}`, { method, headers, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  await call('POST', '/api/v1/environments', { key: 'production', rank: 10 });
  // A real repository and a release cut from it: a server in use has done git and release work
  // (the background fetch does it every minute), and what that leaves behind must not slow OFREP.
  const { remote, work } = makeRepository(repoDir);
  git(work, ['commit', '--quiet', '--allow-empty', '-m', 'feat: checkout behind a flag']);
  git(work, ['push', '--quiet', 'origin', 'main']);
  await call('POST', '/api/v1/projects', { key: 'web', repository: remote });
  await call('POST', '/api/v1/projects/web/releases', {});
  const config = {
    enabled: true,
    offVariant: 'off',
    rules: [{ conditions: [{ attribute: 'company', operator: 'in', values: ['acme', 'globex'] }], serve: { variant: 'on' } }],
    defaultServe: { split: [{ variant: 'on', weight: 25 }, { variant: 'off', weight: 75 }] },
  };
  const variants = [{ key: 'on', value: true }, { key: 'off', value: false }];
  for (let i = 0; i < FLAGS; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, FLAGS - i) }, async (_, j) => {
        const key = i + j === 0 ? 'new-checkout' : `flag-${String(i + j).padStart(3, '0')}`;
        await call('POST', '/api/v1/projects/web/flags', { key, variants });
        await call('PUT', `/api/v1/projects/web/flags/${key}/environments/production`, config);
      }),
    );
  }
  return (await call('POST', '/api/v1/projects/web/environments/production/sdk-keys', { kind: 'client' })).key;
}

const dataDir = tempDir('slipway-bench-ofrep-');
const repoDir = tempDir('slipway-bench-ofrep-repo-');
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
// Default settings: no LOG_LEVEL (info), logs written to a pipe the benchmark drains.
const { child } = await spawnUntilReady([SERVER_MAIN], { PORT: String(port), SLIPWAY_DATA_DIR: dataDir, SLIPWAY_BOOTSTRAP_TOKEN: TOKEN }, `${base}/readyz`);
const anchorPort = await freePort();
const anchorBase = `http://127.0.0.1:${anchorPort}`;
const anchor = spawn(process.execPath, [path.join(ROOT, 'bench/_bare-fastify.mjs')], { env: { PATH: process.env.PATH, PORT: String(anchorPort) }, stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve) => anchor.stdout.on('data', (c) => String(c).includes('listening') && resolve()));
try {
  const key = await seed(base);
  const headers = { 'x-api-key': key, 'content-type': 'application/json' };
  const body = JSON.stringify({ context: { targetingKey: 'user-12345', company: 'initech', plan: 'pro' } });
  const single = `${base}/ofrep/v1/evaluate/flags/new-checkout`;
  const answer = await (await fetch(single, { method: 'POST', headers, body })).text();
  const anchorHeaders = { 'content-type': 'application/json' };
  // Warm both (JIT, the rule set compiled once) before measuring.
  await load(single, headers, body, 3);
  await load(`${anchorBase}/ofrep/v1/evaluate/flags/new-checkout`, anchorHeaders, body, 3);
  const slipway = [];
  const bare = [];
  for (let r = 0; r < ROUNDS; r++) {
    bare.push(await measured(anchor.pid, `${anchorBase}/ofrep/v1/evaluate/flags/new-checkout`, anchorHeaders, body));
    slipway.push(await measured(child.pid, single, headers, body));
  }
  const bulk = await load(`${base}/ofrep/v1/evaluate/flags`, headers, body);
  const med = (rows, f) => median(rows.map(f));
  const ours = med(slipway, (r) => r.rps);
  const floor = med(bare, (r) => r.rps);
  console.log(
    `OFREP with default settings (LOG_LEVEL unset: info), one server process on SQLite; ${WRK ? `wrk -t1 -c${CONNECTIONS}` : `autocannon -c ${CONNECTIONS}`} × ${DURATION} s keep-alive, ${ROUNDS} rounds each, interleaved; ${machine()}`,
  );
  console.log(`answer (${answer.length} bytes): ${answer}`);
  const cpu = (rows) => (rows[0].cpuUs === undefined ? '-' : `${med(rows, (r) => r.cpuUs).toFixed(1)} µs`);
  console.log('| what | requests/s (median) | rounds | p50 | p99 | server CPU per request |');
  console.log('|---|---|---|---|---|---|');
  console.log(`| OFREP single flag: POST /ofrep/v1/evaluate/flags/new-checkout | ${Math.round(ours)} | ${slipway.map((r) => Math.round(r.rps)).join(', ')} | ${med(slipway, (r) => r.p50).toFixed(2)} ms | ${med(slipway, (r) => r.p99).toFixed(2)} ms | ${cpu(slipway)} |`);
  console.log(`| anchor: bare Fastify route, same body parsed, constant answer of that size | ${Math.round(floor)} | ${bare.map((r) => Math.round(r.rps)).join(', ')} | ${med(bare, (r) => r.p50).toFixed(2)} ms | ${med(bare, (r) => r.p99).toFixed(2)} ms | ${cpu(bare)} |`);
  console.log(`| OFREP bulk, ${FLAGS} flags: POST /ofrep/v1/evaluate/flags | ${Math.round(bulk.rps)} | 1 | ${bulk.p50.toFixed(2)} ms | ${bulk.p99.toFixed(2)} ms | - |`);
  const share = ours / floor;
  const rounds = slipway.map((r, i) => `${((r.rps / bare[i].rps) * 100).toFixed(0)} %`).join(', ');
  console.log(`\nSlipway / bare Fastify: ${(share * 100).toFixed(1)} % of the requests/s (medians; round by round ${rounds}) — target ≥ 65 %: ${share >= 0.65 ? 'met' : 'NOT met'}`);
  if (slipway[0].cpuUs !== undefined) {
    const cpuShare = med(bare, (r) => r.cpuUs) / med(slipway, (r) => r.cpuUs);
    console.log(`by server CPU per request (insensitive to other load on the machine): ${(cpuShare * 100).toFixed(1)} %`);
  }
} finally {
  anchor.kill('SIGTERM');
  await stop(child);
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(repoDir, { recursive: true, force: true });
}
