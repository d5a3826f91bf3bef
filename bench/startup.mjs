// Server start to /readyz 200 on SQLite (target ≤ 1 s), beside the floor: a bare Node HTTP server
// started the same way and polled the same way.
import fs from 'node:fs';
import { freePort, machine, median, percentile, requireBuild, SERVER_MAIN, spawnUntilReady, stop, tempDir } from './_support.mjs';

requireBuild();
const RUNS = Number(process.env.RUNS ?? 10);
const anchorScript = "require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')";

const first = [];
const again = [];
const anchor = [];
for (let i = 0; i < RUNS; i++) {
  const dataDir = tempDir('slipway-bench-start-');
  let port = await freePort();
  const env = { PORT: String(port), SLIPWAY_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  let run = await spawnUntilReady([SERVER_MAIN], env, `http://127.0.0.1:${port}/readyz`);
  first.push(run.ms);
  await stop(run.child);
  port = await freePort();
  run = await spawnUntilReady([SERVER_MAIN], { ...env, PORT: String(port) }, `http://127.0.0.1:${port}/readyz`);
  again.push(run.ms);
  await stop(run.child);
  fs.rmSync(dataDir, { recursive: true, force: true });

  port = await freePort();
  const bare = await spawnUntilReady(['-e', anchorScript], { PORT: String(port) }, `http://127.0.0.1:${port}/`);
  anchor.push(bare.ms);
  await stop(bare.child);
}

const row = (name, values) => `| ${name} | ${median(values).toFixed(0)} ms | ${percentile(values, 95).toFixed(0)} ms | ${Math.max(...values).toFixed(0)} ms |`;
console.log(`startup to /readyz 200, ${RUNS} runs each, ${machine()}`);
console.log('| what | median | p95 | max |');
console.log('|---|---|---|---|');
console.log(row('Slipway, first start (creates the SQLite database, migrates, bootstraps)', first));
console.log(row('Slipway, second start (nothing to migrate)', again));
console.log(row('anchor: bare node:http server, same spawn and polling', anchor));
console.log(`target: ≤ 1000 ms → ${percentile(first, 95) <= 1000 ? 'met' : 'NOT met'} (p95 of first start)`);
