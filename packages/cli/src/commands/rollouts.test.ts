import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, startServer, type RunningServer } from '@slipway/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../io.js';
import { run } from '../program.js';

const TOKEN = 'slw_cli-rollouts-admin-token-0123456789';

describe('slipway rollout, analysis-template and rollout-plan against a running server', () => {
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
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-cli-rollouts-'));
    server = await startServer(loadConfig({ PORT: '0', SLIPWAY_DATA_DIR: dataDir, SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'silent', SLIPWAY_ROLLOUT_POLL_MS: '100' }));
    expect((await cli('env', 'create', 'production', '--rank', '20')).code).toBe(0);
    expect((await cli('project', 'create', 'app', '--repository', '/srv/git/app.git', '--no-verify')).code).toBe(0);
    expect((await cli('flag', 'create', 'new-checkout', '--project', 'app')).code).toBe(0);
    expect((await cli('flag', 'set', 'new-checkout', 'production', '--project', 'app', '--enable', '--serve', 'off')).code).toBe(0);
  });
  afterAll(async () => {
    await server.stop();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the shipped plan and templates, creates a template from a file, and refuses a bad one with the field', async () => {
    const plans = await cli('rollout-plan', 'list', '--project', 'app');
    expect(plans.out).toMatch(/standard-canary\s+yes\s+5% → pause 30m → 25% → pause 1h → 50% → pause 2h → 100%/);
    expect((await cli('analysis-template', 'list', '--project', 'app')).out).toContain('error-rate-absolute-5m');
    const file = path.join(home, 'template.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'quick', metrics: [{ name: 'errors', provider: { slipway: { metric: 'error-rate' } }, interval: '1s', failureCondition: 'result > 0.5' }] }));
    expect((await cli('analysis-template', 'create', '--project', 'app', '--file', file)).out).toBe('Created analysis template quick.\n');
    fs.writeFileSync(file, JSON.stringify({ name: 'broken', metrics: [{ name: 'errors', provider: { slipway: { metric: 'error-rate' } }, failureCondition: 'result >' }] }));
    const bad = await cli('analysis-template', 'create', '--project', 'app', '--file', file);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('body.metrics[0].failureCondition does not parse at column 9');
  });

  it('starts a rollout, watches it to 100 %, lists and shows it; a command on a finished one fails', async () => {
    const plan = path.join(home, 'plan.json');
    fs.writeFileSync(plan, JSON.stringify({ steps: [{ setWeight: 20 }, { pause: { duration: '1s' } }, { setWeight: 60 }, { pause: { duration: '1s' } }, { setWeight: 100 }] }));
    const started = await cli('--json', 'rollout', 'start', '--project', 'app', '--flag', 'new-checkout', '--env', 'production', '--variant', 'on', '--plan', plan);
    expect(started.code).toBe(0);
    const id = JSON.parse(started.out).id;
    const watched = await cli('rollout', 'watch', id, '--interval', '0.2');
    expect(watched.err).toBe('');
    expect(watched.code).toBe(0);
    expect(watched.out).toContain('weight 20 %');
    expect(watched.out).toContain('weight 60 %');
    expect(watched.out).toMatch(/\[succeeded\] step 5\/5 complete \| weight 100 %/);
    expect(watched.out).toContain(`Rollout ${id} succeeded.`);
    expect((await cli('rollout', 'list', '--project', 'app')).out).toMatch(new RegExp(`${id}\\s+production\\s+new-checkout:on\\s+succeeded\\s+5/5\\s+100 %`));
    const shown = await cli('rollout', 'show', id);
    expect(shown.out).toMatch(/status\s+succeeded/);
    expect(shown.out).toContain('completed');
    const abort = await cli('rollout', 'abort', id);
    expect(abort.code).toBe(1);
    expect(abort.err).toContain('[rollout_finished]');
  });
});
