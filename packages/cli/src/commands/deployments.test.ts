import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, startServer, type RunningServer } from '@slipway/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../io.js';
import { run } from '../program.js';

const TOKEN = 'slw_cli-deploy-test-token-0123456789';
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' };

describe('slipway signoff, deploy, approve, rollback, status, deployments', () => {
  let server: RunningServer;
  let home: string;
  let dataDir: string;
  let gitDir: string;
  let remote: string;

  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' });

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), env: { HOME: home, SLIPWAY_URL: server.url, SLIPWAY_TOKEN: TOKEN } };
    const code = await run(args, io, async () => {});
    return { code, out, err };
  }

  async function release(message: string): Promise<string> {
    const work = path.join(gitDir, 'work');
    fs.writeFileSync(path.join(work, `${Date.now()}-${Math.random()}.txt`), message);
    git(work, 'add', '.');
    git(work, 'commit', '-q', '-m', message);
    git(work, 'push', '-q', 'origin', 'main');
    const created = await fetch(`${server.url}/api/v1/projects/shop/releases`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
    return ((await created.json()) as { version: string }).version;
  }

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-home-'));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-cli-deploy-'));
    gitDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-cli-git-'));
    remote = path.join(gitDir, 'remote.git');
    git(gitDir, 'init', '-q', '--bare', '--initial-branch=main', remote);
    git(gitDir, 'clone', '-q', remote, 'work');
    git(path.join(gitDir, 'work'), 'checkout', '-q', '-b', 'main');
    server = await startServer(loadConfig({ PORT: '0', SLIPWAY_DATA_DIR: dataDir, SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'silent' }));
    const api = (method: string, url: string, body: unknown) => fetch(`${server.url}${url}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await api('POST', '/api/v1/environments', { key: 'dev', rank: 10 });
    await api('POST', '/api/v1/environments', { key: 'prod', rank: 20 });
    await api('PATCH', '/api/v1/environments/dev', { targets: [{ key: 'eu', executor: { type: 'command', command: ['sh', '-c', 'echo "rolling out $SLIPWAY_VERSION"; test "$SLIPWAY_VERSION" != "1.0.2"'] } }] });
    await api('PATCH', '/api/v1/environments/prod', { requiredSignoffs: ['qa'], approvals: { required: 1, roles: ['release-manager'] } });
    await api('POST', '/api/v1/projects', { key: 'shop', repository: remote, lifecycle: ['dev', 'prod'] });
  });
  afterAll(async () => {
    await server.stop();
    for (const dir of [home, dataDir, gitDir]) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('deploys with --follow, showing per-target progress and logs, and exits non-zero on failure', async () => {
    const v1 = await release('feat: first');
    const ok = await cli('deploy', '--project', 'shop', '--version', v1, '--env', 'dev', '--reason', 'first', '--follow');
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`Requested deployment`);
    expect(ok.out).toContain(`[eu] rolling out ${v1}`);
    expect(ok.out).toContain('== eu: succeeded');
    expect(ok.out).toMatch(/Deployment \w+ succeeded\./);

    const v2 = await release('fix: second');
    expect((await cli('deploy', '--project', 'shop', '--version', v2, '--env', 'dev', '--follow')).code).toBe(0);
    const v3 = await release('fix: third'); // 1.0.2: the command refuses it
    expect(v3).toBe('1.0.2');
    const failed = await cli('deploy', '--project', 'shop', '--version', v3, '--env', 'dev', '--follow');
    expect(failed.code).toBe(1);
    expect(failed.err).toMatch(/failed: target_failed on eu/);

    const history = await cli('deployments', '--project', 'shop', '--env', 'dev');
    expect(history.out).toMatch(/ID\s+ENV\s+VERSION\s+KIND\s+STATUS/);
    expect(history.out).toMatch(/dev\s+1\.0\.2\s+deploy\s+failed/);

    const rollback = await cli('rollback', '--project', 'shop', '--env', 'dev', '--reason', 'broken', '--yes', '--follow');
    expect(rollback.code).toBe(0);
    expect(rollback.out).toContain(`from 1.0.2 to ${v2}`);
  });

  it('records sign-offs and is refused by the guardrails with the server message', async () => {
    const version = '1.0.1';
    const noGo = await cli('signoff', '--project', 'shop', '--version', version, '--kind', 'qa', '--no-go', '-m', 'cart totals wrong', '--env', 'prod');
    expect(noGo.code).toBe(0);
    expect(noGo.out).toContain('Recorded qa no-go for shop 1.0.1 in prod: cart totals wrong.');
    const refused = await cli('deploy', '--project', 'shop', '--version', version, '--env', 'prod');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('"cart totals wrong"');
    expect(refused.err).toContain('[signoff_no_go]');
    expect((await cli('signoff', '--project', 'shop', '--version', version, '-m', 'x')).err).toContain('Say --go or --no-go.');
    expect((await cli('signoff', '--project', 'shop', '--version', version, '--go', '-m', 'fixed')).code).toBe(0);

    const requested = await cli('--json', 'deploy', '--project', 'shop', '--version', version, '--env', 'prod');
    const d = JSON.parse(requested.out);
    expect(d.status).toBe('pending_approval');
    const self = await cli('approve', d.id);
    expect(self.code).toBe(1);
    expect(self.err).toContain('someone else must approve');

    const status = await cli('status');
    expect(status.out).toMatch(/PROJECT\s+DEV\s+PROD/);
    expect(status.out).toMatch(/shop\s+1\.0\.1\s+.*→ 1\.0\.1 \(pending_approval\)/);
    const json = JSON.parse((await cli('--json', 'status')).out);
    expect(json.items.find((c: any) => c.environment === 'dev').current.version).toBe('1.0.1');
  });
});
