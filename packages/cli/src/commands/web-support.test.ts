import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, startServer, type RunningServer } from '@slipway/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../io.js';
import { run } from '../program.js';

const TOKEN = 'slw_cli-web-support-token-0123456789';
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' };

// The API additions of the web app (issue 12), from the command line.
describe('slipway: ticket links, production marks, badge, flag evaluate/history, timeline, audit ranges', () => {
  let server: RunningServer;
  let home: string;
  let dataDir: string;
  let gitDir: string;
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' });

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), env: { HOME: home, SLIPWAY_URL: server.url, SLIPWAY_TOKEN: TOKEN } };
    const code = await run(args, io, async () => {});
    return { code, out, err };
  }

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-home-'));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-cli-web-'));
    gitDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-cli-web-git-'));
    git(gitDir, 'init', '-q', '--bare', '--initial-branch=main', path.join(gitDir, 'remote.git'));
    git(gitDir, 'clone', '-q', path.join(gitDir, 'remote.git'), 'work');
    git(path.join(gitDir, 'work'), 'checkout', '-q', '-b', 'main');
    server = await startServer(loadConfig({ PORT: '0', SLIPWAY_DATA_DIR: dataDir, SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'silent' }));
  });
  afterAll(async () => {
    await server.stop();
    for (const dir of [home, dataDir, gitDir]) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sets environments, a project with ticket links, and prints the badge tag', async () => {
    expect((await cli('env', 'create', 'staging', '--rank', '10', '--color', '#ca8a04', '--badge', 'key')).code).toBe(0);
    const prod = await cli('env', 'create', 'production', '--rank', '20', '--protected');
    expect(prod.out).toMatch(/production\s+yes/);
    const unmarked = await cli('env', 'update', 'production', '--not-production');
    expect(unmarked.out).toMatch(/production\s+no/);
    expect((await cli('env', 'update', 'production', '--production', '--badge', 'off')).out).toMatch(/badge\s+off/);
    expect((await cli('env', 'update', 'staging', '--badge', 'sometimes')).code).not.toBe(0);

    const remote = path.join(gitDir, 'remote.git');
    const created = await cli('project', 'create', 'shop', '--repository', remote, '--lifecycle', 'staging,production', '--ticket-url', 'https://tracker.example.com/browse/{ticket}');
    expect(created.err).toBe('');
    expect(created.out).toContain('https://tracker.example.com/browse/{ticket}');
    const bad = await cli('project', 'update', 'shop', '--ticket-url', 'https://tracker.example.com/browse/');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('ticketUrl');

    const tag = await cli('badge', '--project', 'shop', '--env', 'staging', '--key', 'sdk-cli-abc');
    expect(tag.out).toBe(`<script src="${server.url}/badge.js?project=shop&environment=staging&key=sdk-cli-abc" defer></script>\n`);
    expect((await cli('badge', '--project', 'ghost', '--env', 'staging')).code).not.toBe(0);
  });

  it('shows what every flag serves a user everywhere, and a flag’s history', async () => {
    expect((await cli('flag', 'create', 'flavor', '--project', 'shop', '--type', 'operational', '--variant', 'standard=standard', '--variant', 'beta=beta')).code).toBe(0);
    const set = await cli('flag', 'set', 'flavor', 'staging', '--project', 'shop', '--config', JSON.stringify({ enabled: true, offVariant: 'standard', targets: [{ variant: 'beta', values: ['pm-1'] }], defaultServe: { variant: 'standard' } }));
    expect(set.err).toBe('');
    const evaluated = await cli('flag', 'evaluate', '--project', 'shop', '--user', 'pm-1', '--attr', 'company=avaya');
    expect(evaluated.err).toBe('');
    // pm-1's individual target decided it: the CLI says so, as the web app does.
    expect(evaluated.out).toMatch(/flavor\s+beta \(targeting_match, overridden\)\s+standard \(disabled\)/);
    const json = await cli('--json', 'flag', 'evaluate', '--project', 'shop', '--user', 'pm-2', '--env', 'staging');
    expect(JSON.parse(json.out).flags[0].results).toEqual([{ environment: 'staging', value: 'standard', variant: 'standard', reason: 'DEFAULT', errorCode: null, overridden: false }]);
    expect((await cli('flag', 'evaluate', '--project', 'shop', '--context', '{nope')).code).not.toBe(0);

    const history = await cli('flag', 'history', 'flavor', '--project', 'shop');
    expect(history.out).toContain('flavor in staging');
    expect(history.out).toContain('flag.created'.replace('flag.', ''));
    const listed = await cli('flag', 'list', '--project', 'shop', '--type', 'operational', '--search', 'flav');
    expect(listed.out).toContain('flavor');
    expect((await cli('flag', 'list', '--project', 'shop', '--tag', 'nothing')).out).not.toContain('flavor');
  });

  it('prints a deployment timeline and filters the audit log by a time range', async () => {
    const work = path.join(gitDir, 'work');
    fs.writeFileSync(path.join(work, 'a.txt'), 'a');
    git(work, 'add', '.');
    git(work, 'commit', '-q', '-m', 'feat: checkout SHOP-7');
    git(work, 'push', '-q', 'origin', 'main');
    const release = await cli('--json', 'release', 'create', '--project', 'shop');
    const version = JSON.parse(release.out).version;
    expect(JSON.parse(release.out).ticketLinks).toEqual([{ key: 'SHOP-7', url: 'https://tracker.example.com/browse/SHOP-7' }]);
    const deployed = await cli('--json', 'deploy', '--project', 'shop', '--version', version, '--env', 'staging');
    const id = JSON.parse(deployed.out).id;
    const timeline = await cli('timeline', id);
    expect(timeline.err).toBe('');
    expect(timeline.out).toContain('requested');
    expect(timeline.out).toContain(`admin requested ${version} to staging`);
    expect((await cli('timeline', 'nope')).err).toContain('not_found');

    const before = new Date(Date.now() - 3_600_000).toISOString();
    const none = await cli('--json', 'audit', '--until', before);
    expect(JSON.parse(none.out)).toEqual([]);
    const some = await cli('--json', 'audit', '--since', before, '--until', new Date(Date.now() + 60_000).toISOString(), '--action', 'project.created');
    expect(JSON.parse(some.out).map((r: any) => r.resourceId)).toEqual(['shop']);
  });
});
