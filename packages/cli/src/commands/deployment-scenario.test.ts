import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig, startServer, type RunningServer } from '@slipway/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../io.js';
import { run } from '../program.js';

const TOKEN = 'slw_cli-scenario-token-0123456789abc';
const SECRET = 'scenario-webhook-secret-01234';
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' };
const DIALECTS = process.env.TEST_DATABASE_URL ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

/**
 * A deploy tool behind a webhook executor, on 127.0.0.1: it records every call, and reports back
 * with the callback token as a real one would — at once, or only when told to cancel ("it had
 * installed the version already"), depending on `mode`.
 */
function deployTool() {
  const calls: Array<{ action: string; target: string; version: string; deploymentId: string; reason?: string }> = [];
  const reports: Array<{ deploymentId: string; status: string; version: string }> = [];
  let mode: 'succeed' | 'report-on-cancel' = 'succeed';
  const callback = async (body: any, status: string) => {
    reports.push({ deploymentId: body.deploymentId, status, version: body.version });
    await fetch(body.callbackUrl, { method: 'POST', headers: { authorization: `Bearer ${body.callbackToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ target: body.target, status, message: `eu-cluster runs ${body.version}` }) });
  };
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const body = JSON.parse(text);
      calls.push({ action: body.action, target: body.target, version: body.version, deploymentId: body.deploymentId, ...(body.reason && { reason: body.reason }) });
      res.writeHead(202).end('{}');
      if (body.action === 'deploy' && mode === 'succeed') setTimeout(() => void callback(body, 'succeeded'), 50);
      // Told to stop, but it had installed the version already: it says so.
      if (body.action === 'cancel' && mode === 'report-on-cancel') setTimeout(() => void callback(body, 'succeeded'), 200);
    });
  });
  return {
    calls,
    reports,
    setMode: (m: typeof mode) => (mode = m),
    listen: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A chat room (Slack incoming webhook) on 127.0.0.1. */
function chatRoom() {
  const messages: string[] = [];
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      bodies.push(text);
      messages.push(JSON.parse(text).text as string);
      res.writeHead(200).end('ok');
    });
  });
  return {
    messages,
    bodies,
    listen: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(DIALECTS)('a release manager\'s day through the CLI on %s: release → sign-off → two targets → one fails → the other reports later → rollback after a failed auto-rollback → hotfix → deploy again', (dialect) => {
  let server: RunningServer;
  let home: string;
  let dataDir: string;
  let gitDir: string;
  let flags: string;
  let dropDb: (() => Promise<void>) | null = null;
  const tool = deployTool();
  const chat = chatRoom();
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' });
  const work = () => path.join(gitDir, 'work');

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), env: { HOME: home, SLIPWAY_URL: server.url, SLIPWAY_TOKEN: TOKEN } };
    const code = await run(args, io, async () => {});
    return { code, out, err };
  }
  const ok = async (...args: string[]) => {
    const r = await cli(...args);
    expect(r.code, `${args.join(' ')}\n${r.out}\n${r.err}`).toBe(0);
    return r.out;
  };
  const commit = (message: string) => {
    fs.writeFileSync(path.join(work(), `${randomBytes(4).toString('hex')}.txt`), message);
    git(work(), 'add', '.');
    git(work(), 'commit', '-q', '-m', message);
    git(work(), 'push', '-q', 'origin', 'HEAD:main');
    return git(work(), 'rev-parse', 'HEAD').trim();
  };
  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
    for (let i = 0; i < 400; i++) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const deployments = async () => JSON.parse(await ok('--json', 'deployments', '--project', 'shop', '--env', 'staging', '--limit', '50'));

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-home-'));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-scn-'));
    gitDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-scn-git-'));
    flags = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-scn-flags-'));
    const remote = path.join(gitDir, 'remote.git');
    git(gitDir, 'init', '-q', '--bare', '--initial-branch=main', remote);
    git(gitDir, 'clone', '-q', remote, 'work');
    git(work(), 'checkout', '-q', '-b', 'main');
    commit('chore: initial commit');
    const env: Record<string, string> = { SLIPWAY_DATA_DIR: dataDir, SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'silent' };
    if (dialect === 'postgres') {
      const base = process.env.TEST_DATABASE_URL!;
      const name = `slipway_scn_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(base);
      url.pathname = `/${name}`;
      env.DATABASE_URL = url.toString();
      dropDb = async () => {
        const c = new pg.Client({ connectionString: base });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      };
    }
    const port = await freePort();
    server = await startServer(loadConfig({ ...env, PORT: String(port), HOST: '127.0.0.1', SLIPWAY_PUBLIC_URL: `http://127.0.0.1:${port}` }));
    const hookUrl = await tool.listen();
    const chatUrl = await chat.listen();
    fs.writeFileSync(path.join(flags, 'secret'), SECRET);
    await ok('env', 'create', 'staging', '--rank', '30');
    // Every deployment setting through `slipway env set`.
    await ok('env', 'set', 'staging', '--require-signoff', 'qa', '--auto-rollback');
    await ok('env', 'set', 'staging', '--target', 'us-cluster', '--command', `sh -c 'echo "rolling out $SLIPWAY_VERSION"; test ! -e "${flags}/us-$SLIPWAY_VERSION"'`);
    const settings = await ok('env', 'set', 'staging', '--target', 'eu-cluster', '--webhook', `${hookUrl}/deploy`, '--secret-file', path.join(flags, 'secret'), '--window', 'mon-sun 00:00-24:00 UTC');
    expect(settings).toMatch(/targets\s+us-cluster=command .*eu-cluster=webhook/);
    await ok('project', 'create', 'shop', '--repository', path.join(gitDir, 'remote.git'), '--lifecycle', 'staging', '--hotfix-lifecycle', 'staging');
    const api = (method: string, url: string, body: unknown) => fetch(`${server.url}${url}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const channel = await api('POST', '/api/v1/channels', { name: 'deploys', type: 'slack', config: { url: `${chatUrl}/hook` }, subscriptions: [{ events: ['deployment.*'] }] });
    expect(channel.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await server.stop();
    await tool.close();
    await chat.close();
    await dropDb?.();
    for (const dir of [home, dataDir, gitDir, flags]) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps what Slipway says in line with what the targets did', async () => {
    // 1. Release 1.0.0, QA signs off, it goes to both targets.
    commit('feat: checkout (SHOP-1)');
    expect(await ok('release', 'create', '--project', 'shop')).toContain('1.0.0');
    const refused = await cli('deploy', '--project', 'shop', '--version', '1.0.0', '--env', 'staging', '--dry-run');
    expect(refused.code).toBe(2);
    expect(refused.out).toContain('[signoff_missing]');
    await ok('signoff', '--project', 'shop', '--version', '1.0.0', '--kind', 'qa', '--go', '-m', 'checkout works', '--env', 'staging');
    expect(await ok('deploy', '--project', 'shop', '--version', '1.0.0', '--env', 'staging', '--dry-run')).toContain('would be allowed');
    const first = await ok('deploy', '--project', 'shop', '--version', '1.0.0', '--env', 'staging', '--follow');
    expect(first).toContain('[us-cluster] rolling out 1.0.0');
    expect(first).toContain('== eu-cluster: succeeded');

    // 2. Release 1.1.0: us-cluster fails; eu-cluster is told to cancel but had installed it, and says so later.
    commit('feat: wishlist (SHOP-2)');
    await ok('release', 'create', '--project', 'shop');
    await ok('signoff', '--project', 'shop', '--version', '1.1.0', '--kind', 'qa', '--go', '--env', 'staging');
    fs.writeFileSync(path.join(flags, 'us-1.1.0'), '');
    fs.writeFileSync(path.join(flags, 'us-1.0.0'), ''); // and the automatic rollback to 1.0.0 will fail on us-cluster too
    tool.setMode('report-on-cancel');
    const failed = await cli('deploy', '--project', 'shop', '--version', '1.1.0', '--env', 'staging', '--follow');
    expect(failed.code).toBe(1);
    expect(failed.err).toContain('failed: target_failed on us-cluster');
    const d2 = (await deployments()).find((d: any) => d.version === '1.1.0' && d.kind === 'deploy');
    const shown = JSON.parse(await ok('--json', 'deployment', d2.id));
    expect(shown.failure).toEqual({ reason: 'target_failed', target: 'us-cluster' });
    // What eu-cluster reported is what Slipway shows for it.
    expect(shown.targets.find((t: any) => t.key === 'eu-cluster')).toMatchObject({ status: 'succeeded', message: 'eu-cluster runs 1.1.0' });
    expect(tool.calls.filter((c) => c.deploymentId === d2.id).map((c) => c.action)).toEqual(['deploy', 'cancel']);
    expect(tool.reports.filter((r) => r.deploymentId === d2.id)).toEqual([{ deploymentId: d2.id, status: 'succeeded', version: '1.1.0' }]);

    // 3. The automatic rollback to 1.0.0 fails (us-cluster again); Slipway does not go further back by itself.
    const autoRollback = await waitFor('the automatic rollback to end', async () => {
      const rb = (await deployments()).find((d: any) => d.kind === 'rollback' && d.rollbackOf === d2.id);
      return rb && ['failed', 'succeeded'].includes(rb.status) ? rb : undefined;
    });
    expect(autoRollback).toMatchObject({ version: '1.0.0', status: 'failed' });
    const needs = await cli('rollback', '--project', 'shop', '--env', 'staging', '--dry-run');
    expect(needs.code).toBe(1);
    expect(needs.err).toContain('[rollback_version_needed]');
    // The status matrix says what the targets reported: eu-cluster runs 1.0.0 (the rollback reached it), us-cluster 1.0.0 from before.
    const matrix = JSON.parse(await ok('--json', 'status', '--project', 'shop')).items[0];
    expect(matrix.current.version).toBe('1.0.0');

    // 4. Fixed: roll back to 1.0.0 explicitly, with a preview first and no prompt (--yes).
    fs.rmSync(path.join(flags, 'us-1.0.0'));
    const preview = await ok('rollback', '--project', 'shop', '--env', 'staging', '--version', '1.0.0', '--dry-run');
    expect(preview).toContain('from 1.1.0 (failed) to 1.0.0');
    expect(preview).toContain('The last rollback, to 1.0.0');
    expect(preview).toContain('It removes 1.1.0');
    expect(preview).toContain('Tickets going away: SHOP-2');
    const noPrompt = await cli('rollback', '--project', 'shop', '--env', 'staging', '--version', '1.0.0');
    expect(noPrompt.code).toBe(1);
    expect(noPrompt.err).toContain('add --yes');
    tool.setMode('succeed');
    const rolled = await ok('rollback', '--project', 'shop', '--env', 'staging', '--version', '1.0.0', '--yes', '--reason', 'wishlist breaks us-cluster', '--follow');
    expect(rolled).toContain('from 1.1.0 to 1.0.0 on us-cluster, eu-cluster');
    expect(JSON.parse(await ok('--json', 'deployment', d2.id)).status).toBe('rolled_back');

    // 5. A hotfix on 1.0.0, signed off, deployed again.
    const fix = commit('fix: rounding in checkout (SHOP-3)');
    expect(await ok('hotfix', 'create', '--project', 'shop', '--from', '1.0.0', '--commit', fix)).toContain('1.0.1');
    await ok('signoff', '--project', 'shop', '--version', '1.0.1', '--kind', 'qa', '--go', '-m', 'rounding fixed', '--env', 'staging');
    await ok('deploy', '--project', 'shop', '--version', '1.0.1', '--env', 'staging', '--follow');
    const status = await ok('status', '--project', 'shop');
    expect(status).toMatch(/shop\s+1\.0\.1\s*$/m);
    const release = await ok('release', 'show', '1.0.1', '--project', 'shop');
    expect(release).toContain('Runs in: staging');
    expect(release).toMatch(/qa go in staging by admin: rounding fixed/);
    const history = await ok('signoffs', '--project', 'shop', '--version', '1.0.0');
    expect(history).toContain('checkout works');

    // What the chat room read: the failure names the target, the rollback its reason and version, no per-target chatter.
    await waitFor('the chat messages', async () => (chat.messages.some((m) => m.includes('1.0.1 deployed to staging')) ? true : undefined));
    const text = chat.messages.join('\n---\n');
    expect(text).toContain('Failed on target us-cluster');
    expect(text).toMatch(/rolled back to 1\.0\.0/);
    expect(text).toContain('wishlist breaks us-cluster');
    expect(text).not.toMatch(/target[_ ]reported/i);
    const raw = chat.bodies.join('\n');
    expect(raw).toContain(`${server.url}/deployments/`);
    // Every link in the messages opens a web page whose API resource exists (the page loads it).
    const links = [...new Set(raw.match(/http:\/\/127\.0\.0\.1:\d+\/(?:deployments|projects)\/[^\s|>)"]+/g) ?? [])];
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      const page = new URL(link);
      expect((await fetch(`${server.url}/api/v1${page.pathname}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, link).toBe(200);
    }
  }, 120_000);
});
