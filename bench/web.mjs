// The web app's figures (PRODUCT.md §6: first page's JavaScript ≤ 250 KB gzip; issue 12: `/` with
// 200 projects × 6 environments renders in ≤ 1 s), each printed beside its anchor:
//   1. initial JavaScript of the first page, gzip (what index.html loads before any lazy route) vs the budget;
//   2. time to interactive of `/` with 200 × 6 cells in Debian's Chromium (Playwright), vs the sign-in page;
//   3. server RSS after serving the web app's files, vs the same server without the web app.
// Needs `npm run build` and /usr/bin/chromium.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { freePort, machine, median, requireBuild, ROOT, SERVER_MAIN, spawnUntilReady, stop, tempDir } from './_support.mjs';

requireBuild();
const WEB = path.join(ROOT, 'packages/web/dist');
if (!fs.existsSync(path.join(WEB, 'index.html'))) {
  console.error('The web app is not built: run "npm run build" first.');
  process.exit(1);
}
const PROJECTS = Number(process.env.PROJECTS ?? 200);
const ENVS = ['dev', 'qa', 'staging', 'beta', 'production', 'dr'];
const RUNS = Number(process.env.RUNS ?? 5);
const TOKEN = 'slw_bench-web-token-0123456789abcdef';
const PASSWORD = 'bench-web-password';
const gz = (file) => zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

console.log(`web app benchmark on ${machine()}`);

// 1. Initial JavaScript: the entry script and the modules index.html preloads (lazy pages are not).
const index = fs.readFileSync(path.join(WEB, 'index.html'), 'utf8');
const initial = [...index.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
const initialGzip = initial.reduce((sum, f) => sum + gz(path.join(WEB, f)), 0);
const allJs = fs.readdirSync(path.join(WEB, 'assets')).filter((f) => f.endsWith('.js'));
const allGzip = allJs.reduce((sum, f) => sum + gz(path.join(WEB, 'assets', f)), 0);
console.log(`1. first page's JavaScript, gzip: ${kb(initialGzip)} in ${initial.length} file(s)   budget: 250.0 KB   (every chunk of the app: ${kb(allGzip)} in ${allJs.length} files)`);

// 2. Time to interactive of / with PROJECTS × 6 cells.
const dataDir = tempDir('slipway-bench-web-');
const port = await freePort();
const env = { PORT: String(port), SLIPWAY_DATA_DIR: dataDir, SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, SLIPWAY_BOOTSTRAP_PASSWORD: PASSWORD, LOG_LEVEL: 'warn' };
const url = `http://127.0.0.1:${port}`;
let server = await spawnUntilReady([SERVER_MAIN], env, `${url}/readyz`);
// A failed run must not leave a server behind.
process.on('exit', () => server?.child.kill('SIGKILL'));
const api = async (method, p, body) => {
  const res = await fetch(`${url}${p}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return res.json();
};
const colors = ['#2f9e44', '#1971c2', '#f08c00', '#7048e8', '#c92a2a', '#495057'];
for (const [i, key] of ENVS.entries()) await api('POST', '/api/v1/environments', { key, rank: (i + 1) * 10, color: colors[i], protected: key === 'production' });
for (let p = 0; p < PROJECTS; p++) await api('POST', '/api/v1/projects', { key: `service-${String(p).padStart(3, '0')}`, repository: `/srv/git/s${p}.git`, lifecycle: ENVS, verify: false });
await stop(server.child);
// What deployments leave behind for the matrix, written straight to the state table (as the status benchmark does).
const { openDatabase } = await import(pathToFileURL(path.join(ROOT, 'packages/server/dist/db/connect.js')).href);
const database = await openDatabase({ dialect: 'sqlite', file: path.join(dataDir, 'slipway.db') });
const projects = await database.db.selectFrom('projects').select(['id', 'key']).execute();
const at = new Date().toISOString();
const landed = (version, n) => ({ deploymentId: `0${String(n).padStart(25, '0')}`, version, tag: `v${version}`, commit: 'a'.repeat(40), at, by: 'bench' });
const states = [];
projects.forEach((project, p) =>
  ENVS.forEach((environment, e) => {
    const n = p * ENVS.length + e;
    const current = landed(`1.${(p + e) % 17}.${e}`, n);
    // Every 7th cell has two targets on different versions, every 11th a deployment in flight.
    const differ = n % 7 === 0;
    const targets = differ ? { eu: current, us: landed(`1.${(p + e) % 17}.${e + 1}`, n) } : { default: current };
    states.push({
      project_id: project.id, environment_key: environment, current: JSON.stringify(current), previous: JSON.stringify(landed('1.0.0', n)),
      in_flight: n % 11 === 0 ? JSON.stringify({ deploymentId: `1${String(n).padStart(25, '0')}`, version: '2.0.0', status: 'running', requestedBy: 'bench', since: at }) : null,
      targets: JSON.stringify(targets), current_version: current.version, targets_differ: differ ? 1 : 0, updated_at: at,
    });
  }),
);
for (let i = 0; i < states.length; i += 500) await database.db.insertInto('deployment_state').values(states.slice(i, i + 500)).execute();
await database.close();
server = await spawnUntilReady([SERVER_MAIN], env, `${url}/readyz`);

const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
const page = await context.newPage();
const signIn = await page.request.post(`${url}/api/v1/session`, { data: { username: 'admin', password: PASSWORD } });
if (!signIn.ok()) throw new Error(`sign-in: ${signIn.status()}`);

// Interactive = every row of the matrix is in the DOM and the main thread answers the next frame.
// (Functions, not strings: the app's Content-Security-Policy forbids eval.)
async function timeTo(pathname, ready, arg) {
  await page.goto(`${url}${pathname}`);
  await page.waitForFunction(ready, arg, { timeout: 30_000, polling: 'raf' });
  return page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now()))));
}
const rows = ({ projects, cells }) => document.querySelectorAll('[data-testid=matrix] tbody tr').length === projects && document.querySelectorAll('[data-testid=matrix] td.cell').length === cells;
const size = { projects: PROJECTS, cells: PROJECTS * ENVS.length };
const form = () => document.querySelector('input[name=username]') !== null || document.querySelector('[data-testid=not-found]') !== null;
await timeTo('/', rows, size); // warm the HTTP cache once, as a returning user has it
const home = [];
const login = [];
for (let i = 0; i < RUNS; i++) {
  home.push(await timeTo('/', rows, size));
  login.push(await timeTo('/settings/nothing-here', form));
}
console.log(`2. time to interactive of / with ${PROJECTS} × ${ENVS.length} cells: median ${median(home).toFixed(0)} ms (runs: ${home.map((t) => t.toFixed(0)).join(', ')})   target: 1000 ms   anchor, a page with no data (the app's not-found page): median ${median(login).toFixed(0)} ms`);
await browser.close();

// 3. RSS after serving every file of the web app 50 times, beside the same server without the web app.
async function rssAfterServing(childPid, files) {
  for (let round = 0; round < 50; round++) await Promise.all(files.map(async (f) => (await fetch(`${url}${f}`)).arrayBuffer()));
  await fetch(`${url}/api/v1/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const status = fs.readFileSync(`/proc/${childPid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) * 1024;
}
const files = ['/', '/projects/service-001', ...fs.readdirSync(path.join(WEB, 'assets')).map((f) => `/assets/${f}`)];
// Fresh processes for both, on the same database, asked for the same paths (404s without the app).
await stop(server.child);
server = await spawnUntilReady([SERVER_MAIN], env, `${url}/readyz`);
const withWeb = await rssAfterServing(server.child.pid, files);
await stop(server.child);
const emptyWeb = tempDir('slipway-bench-noweb-');
server = await spawnUntilReady([SERVER_MAIN], { ...env, SLIPWAY_WEB_DIR: emptyWeb }, `${url}/readyz`);
const withoutWeb = await rssAfterServing(server.child.pid, files);
await stop(server.child);
console.log(`3. server RSS after serving the web app (${files.length} paths × 50): ${(withWeb / 2 ** 20).toFixed(1)} MiB   anchor, the same server without the web app: ${(withoutWeb / 2 ** 20).toFixed(1)} MiB`);
fs.rmSync(dataDir, { recursive: true, force: true });
fs.rmSync(emptyWeb, { recursive: true, force: true });
