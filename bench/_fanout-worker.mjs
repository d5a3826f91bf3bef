// A worker of `npm run bench -- fanout`: a share of the 1,000 real Node SDK clients, each with its
// own event stream to one of the replicas. On every change event a client evaluates the flag
// (parse, apply, compile, evaluate — what an application's SDK does) and, once it answers the
// value the coordinator expects, records the moment (wall clock in ms, comparable across processes).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const { root, urls, key, count, offset, flag } = JSON.parse(process.argv[2]);
const { SlipwayClient } = await import(pathToFileURL(path.join(root, 'packages/sdk-node/dist/index.js')).href);
const quiet = { error: () => {}, warn: () => {} };
const now = () => performance.timeOrigin + performance.now();

let expected;
let arrivals = [];
let cpuAtExpect = process.cpuUsage();
const clients = [];
for (let i = 0; i < count; i++) {
  const replica = (offset + i) % urls.length;
  const client = new SlipwayClient({ url: urls[replica], sdkKey: key, logger: quiet, readyTimeoutMs: 60_000 });
  const context = { targetingKey: `user-${offset + i}`, company: 'acme' };
  let done = false;
  client.on('change', () => {
    if (done || expected === undefined) return;
    if (client.getStringValue(flag, '?', context) === expected) {
      done = true;
      arrivals.push([now(), replica]);
      if (arrivals.length === count) {
        const used = process.cpuUsage(cpuAtExpect);
        process.send({ type: 'arrivals', arrivals, cpuMs: (used.user + used.system) / 1000 });
      }
    }
  });
  clients.push({ client, reset: () => (done = false) });
}
const ready = await Promise.all(clients.map((c) => c.client.ready()));
process.send({ type: 'ready', ok: ready.every(Boolean) });
process.on('message', (m) => {
  if (m.type === 'expect') {
    expected = m.value;
    arrivals = [];
    cpuAtExpect = process.cpuUsage();
    for (const c of clients) c.reset();
    process.send({ type: 'expecting' });
  } else if (m.type === 'stop') {
    for (const c of clients) c.client.close();
    process.exit(0);
  }
});
