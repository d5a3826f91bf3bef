import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, startServer, type RunningServer } from '@slipway/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../io.js';
import { run } from '../program.js';

const TOKEN = 'slw_cli-notify-admin-token-0123456789';

describe('slipway channel and slipway deliveries against a running server', () => {
  let server: RunningServer;
  let home: string;
  let dataDir: string;
  let receiver: http.Server;
  let receiverUrl: string;
  const received: Array<{ path: string; headers: http.IncomingHttpHeaders; body: any }> = [];

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-home-'));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-cli-notify-'));
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(body) });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    server = await startServer(loadConfig({ PORT: '0', SLIPWAY_DATA_DIR: dataDir, SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'silent', SLIPWAY_NOTIFY_POLL_MS: '50' }));
  });
  afterAll(async () => {
    await server.stop();
    await new Promise((resolve) => receiver.close(resolve));
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), env: { HOME: home, SLIPWAY_URL: server.url, SLIPWAY_TOKEN: TOKEN } };
    const code = await run(args, io, async () => {});
    return { code, out, err };
  }

  it('creates, lists and tests channels, and lists deliveries by status', async () => {
    const created = await cli('channel', 'create', 'ops-hooks', '--type', 'webhook', '--url', `${receiverUrl}/hook`, '--secret', 'cli-secret-0123456789', '--header', 'X-Team=platform', '--events', 'environment.*,deployment.*');
    expect(created.code, created.err).toBe(0);
    expect(created.out).toContain('Created channel ops-hooks.');
    expect(created.out).toContain('"secret":"set"');
    expect(created.out).not.toContain('cli-secret-0123456789');
    expect((await cli('channel', 'create', 'chat', '--type', 'slack', '--url', `${receiverUrl}/slack`, '--events', 'deployment.*', '--environments', 'production')).code).toBe(0);

    const listed = await cli('channel', 'list');
    expect(listed.out).toMatch(/NAME\s+TYPE\s+ENABLED\s+EVENTS\s+ID/);
    expect(listed.out).toMatch(/ops-hooks\s+webhook\s+yes\s+environment\.\*,deployment\.\*/);
    const asJson = JSON.parse((await cli('--json', 'channel', 'list')).out);
    expect(asJson.find((c: any) => c.name === 'chat').config).toEqual({ url: 'set' });

    const tested = await cli('channel', 'test', 'chat');
    expect(tested.code).toBe(0);
    expect(tested.out).toMatch(/Delivered a sample to chat \(200\) in \d+ ms/);
    expect(received.find((r) => r.path === '/slack')!.body.text).toContain('example 1.2.3 deployed to production');

    expect((await cli('env', 'create', 'dev')).code).toBe(0);
    for (let i = 0; i < 200 && !received.some((r) => r.path === '/hook'); i++) await new Promise((r) => setTimeout(r, 25));
    const hook = received.find((r) => r.path === '/hook')!;
    expect(hook.body.event).toMatchObject({ type: 'environment.created' });
    expect(hook.headers['x-team']).toBe('platform');

    const delivered = await cli('deliveries', '--status', 'delivered');
    expect(delivered.code).toBe(0);
    expect(delivered.out).toMatch(/ID\s+STATUS\s+EVENT\s+WHERE\s+CHANNEL\s+ATTEMPTS/);
    expect(delivered.out).toMatch(/delivered\s+environment\.created\s+dev\s+ops-hooks\s+1/);
    expect((await cli('deliveries', '--status', 'failed')).out).toContain('(none)');
  });

  it('exits non-zero with the reason when a test does not arrive or input is wrong', async () => {
    expect((await cli('channel', 'create', 'dead', '--type', 'slack', '--url', 'http://127.0.0.1:9/nowhere')).code).toBe(0);
    const failed = await cli('channel', 'test', 'dead');
    expect(failed.code).toBe(1);
    expect(failed.err).toContain('The sample did not reach dead');
    const bad = await cli('channel', 'create', 'bad', '--type', 'email', '--host', 'smtp.example.com');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('[validation_failed]');
    expect((await cli('deliveries', '--status', 'bogus')).err).toContain('--status must be one of');
    expect((await cli('channel', 'test', 'ghost')).err).toContain('Channel ghost does not exist. [not_found]');
  });
});
