import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, startServer, type RunningServer } from '@slipway/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../io.js';
import { run } from '../program.js';

const TOKEN = 'slw_cli-flags-admin-token-0123456789';

describe('slipway flag, segment and sdk-key against a running server', () => {
  let server: RunningServer;
  let home: string;
  let dataDir: string;

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), env: { HOME: home, SLIPWAY_URL: server.url, SLIPWAY_TOKEN: TOKEN } };
    const code = await run(args, io, async () => {});
    return { code, out, err };
  }

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-home-'));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-cli-flags-'));
    server = await startServer(loadConfig({ PORT: '0', SLIPWAY_DATA_DIR: dataDir, SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'silent' }));
    expect((await cli('env', 'create', 'dev', '--rank', '10')).code).toBe(0);
    expect((await cli('env', 'create', 'production', '--rank', '20', '--protected')).code).toBe(0);
    expect((await cli('project', 'create', 'app', '--repository', '/srv/git/app.git', '--no-verify')).code).toBe(0);
  });
  afterAll(async () => {
    await server.stop();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates, sets, toggles, lists and shows flags', async () => {
    const created = await cli('flag', 'create', 'new-checkout', '--project', 'app', '--name', 'New checkout', '--tags', 'checkout,payments');
    expect(created.code).toBe(0);
    expect(created.out).toContain('Created flag new-checkout.');
    expect(created.out).toMatch(/variants\s+on=true, off=false/);

    const rollout = await cli('flag', 'set', 'new-checkout', 'production', '--project', 'app', '--enable', '--rollout', '25', '--target', 'on=user-1,user-2');
    expect(rollout.err).toBe('');
    expect(rollout.out).toBe('new-checkout in production: on 25% / off 75%, 2 targets\n');
    expect((await cli('flag', 'toggle', 'new-checkout', 'dev', '--project', 'app')).out).toBe('new-checkout in dev: enabled — on\n');
    expect((await cli('flag', 'toggle', 'new-checkout', 'dev', '--project', 'app')).out).toContain('disabled');

    const flavor = await cli('flag', 'create', 'flavor', '--project', 'app', '--type', 'operational', '--variant', 'standard=standard', '--variant', 'gpu=gpu');
    expect(flavor.out).toMatch(/variants\s+standard="standard", gpu="gpu"/);
    const config = JSON.stringify({ enabled: true, rules: [{ conditions: [{ attribute: 'company', operator: 'eq', values: ['acme'] }], serve: { variant: 'gpu' } }], defaultServe: { variant: 'standard' } });
    expect((await cli('flag', 'set', 'flavor', 'dev', '--project', 'app', '--config', config)).out).toBe('flavor in dev: standard, 1 rule\n');

    const list = await cli('flag', 'list', '--project', 'app');
    expect(list.out).toMatch(/KEY\s+TYPE\s+VARIANTS\s+DEV\s+PRODUCTION/);
    expect(list.out).toMatch(/new-checkout\s+release\s+on\/off\s+off \(disabled\)\s+on 25% \/ off 75%, 2 targets/);
    const shown = await cli('flag', 'show', 'new-checkout', '--project', 'app');
    expect(shown.out).toMatch(/production\s+yes\s+yes\s+on 25% \/ off 75%, 2 targets\s+admin/);
    const json = JSON.parse((await cli('--json', 'flag', 'show', 'new-checkout', '--project', 'app')).out);
    expect(json.environments[1].config.targets).toEqual([{ variant: 'on', values: ['user-1', 'user-2'] }]);
  });

  it('prints the server message on bad input and exits non-zero', async () => {
    const bad = await cli('flag', 'set', 'new-checkout', 'dev', '--project', 'app', '--serve', 'maybe');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('variant "maybe" does not exist');
    expect(bad.err).toContain('[validation_failed]');
    expect((await cli('flag', 'set', 'new-checkout', 'dev', '--project', 'app', '--config', '{not json')).err).toContain('--config is not valid JSON');
    expect((await cli('flag', 'show', 'ghost', '--project', 'app')).err).toContain('Flag ghost does not exist in app.');
  });

  it('manages segments', async () => {
    const created = await cli('segment', 'create', 'beta', '--project', 'app', '--condition', 'company in acme,globex', '--condition', 'seats gte 10');
    expect(created.out).toBe('Created segment beta: company in acme,globex AND seats gte 10\n');
    const uses = JSON.stringify({ enabled: true, rules: [{ conditions: [{ operator: 'in_segment', values: ['beta'] }], serve: { variant: 'gpu' } }], defaultServe: { variant: 'standard' } });
    expect((await cli('flag', 'set', 'flavor', 'dev', '--project', 'app', '--config', uses)).code).toBe(0);
    expect((await cli('segment', 'list', '--project', 'app')).out).toMatch(/beta\s+beta\s+company in acme,globex AND seats gte 10/);
    const refused = await cli('segment', 'delete', 'beta', '--project', 'app');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('Segment beta is used by flavor');
    expect((await cli('segment', 'create', 'tmp', '--project', 'app')).code).toBe(0);
    expect((await cli('segment', 'delete', 'tmp', '--project', 'app')).out).toBe('Deleted segment tmp.\n');
  });

  it('creates, lists and revokes SDK keys', async () => {
    const created = await cli('sdk-key', 'create', '--project', 'app', '--env', 'production', '--kind', 'client', '--name', 'web');
    expect(created.code).toBe(0);
    const secret = /\n {2}(sdk-cli-\S+)\n/.exec(created.out)![1]!;
    const listed = await cli('sdk-key', 'list', '--project', 'app', '--env', 'production');
    expect(listed.out).toMatch(/client\s+web\s+sdk-cli-/);
    expect(listed.out).not.toContain(secret);
    const id = JSON.parse((await cli('--json', 'sdk-key', 'list', '--project', 'app', '--env', 'production')).out)[0].id;
    const ofrep = () => fetch(`${server.url}/ofrep/v1/evaluate/flags/new-checkout`, { method: 'POST', headers: { 'x-api-key': secret, 'content-type': 'application/json' }, body: '{"context":{"targetingKey":"user-1"}}' });
    expect((await ofrep()).status).toBe(200);
    expect((await cli('sdk-key', 'revoke', id, '--project', 'app', '--env', 'production')).out).toBe(`Revoked client SDK key web (${id}).\n`);
    expect((await ofrep()).status).toBe(401);
  });
});
