// OFREP evaluation over HTTP, one server process (SQLite), autocannon keep-alive: a single flag
// ("on for company in [acme, globex], else 25 % rollout by user") and bulk evaluation of 300
// flags, beside GET /healthz on the same server in the same run (the framework's floor).
import fs from 'node:fs';
import autocannon from 'autocannon';
import { freePort, machine, requireBuild, SERVER_MAIN, spawnUntilReady, stop, tempDir } from './_support.mjs';

requireBuild();
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 20);
const PIPELINING = Number(process.env.PIPELINING ?? 1);
const FLAGS = 300;
const TOKEN = 'slw_bench-token-0123456789abcdef';

async function bench(title, options) {
  const result = await autocannon({ connections: CONNECTIONS, pipelining: PIPELINING, duration: DURATION, ...options });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${title}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { title, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

async function seed(base) {
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const call = async (method, path, body) => {
    const res = await fetch(`${base}${path}`, { method, headers, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  await call('POST', '/api/v1/environments', { key: 'production', rank: 10 });
  await call('POST', '/api/v1/projects', { key: 'web', repository: '/srv/git/web.git', verify: false });
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
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const { child } = await spawnUntilReady([SERVER_MAIN], { PORT: String(port), SLIPWAY_DATA_DIR: dataDir, LOG_LEVEL: 'warn', SLIPWAY_BOOTSTRAP_TOKEN: TOKEN }, `${base}/readyz`);
try {
  const key = await seed(base);
  const headers = { 'x-api-key': key, 'content-type': 'application/json' };
  const body = JSON.stringify({ context: { targetingKey: 'user-12345', company: 'initech', plan: 'pro' } });
  // Warm up (compiles the rule set once, JIT) before measuring.
  await autocannon({ url: `${base}/ofrep/v1/evaluate/flags/new-checkout`, method: 'POST', headers, body, connections: CONNECTIONS, duration: 2 });
  const rows = [
    await bench('OFREP single flag: POST /ofrep/v1/evaluate/flags/new-checkout', { url: `${base}/ofrep/v1/evaluate/flags/new-checkout`, method: 'POST', headers, body }),
    await bench(`OFREP bulk, ${FLAGS} flags: POST /ofrep/v1/evaluate/flags`, { url: `${base}/ofrep/v1/evaluate/flags`, method: 'POST', headers, body }),
    await bench('anchor: GET /healthz (no auth, no database)', { url: `${base}/healthz` }),
  ];
  console.log(`OFREP, one server process (SQLite), autocannon ${CONNECTIONS} connections × ${DURATION} s keep-alive, pipelining ${PIPELINING}, ${machine()}`);
  console.log('target: single flag ≥ 15,000 requests/s');
  console.log('| what | requests/s | p50 | p99 |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.title} | ${Math.round(r.rps)} | ${r.p50} ms | ${r.p99} ms |`);
} finally {
  await stop(child);
  fs.rmSync(dataDir, { recursive: true, force: true });
}
