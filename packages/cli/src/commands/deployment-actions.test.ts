import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, startServer, type RunningServer } from '@slipway/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../io.js';
import { run } from '../program.js';
import { parseWindow, splitArgv } from './env-settings.js';

const TOKEN = 'slw_cli-actions-token-0123456789abcd';
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' };

// Issue 10 §3: nothing a person does around a deployment needs curl.
describe('slipway report, cancel, reject, user, env set, signoffs, heartbeat', () => {
  let server: RunningServer;
  let home: string;
  let dataDir: string;
  let gitDir: string;
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' });

  async function cli(token: string, ...args: string[]) {
    let out = '';
    let err = '';
    const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), env: { HOME: home, SLIPWAY_URL: server.url, SLIPWAY_TOKEN: token } };
    const code = await run(args, io, async () => {});
    return { code, out, err };
  }
  const ok = async (token: string, ...args: string[]) => {
    const r = await cli(token, ...args);
    expect(r.code, `${args.join(' ')}\n${r.out}\n${r.err}`).toBe(0);
    return r.out;
  };
  const api = async (method: string, url: string, body?: unknown) =>
    (await fetch(`${server.url}${url}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) })).json() as Promise<any>;
  let n = 0;
  async function release(): Promise<string> {
    const work = path.join(gitDir, 'work');
    fs.writeFileSync(path.join(work, `${++n}.txt`), String(n));
    git(work, 'add', '.');
    git(work, 'commit', '-q', '-m', `fix: change ${n}`);
    git(work, 'push', '-q', 'origin', 'main');
    return (await api('POST', '/api/v1/projects/app/releases', {})).version;
  }
  const tokenOf = async (username: string) => {
    const users = await api('GET', '/api/v1/users?limit=200');
    const user = users.items.find((u: any) => u.username === username);
    return (await api('POST', '/api/v1/tokens', { name: `${username} cli`, userId: user.id })).token as string;
  };

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-home-'));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-cli-act-'));
    gitDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-cli-act-git-'));
    const remote = path.join(gitDir, 'remote.git');
    git(gitDir, 'init', '-q', '--bare', '--initial-branch=main', remote);
    git(gitDir, 'clone', '-q', remote, 'work');
    git(path.join(gitDir, 'work'), 'checkout', '-q', '-b', 'main');
    server = await startServer(loadConfig({ PORT: '0', SLIPWAY_DATA_DIR: dataDir, SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'silent' }));
    await api('POST', '/api/v1/environments', { key: 'test', rank: 10 });
    await api('POST', '/api/v1/environments', { key: 'live', rank: 20 });
    await api('POST', '/api/v1/projects', { key: 'app', repository: remote, lifecycle: ['test', 'live'] });
  });
  afterAll(async () => {
    await server.stop();
    for (const dir of [home, dataDir, gitDir]) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('parses windows, days and command lines like a shell', () => {
    expect(parseWindow('mon-fri 09:00-16:00 America/New_York')).toEqual({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '16:00', timezone: 'America/New_York' });
    expect(parseWindow('fri-mon 22:00-02:00 UTC')).toEqual({ days: ['fri', 'sat', 'sun', 'mon'], start: '22:00', end: '02:00', timezone: 'UTC' });
    expect(splitArgv(`sh -c 'echo "a b"; exit 1' --x "y z"`)).toEqual(['sh', '-c', 'echo "a b"; exit 1', '--x', 'y z']);
  });

  it('manages users, sets every deployment setting, and reports, cancels and rejects without curl', async () => {
    expect(await ok(TOKEN, 'user', 'create', 'quinn', '--role', 'qa', '--email', 'quinn@example.com')).toContain('Created user quinn (qa)');
    await ok(TOKEN, 'user', 'create', 'rm', '--role', 'engineer');
    expect(await ok(TOKEN, 'user', 'update', 'rm', '--role', 'release-manager')).toMatch(/role\s+release-manager/);
    expect(await ok(TOKEN, 'user', 'list')).toMatch(/quinn\s+qa/);

    const set = await ok(TOKEN, 'env', 'set', 'live', '--require-signoff', 'qa', '--approvals', '1', '--approver-roles', 'release-manager', '--window', 'fri 22:00-02:00 UTC', '--target', 'k8s', '--record', '--smoke-http', 'http://127.0.0.1:9/health', '--expect', '204', '--auto-rollback', '--dashboard', 'Grafana=https://grafana.example.com/d/app');
    expect(set).toMatch(/approvals\s+approvers: 1 by release-manager/);
    expect(set).toMatch(/windows\s+fri 22:00-02:00 UTC/);
    expect(set).toMatch(/targets\s+k8s=record/);
    expect(set).toMatch(/smoke\s+GET http:\/\/127\.0\.0\.1:9\/health → 204/);
    expect(set).toMatch(/dashboards\s+Grafana=https:\/\/grafana\.example\.com\/d\/app/);
    await ok(TOKEN, 'env', 'set', 'live', '--approval-group', 'security', '--approvals', '1', '--approver-users', 'quinn', '--kinds', 'hotfix');
    const env = await api('GET', '/api/v1/environments/live');
    expect(env.approvals).toEqual([
      { name: 'approvers', required: 1, roles: ['release-manager'], users: [] },
      { name: 'security', required: 1, roles: [], users: ['quinn'], kinds: ['hotfix'] },
    ]);
    expect((await ok(TOKEN, 'env', 'set', 'live', '--freeze', '2000-01-01T00:00Z..2999-01-01T00:00Z', '--reason', 'audit'))).toMatch(/freezes\s+2000-01-01T00:00:00.000Z..2999/);
    const bad = await cli(TOKEN, 'env', 'set', 'live', '--target', 'x');
    expect(bad.err).toContain('--target needs exactly one of');
    await ok(TOKEN, 'env', 'set', 'live', '--no-smoke', '--clear-windows', '--no-approvals', '--remove-target', 'k8s');
    expect(await api('GET', '/api/v1/environments/live')).toMatchObject({ smoke: null, windows: [], approvals: [], targets: [] });

    // A record target: --follow says who must report and how; slipway report ends it.
    const v1 = await release();
    const requested = JSON.parse(await ok(TOKEN, '--json', 'deploy', '--project', 'app', '--version', v1, '--env', 'test'));
    const follow = cli(TOKEN, 'deployment', requested.id, '--follow');
    for (let i = 0; i < 100 && (await api('GET', `/api/v1/deployments/${requested.id}`)).targets[0].status !== 'running'; i++) await new Promise((r) => setTimeout(r, 30));
    expect((await api('GET', `/api/v1/deployments/${requested.id}`)).targets[0].waitingFor).toBe('report');
    expect(await ok(TOKEN, 'report', requested.id, '--target', 'default', '--succeeded', '-m', 'rolled out by hand')).toContain('Reported default succeeded');
    const followed = await follow;
    expect(followed.out).toContain(`waiting for someone to report target default: slipway report ${requested.id} --target default --succeeded|--failed`);
    expect(followed.out).toContain('succeeded');

    // The freeze refusal names the CLI flag beside the API field.
    await ok(TOKEN, 'signoff', '--project', 'app', '--version', v1, '--go', '--env', 'live');
    const frozen = await cli(TOKEN, 'deploy', '--project', 'app', '--version', v1, '--env', 'live');
    expect(frozen.err).toContain('[frozen]');
    expect(frozen.err).toContain('--override-reason');
    await ok(TOKEN, 'env', 'set', 'live', '--clear-freezes', '--approvals', '1', '--approver-roles', 'release-manager');

    // Reject with a comment; cancel a pending one.
    const pending = JSON.parse(await ok(TOKEN, '--json', 'deploy', '--project', 'app', '--version', v1, '--env', 'live'));
    expect(pending.status).toBe('pending_approval');
    const rmToken = await tokenOf('rm');
    expect((await cli(rmToken, 'reject', pending.id)).code).toBe(1);
    expect(await ok(rmToken, 'reject', pending.id, '-m', 'not during the audit')).toContain('Rejected');
    expect((await api('GET', `/api/v1/deployments/${pending.id}`)).status).toBe('rejected');
    const again = JSON.parse(await ok(TOKEN, '--json', 'deploy', '--project', 'app', '--version', v1, '--env', 'live'));
    expect(await ok(TOKEN, 'cancel', again.id, '--reason', 'wrong day')).toContain(`Cancelled ${again.id}`);

    // Sign-off history and heartbeats.
    await ok(await tokenOf('quinn'), 'signoff', '--project', 'app', '--version', v1, '--no-go', '-m', 'flaky login', '--env', 'live');
    const history = await ok(TOKEN, 'signoffs', '--project', 'app', '--version', v1);
    expect(history).toMatch(/qa\s+go\s+live\s+admin/);
    expect(history).toMatch(/qa\s+no-go\s+live\s+quinn.*flaky login/);
    expect(await ok(TOKEN, 'heartbeat', '--project', 'app', '--env', 'test', '--version', '0.0.9', '--instance', 'web-1')).toContain('Reported web-1');
    expect(await ok(TOKEN, 'status', '--project', 'app')).toContain('DRIFT(web-1=0.0.9)');
  });
});
