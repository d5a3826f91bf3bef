import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, startServer, type RunningServer } from '@slipway/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../io.js';
import { run } from '../program.js';
import { createTestRepository } from '../../../server/src/testing/git-fixtures.js';

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

  it('deploy --strategy canary prints the rollout id; rollout watch follows it to 100 %; a bad --analysis names the field', { timeout: 60_000 }, async () => {
    const repo = await createTestRepository();
    try {
      await repo.commit('chore: initial commit');
      await repo.push();
      const api = async (method: string, p: string, body?: unknown) => {
        const res = await fetch(`${server.url}${p}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(method !== 'GET' && { body: JSON.stringify(body ?? {}) }) });
        const json: any = await res.json();
        if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
        return json;
      };
      await api('POST', '/api/v1/environments', { key: 'canary-vm', rank: 30 });
      await api('PATCH', '/api/v1/environments/canary-vm', { targets: [{ key: 'vm', executor: { type: 'command', command: ['sh', '-c', 'echo "$SLIPWAY_ACTION $SLIPWAY_WEIGHT"'] } }] });
      await api('POST', '/api/v1/projects', { key: 'shop', repository: repo.remote, lifecycle: ['canary-vm'] });
      const v1 = (await api('POST', '/api/v1/projects/shop/releases')).version;
      expect((await cli('deploy', '--project', 'shop', '--version', v1, '--env', 'canary-vm', '--follow')).code).toBe(0);
      await repo.commit('fix: next');
      await repo.push();
      const v2 = (await api('POST', '/api/v1/projects/shop/releases')).version;
      await api('POST', '/api/v1/projects/shop/rollout-plans', { name: 'quick', steps: [{ setWeight: 25 }, { pause: { duration: '1s' } }, { setWeight: 75 }] });
      const bad = await cli('deploy', '--project', 'shop', '--version', v2, '--env', 'canary-vm', '--strategy', 'canary', '--plan', 'quick', '--analysis', 'no-such-template');
      expect(bad.code).toBe(1);
      expect(bad.err).toContain('body.analysis.templates[0]');
      const started = await cli('deploy', '--project', 'shop', '--version', v2, '--env', 'canary-vm', '--strategy', 'canary', '--plan', 'quick');
      expect(started.code, started.err).toBe(0);
      const rolloutId = /rollout ([0-9a-z]{26})/.exec(started.out)![1]!;
      expect(started.out).toContain(`Canary of ${v2} over ${v1}: rollout ${rolloutId} — slipway rollout watch ${rolloutId}`);
      const watched = await cli('rollout', 'watch', rolloutId, '--interval', '0.2');
      expect(watched.code, watched.err).toBe(0);
      expect(watched.out).toContain('weight 25 %');
      expect(watched.out).toContain(`Rollout ${rolloutId} succeeded.`);
      const shown = await cli('rollout', 'show', rolloutId);
      expect(shown.out).toContain(`canary deployment`);
      expect(shown.out).toContain(`${v2} over stable ${v1}`);
      let d: any;
      for (let i = 0; i < 100; i++) {
        d = (await api('GET', '/api/v1/projects/shop/deployments?environment=canary-vm', undefined)).items?.[0];
        if (d?.status === 'succeeded') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(d).toMatchObject({ version: v2, status: 'succeeded', strategy: 'canary', rolloutId });
    } finally {
      await repo.cleanup();
    }
  });
});
