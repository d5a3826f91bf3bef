import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A real Prometheus (Debian's `prometheus` package; .ci/run installs it) on a free 127.0.0.1 port. */
export interface PrometheusProcess {
  readonly url: string;
  stop(): Promise<void>;
}

export function prometheusBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error('prometheus is not installed: apt-get install -y prometheus (.ci/run does it)');
  return found;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Starts Prometheus with a temp config and data dir, scraping `targets` every `scrapeInterval`; resolves once it is ready. */
export async function startPrometheus(targets: string[], scrapeInterval = '1s'): Promise<PrometheusProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-prom-'));
  const config = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(config, `global:\n  scrape_interval: ${scrapeInterval}\n  evaluation_interval: ${scrapeInterval}\nscrape_configs:\n  - job_name: demo\n    static_configs:\n      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]\n`);
  const port = await freePort();
  const child: ChildProcess = spawn(prometheusBinary(), [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (i > 300) throw new Error(`prometheus did not become ready: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A small service on 127.0.0.1 that serves traffic to itself and exposes Prometheus counters
 * `demo_requests_total` and `demo_errors_total` by `variant`; `setErrorRate` switches a variant's failures.
 */
export interface DemoService {
  readonly target: string;
  setErrorRate(variant: string, rate: number): void;
  close(): Promise<void>;
}

export async function startDemoService(variants: string[], requestsPerTick = 20, tickMs = 100): Promise<DemoService> {
  const requests = new Map(variants.map((v) => [v, 0]));
  const errors = new Map(variants.map((v) => [v, 0]));
  const rates = new Map(variants.map((v) => [v, 0]));
  const carry = new Map(variants.map((v) => [v, 0]));
  const timer = setInterval(() => {
    for (const v of variants) {
      requests.set(v, requests.get(v)! + requestsPerTick);
      const due = carry.get(v)! + requestsPerTick * rates.get(v)!;
      const whole = Math.floor(due);
      errors.set(v, errors.get(v)! + whole);
      carry.set(v, due - whole);
    }
  }, tickMs);
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const lines = ['# TYPE demo_requests_total counter', ...variants.map((v) => `demo_requests_total{variant="${v}"} ${requests.get(v)}`), '# TYPE demo_errors_total counter', ...variants.map((v) => `demo_errors_total{variant="${v}"} ${errors.get(v)}`)];
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${lines.join('\n')}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    target: `127.0.0.1:${port}`,
    setErrorRate: (variant, rate) => rates.set(variant, rate),
    close: async () => {
      clearInterval(timer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
