import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, startServer, type RunningServer } from '@slipway/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { run } from './program.js';

const TOKEN = 'slw_release-cli-test-token-0123456789';

describe('slipway demo, release and hotfix commands', () => {
  let server: RunningServer;
  const dirs: string[] = [];
  const tmp = (prefix: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  let env: CliIo['env'];

  beforeAll(async () => {
    server = await startServer(loadConfig({ PORT: '0', SLIPWAY_DATA_DIR: tmp('slipway-rel-data-'), SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'silent' }));
    env = { HOME: tmp('slipway-rel-home-'), SLIPWAY_URL: server.url, SLIPWAY_TOKEN: TOKEN };
  });
  afterAll(async () => {
    await server.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await run(args, { out: (t) => (out += t), err: (t) => (err += t), env }, async () => {});
    return { code, out, err };
  }

  it('builds a realistic demo in one command', async () => {
    const dir = tmp('slipway-demo-');
    const res = await cli('demo', '--dir', dir);
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    expect(res.out).toContain('Releases: 1.0.0, 1.1.0, 1.1.1 (hotfix of 1.1.0), 1.2.0-rc.1.');
    const list = await cli('release', 'list', '--project', 'demo-api');
    expect(list.out.split('\n')[1]).toMatch(/^1\.2\.0-rc\.1\s+prerelease\s+v1\.2\.0-rc\.1/);
    expect(list.out).toMatch(/1\.1\.1\s+hotfix/);
    // The hotfix holds its parent, and its line branch holds it.
    const remote = path.join(dir, 'demo-api.git');
    execFileSync('git', ['--git-dir', remote, 'merge-base', '--is-ancestor', 'v1.1.0', 'v1.1.1']);
    execFileSync('git', ['--git-dir', remote, 'merge-base', '--is-ancestor', 'v1.1.1', 'refs/heads/hotfix/1.1.x']);
  });

  it('shows a release with its changelog grouped and its tickets', async () => {
    const res = await cli('release', 'show', '1.1.0', '--project', 'demo-api');
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/tickets\s+PAY-131, PAY-128, PAY-126, PAY-123, PAY-122, PAY-120/);
    expect(res.out).toContain('Features:\n');
    // The subject already names the ticket: it is not printed twice.
    expect(res.out).toMatch(/[0-9a-f]{7} {2}api: refunds \(PAY-120\)\n/);
    expect(res.out).toContain('Fixes:');
    const hotfix = await cli('release', 'show', '1.1.1', '--project', 'demo-api');
    expect(hotfix.out).toMatch(/merged back\s+yes/);
  });

  it('prints notes and compares versions', async () => {
    const notes = await cli('release', 'notes', '1.1.0', '--project', 'demo-api');
    expect(notes.out).toContain('# demo-api 1.1.0');
    expect(notes.out).toContain('## Features');
    const cmp = await cli('--json', 'release', 'compare', '--project', 'demo-api', '--from', '1.0.0', '--to', '1.1.0');
    expect(JSON.parse(cmp.out).commits).toHaveLength(8);
  });

  it('creates releases and hotfixes, and reports refusals with the server message', async () => {
    const nothing = await cli('release', 'create', '--project', 'demo-api');
    expect(nothing.code).toBe(0);
    expect(nothing.out).toContain('Released demo-api 1.2.0');
    const again = await cli('release', 'create', '--project', 'demo-api');
    expect(again.code).toBe(1);
    expect(again.err).toContain('[nothing_to_release]');
    const bad = await cli('hotfix', 'create', '--project', 'demo-api', '--from', '9.9.9', '--commit', 'abcdef1');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('Release 9.9.9 of demo-api does not exist.');
  });

  it('previews a release with --dry-run: version, the deciding rule, every refusal; nothing is tagged', async () => {
    const before = (await cli('--json', 'release', 'list', '--project', 'demo-api')).out;
    const preview = await cli('release', 'create', '--project', 'demo-api', '--dry-run');
    expect(preview.code).toBe(0);
    expect(preview.out).toMatch(/^Would NOT release demo-api\. Nothing was tagged or recorded\.\n {2}✗ There are no new commits since 1\.2\.0; nothing to release\. \[nothing_to_release\]/);
    expect((await cli('--json', 'release', 'list', '--project', 'demo-api')).out).toBe(before);
  });

  it('prints how many releases a new project imported from existing tags, and imports again on demand', async () => {
    const dir = tmp('slipway-rel-import-');
    const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@example.com', GIT_COMMITTER_NAME: 'A', GIT_COMMITTER_EMAIL: 'a@example.com' };
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env }).toString().trim();
    git('init', '--quiet', '--initial-branch=main', 'work');
    const work = (...args: string[]) => execFileSync('git', args, { cwd: path.join(dir, 'work'), env }).toString().trim();
    for (const [n, tag] of [[1, 'v0.9.0'], [2, 'v1.0.0'], [3, 'v1.1.0'], [4, 'build-42']] as const) {
      work('commit', '--quiet', '--allow-empty', '-m', `feat: change ${n}`);
      work('tag', tag);
    }
    git('clone', '--quiet', '--bare', 'work', 'remote.git');
    const remote = path.join(dir, 'remote.git');

    const created = await cli('project', 'create', 'legacy-cli', '--repository', remote);
    expect(created.err).toBe('');
    expect(created.out).toContain('Imported 3 releases from existing tags (latest 1.1.0; the next release continues from it).');
    expect(created.out).toContain('build-42: does not match the tag template v{version}');
    const again = await cli('release', 'import', '--project', 'legacy-cli');
    expect(again.out).toContain('Imported 0 releases from existing tags (latest 1.1.0');
    expect(again.out).toContain('3 tags were already releases.');

    work('commit', '--quiet', '--allow-empty', '-m', 'feat: search (LEG-9)');
    work('push', '--quiet', remote, 'main');
    const preview = await cli('release', 'create', '--project', 'legacy-cli', '--dry-run');
    expect(preview.out).toMatch(/^Would release legacy-cli 1\.2\.0 \(minor, tag v1\.2\.0 on [0-9a-f]{12}\)\. Nothing was tagged or recorded\.\nWhy: minor because feat "search \(LEG-9\)" \([0-9a-f]{7}\) matched release rule 1 \{ type: feat \} → minor\.\nSince: 1\.1\.0 · 2 commits · tickets: LEG-9\n/);
    const made = await cli('release', 'create', '--project', 'legacy-cli');
    expect(made.out).toContain('Released legacy-cli 1.2.0');
    expect(made.out).toContain('Why: minor because feat');

    const unreachable = await cli('project', 'create', 'nowhere', '--repository', path.join(dir, 'missing.git'));
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toContain('[repository_unreachable]');
    const unchecked = await cli('project', 'create', 'nowhere', '--repository', path.join(dir, 'missing.git'), '--no-verify');
    expect(unchecked.code).toBe(0);
    expect(unchecked.out).toContain('Repository not checked (--no-verify)');
  });
});
