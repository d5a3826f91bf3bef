import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadConfig, startServer, type RunningServer } from '@slipway/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { run } from './program.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/slipway.js');
const TOKEN = 'slw_cli-test-admin-token-0123456789';

describe('the slipway CLI against a running server', () => {
  let server: RunningServer;
  let home: string;
  let dataDir: string;

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-home-'));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-cli-data-'));
    server = await startServer(loadConfig({ PORT: '0', SLIPWAY_DATA_DIR: dataDir, SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'silent' }));
  });
  afterAll(async () => {
    await server.stop();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), env: { HOME: home } };
    const code = await run(args, io, async () => {});
    return { code, out, err };
  }

  it('logs in and stores the profile readable by its owner only', async () => {
    const res = await cli('login', '--url', server.url, '--token', TOKEN);
    expect(res.code).toBe(0);
    expect(res.out).toContain('as admin (admin)');
    const file = path.join(home, '.config', 'slipway', 'config.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).profiles.default).toEqual({ url: server.url, token: TOKEN });
  });

  it('refuses a bad token at login without storing it', async () => {
    const res = await cli('login', '--url', server.url, '--token', 'slw_wrong-token', '--name', 'bad');
    expect(res.code).toBe(1);
    expect(res.err).toContain('The token is not valid. [unauthorized]');
    expect(fs.readFileSync(path.join(home, '.config', 'slipway', 'config.json'), 'utf8')).not.toContain('slw_wrong-token');
  });

  it('manages environments and projects with tables and --json', async () => {
    expect((await cli('env', 'create', 'dev', '--rank', '10')).code).toBe(0);
    expect((await cli('env', 'create', 'production', '--rank', '20', '--protected', '--color', '#dc2626')).code).toBe(0);
    const envs = await cli('env', 'list');
    expect(envs.out).toMatch(/KEY\s+NAME\s+RANK\s+PROTECTED\s+COLOR/);
    expect(envs.out).toMatch(/production\s+production\s+20\s+yes\s+#dc2626/);
    expect((await cli('env', 'update', 'production', '--name', 'Production')).out).toContain('Production');

    const created = await cli('project', 'create', 'api', '--repository', '/srv/git/api.git', '--no-verify', '--tag-template', '{project}-v{version}', '--lifecycle', 'dev,production');
    expect(created.code).toBe(0);
    expect(created.out).toContain('dev → production');
    const shown = JSON.parse((await cli('--json', 'project', 'show', 'api')).out);
    expect(shown).toMatchObject({ key: 'api', tagTemplate: '{project}-v{version}', lifecycle: ['dev', 'production'] });
    expect((await cli('project', 'update', 'api', '--default-lifecycle')).out).toContain('(default: every environment)');
    expect((await cli('project', 'list')).out).toMatch(/api\s+api\s+\/srv\/git\/api.git/);
  });

  it('prints the server message and exits non-zero on errors', async () => {
    const dup = await cli('env', 'create', 'dev');
    expect(dup.code).toBe(1);
    expect(dup.err).toBe('error: Environment dev already exists. [conflict]\n');
    const invalid = await cli('project', 'create', 'bad', '--repository', 'relative');
    expect(invalid.code).toBe(1);
    expect(invalid.err).toContain('[validation_failed]');
    const missing = await cli('project', 'show', 'ghost');
    expect(missing.err).toContain('Project ghost does not exist.');
    expect((await cli('env', 'create')).code).not.toBe(0);
  });

  it('creates, lists and revokes tokens, and reads the audit log', async () => {
    const created = JSON.parse((await cli('--json', 'token', 'create', 'ci', '--role', 'viewer')).out);
    expect(created.token).toMatch(/^slw_/);
    const listed = await cli('token', 'list');
    expect(listed.out).toContain('ci');
    expect(listed.out).not.toContain(created.token);
    expect((await cli('token', 'revoke', created.record.id)).out).toContain('Revoked token ci');
    const audit = await cli('audit', '--resource-type', 'token', '--limit', '5');
    expect(audit.out).toMatch(/token\.revoked\s+token\//);
  });

  it('lets SLIPWAY_URL and SLIPWAY_TOKEN override the profile, and says how to log in when nothing is set', async () => {
    let out = '';
    let err = '';
    const env = { HOME: fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-empty-home-')) };
    const code = await run(['env', 'list'], { out: (t) => (out += t), err: (t) => (err += t), env }, async () => {});
    expect(code).toBe(1);
    expect(err).toContain('slipway login');
    const ok = await run(['env', 'list'], { out: (t) => (out += t), err: (t) => (err += t), env: { ...env, SLIPWAY_URL: server.url, SLIPWAY_TOKEN: TOKEN } }, async () => {});
    expect(ok).toBe(0);
    expect(out).toContain('production');
  });

  it('works as the installed bin', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, '--json', 'env', 'list'], { env: { PATH: process.env.PATH, HOME: home } });
    expect(JSON.parse(stdout).map((e: { key: string }) => e.key)).toEqual(['dev', 'production']);
    const failed = await promisify(execFile)(process.execPath, [BIN, 'project', 'show', 'ghost'], { env: { PATH: process.env.PATH, HOME: home } }).catch((e: { code: number; stderr: string }) => e);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toContain('Project ghost does not exist.');
  });
});
