// JUnit upload of a 10,000-test report (POST /api/v1/projects/{p}/test-runs, application/xml): time
// per upload and the server's memory, one server process on SQLite, beside two anchors in the same
// run: the same server answering a JSON request of the same size through its body parser (the cost
// of receiving the bytes), and parsing the report in this process with the same parser (no HTTP, no
// database).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, machine, percentile, requireBuild, ROOT, SERVER_MAIN, spawnUntilReady, stop, tempDir } from './_support.mjs';

requireBuild();
const TESTS = Number(process.env.TESTS ?? 10_000);
const UPLOADS = Number(process.env.UPLOADS ?? 20);
const TOKEN = 'slw_bench-junit-token-0123456789';
const dist = (p) => pathToFileURL(path.join(ROOT, 'packages/server/dist', p)).href;
const { parseJunit } = await import(dist('testruns/junit-parser.js'));

/** A Surefire-like report: 100 suites of 100 tests, 1 % failing with a stack trace, system-out on every tenth. */
function report(n) {
  const parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="e2e" time="21600">'];
  for (let s = 0; s < Math.ceil(n / 100); s++) {
    parts.push(`<testsuite name="e2e.suite${s}" tests="100" time="216">`);
    for (let i = s * 100; i < Math.min(n, (s + 1) * 100); i++) {
      const out = i % 10 === 0 ? `<system-out><![CDATA[${'step ok\n'.repeat(20)}]]></system-out>` : '';
      parts.push(i % 100 === 7
        ? `<testcase classname="e2e.suite${s}.CheckoutTest" name="test ${i} pays with a saved card" time="2.16"><failure message="expected status 200 but was 502" type="AssertionError"><![CDATA[AssertionError: expected status 200 but was 502\n${'    at step (checkout.spec.ts:42:7)\n'.repeat(15)}]]></failure>${out}</testcase>`
        : `<testcase classname="e2e.suite${s}.CheckoutTest" name="test ${i} pays with a saved card" time="2.16">${out}</testcase>`);
    }
    parts.push('</testsuite>');
  }
  parts.push('</testsuites>');
  return parts.join('\n');
}

const rssOf = (pid) => {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
};

const xml = report(TESTS);
const dataDir = tempDir('slipway-bench-junit-');
const port = await freePort();
const server = await spawnUntilReady([SERVER_MAIN], { PORT: String(port), SLIPWAY_DATA_DIR: dataDir, LOG_LEVEL: 'warn', SLIPWAY_BOOTSTRAP_TOKEN: TOKEN }, `http://127.0.0.1:${port}/readyz`);
const base = `http://127.0.0.1:${port}`;
const headers = { authorization: `Bearer ${TOKEN}` };
try {
  for (const [url, body] of [['/api/v1/environments', { key: 'staging', rank: 30 }], ['/api/v1/projects', { key: 'shop', repository: '/srv/git/shop.git', verify: false }]]) {
    const res = await fetch(`${base}${url}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  }
  const before = rssOf(server.child.pid);
  const times = [];
  let answer;
  for (let i = 0; i < UPLOADS; i++) {
    const t0 = process.hrtime.bigint();
    const res = await fetch(`${base}/api/v1/projects/shop/test-runs?version=1.0.${i}&environment=staging&suite=e2e`, { method: 'POST', headers: { ...headers, 'content-type': 'application/xml' }, body: xml });
    answer = await res.json();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (res.status !== 201) throw new Error(`upload ${i}: ${res.status} ${JSON.stringify(answer)}`);
  }
  const after = rssOf(server.child.pid);
  // Anchor 1: the server receiving the same number of bytes as JSON (a string field), answered 4xx by validation.
  const jsonBody = JSON.stringify({ key: 'x'.repeat(Math.min(xml.length, 900_000)) });
  const anchorTimes = [];
  for (let i = 0; i < UPLOADS; i++) {
    const t0 = process.hrtime.bigint();
    const res = await fetch(`${base}/api/v1/environments`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: jsonBody });
    await res.arrayBuffer();
    anchorTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  // Anchor 2: the parser alone, in this process.
  const parseTimes = [];
  for (let i = 0; i < UPLOADS; i++) {
    const t0 = process.hrtime.bigint();
    parseJunit(xml);
    parseTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const ms = (v) => `${v.toFixed(1)} ms`;
  console.log(`JUnit upload of ${TESTS.toLocaleString('en')} tests (${(xml.length / 1024 / 1024).toFixed(2)} MB, ${answer.failed} failing), ${UPLOADS} sequential uploads, SQLite, ${machine()}`);
  console.log('| what | p50 | p95 |');
  console.log('|---|---|---|');
  console.log(`| POST /api/v1/projects/shop/test-runs (parse, store ${answer.failed} failures, track failing tests, events) | ${ms(percentile(times, 50))} | ${ms(percentile(times, 95))} |`);
  console.log(`| anchor: parseJunit alone, in the bench process | ${ms(percentile(parseTimes, 50))} | ${ms(percentile(parseTimes, 95))} |`);
  console.log(`| anchor: the same server receiving ${(jsonBody.length / 1024 / 1024).toFixed(2)} MB of JSON (1 MiB limit) | ${ms(percentile(anchorTimes, 50))} | ${ms(percentile(anchorTimes, 95))} |`);
  console.log(`server memory: RSS ${before.rss.toFixed(0)} MB before the uploads, ${after.rss.toFixed(0)} MB after; peak RSS ${after.peak.toFixed(0)} MB (peak before the uploads ${before.peak.toFixed(0)} MB)`);
} finally {
  await stop(server.child);
  fs.rmSync(dataDir, { recursive: true, force: true });
}
