// Outbox delivery to a local webhook receiver: events/s delivered and commit → delivery latency,
// beside the anchor: the same receiver hit directly with the same number of POSTs from one loop.
//
// 1. live:    LIVE events committed one after another through the API (PATCH an environment);
//             latency = arrival at the receiver − the event's createdAt (same machine clock, ms).
// 2. backlog: BACKLOG events committed while the server is stopped, then the server starts and
//             drains them; throughput = events / (last arrival − first arrival).
// One webhook channel: its deliveries go in event order, one at a time, like the anchor's loop.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, machine, percentile, requireBuild, ROOT, SERVER_MAIN, spawnUntilReady, stop, tempDir } from './_support.mjs';

requireBuild();
const LIVE = Number(process.env.LIVE ?? 500);
const BACKLOG = Number(process.env.BACKLOG ?? 5000);
// A pause between live commits, so latency is measured without a queue of our own making.
const GAP_MS = Number(process.env.GAP_MS ?? 10);
const TOKEN = 'slw_bench-outbox-token-0123456789';
const dist = (p) => pathToFileURL(path.join(ROOT, 'packages/server/dist', p)).href;

// The receiver: records the arrival time of every delivery, answers 200.
const arrivals = [];
let onArrival = () => {};
const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const at = Date.now();
    let createdAt = null;
    try {
      createdAt = JSON.parse(Buffer.concat(chunks).toString('utf8')).event?.createdAt ?? null;
    } catch {
      // the anchor's bodies are copies; not counted
    }
    arrivals.push({ at, createdAt, path: req.url });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    onArrival();
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${receiver.address().port}`;

const waitFor = (count, filter) =>
  new Promise((resolve) => {
    const check = () => {
      if (arrivals.filter(filter).length >= count) {
        onArrival = () => {};
        resolve();
      }
    };
    onArrival = check;
    check();
  });

const dataDir = tempDir('slipway-bench-outbox-');
const env = { SLIPWAY_DATA_DIR: dataDir, LOG_LEVEL: 'warn', SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, ...(process.env.DATABASE_URL && { DATABASE_URL: process.env.DATABASE_URL }) };
async function startServer() {
  const port = await freePort();
  const run = await spawnUntilReady([SERVER_MAIN], { ...env, PORT: String(port) }, `http://127.0.0.1:${port}/readyz`);
  return { ...run, url: `http://127.0.0.1:${port}` };
}
const api = async (url, method, pathname, body) => {
  const res = await fetch(`${url}${pathname}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`${method} ${pathname}: ${res.status} ${await res.text()}`);
  return res.json();
};

// --- 1. live events through the API ---------------------------------------------------------------
let server = await startServer();
await api(server.url, 'POST', '/api/v1/environments', { key: 'bench' });
await api(server.url, 'POST', '/api/v1/channels', { name: 'bench-hook', type: 'webhook', config: { url: `${receiverUrl}/hook`, secret: 'bench-secret-0123456789' }, subscriptions: [{ events: ['environment.updated', 'deployment.*'] }] });
for (let i = 0; i < LIVE; i++) {
  await api(server.url, 'PATCH', '/api/v1/environments/bench', { name: `bench ${i}` });
  await new Promise((resolve) => setTimeout(resolve, GAP_MS));
}
await waitFor(LIVE, (a) => a.path === '/hook');
const live = arrivals.filter((a) => a.path === '/hook').map((a) => a.at - Date.parse(a.createdAt));
await stop(server.child);

// --- 2. a backlog committed while no server runs ----------------------------------------------------
const { openDatabase } = await import(dist('db/connect.js'));
const { compose } = await import(dist('composition.js'));
const { systemContext } = await import(dist('auth/actor.js'));
const target = process.env.DATABASE_URL ? { dialect: 'postgres', url: process.env.DATABASE_URL } : { dialect: 'sqlite', file: path.join(dataDir, 'slipway.db') };
const database = await openDatabase(target);
const services = compose({ database, dataDir });
for (let i = 0; i < BACKLOG; i += 500) {
  await services.uow.transaction(async (tx) => {
    for (let j = i; j < Math.min(BACKLOG, i + 500); j++) {
      await tx.record(systemContext(), {
        action: 'deployment.succeeded',
        resourceType: 'deployment',
        resourceId: `d${j}`,
        event: { type: 'deployment.succeeded', payload: { id: `d${j}`, project: 'api', environment: 'bench', version: `1.0.${j}`, tag: `v1.0.${j}`, commit: 'a'.repeat(40), targets: [{ key: 'default', status: 'succeeded' }], durationMs: 1000 }, projectKey: 'api', environmentKey: 'bench' },
      });
    }
  });
}
await database.close();
arrivals.length = 0;
server = await startServer();
await waitFor(BACKLOG, (a) => a.path === '/hook');
const drained = arrivals.filter((a) => a.path === '/hook');
const drainMs = drained[drained.length - 1].at - drained[0].at;
await stop(server.child);

// --- anchor: the same number of POSTs with a body of the same size, from one loop ------------------
const sampleBody = JSON.stringify({ event: { type: 'deployment.succeeded', payload: { pad: 'x'.repeat(1500) } } });
arrivals.length = 0;
const t0 = performance.now();
for (let i = 0; i < BACKLOG; i++) {
  const res = await fetch(`${receiverUrl}/anchor`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sampleBody });
  await res.text();
}
const anchorMs = performance.now() - t0;

receiver.close();
fs.rmSync(dataDir, { recursive: true, force: true });

const rate = (n, ms) => `${((n / ms) * 1000).toFixed(0)} events/s`;
console.log(`outbox → local webhook receiver, ${process.env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'}, ${machine()}`);
console.log('| what | figure |');
console.log('|---|---|');
console.log(`| backlog of ${BACKLOG} events drained (fan-out + signed POST + attempt recorded), first → last arrival | ${rate(BACKLOG, drainMs)} (${drainMs} ms) |`);
console.log(`| anchor: ${BACKLOG} POSTs of the same size from one loop, same receiver | ${rate(BACKLOG, anchorMs)} (${anchorMs.toFixed(0)} ms) |`);
console.log(`| commit → delivery latency, ${LIVE} events committed one by one through the API, ${GAP_MS} ms apart | p50 ${percentile(live, 50)} ms, p99 ${percentile(live, 99)} ms, max ${Math.max(...live)} ms |`);
