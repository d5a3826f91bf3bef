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
    const res = await cli('demo', '--dir', tmp('slipway-demo-'));
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    expect(res.out).toContain('Releases: 1.0.0, 1.1.0, 1.1.1 (hotfix of 1.1.0), 1.2.0-rc.1.');
    const list = await cli('release', 'list', '--project', 'demo-api');
    expect(list.out.split('\n')[1]).toMatch(/^1\.2\.0-rc\.1\s+prerelease\s+v1\.2\.0-rc\.1/);
    expect(list.out).toMatch(/1\.1\.1\s+hotfix/);
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
});
