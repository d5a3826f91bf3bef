// @slipway/sdk-node as a user gets it: `npm pack` of it and of @slipway/flag-engine, installed
// with npm into a separate project in a temp directory (no network: every dependency is packed
// from this repository's node_modules), then used with `import` and with `require`, and its types
// checked from an ES module and from a CommonJS file, decorators included.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const NPM_ENV = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

async function pack(dir: string, into: string): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', into, dir], { cwd: into, env: NPM_ENV });
  const file = stdout.trim().split('\n').at(-1)!;
  return path.join(into, file);
}

const BOOTSTRAP = {
  flags: [
    {
      key: 'new_query_engine',
      variants: [
        { key: 'on', value: true },
        { key: 'off', value: false },
      ],
      environment: {
        enabled: true,
        offVariant: 'off',
        rules: [{ conditions: [{ attribute: 'company', operator: 'in', values: ['acme'] }], serve: { variant: 'on' } }],
        defaultServe: { variant: 'off' },
      },
    },
  ],
};

describe('the packed SDK in a separate project', () => {
  let project: string;

  beforeAll(async () => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-consumer-'));
    const tarballs = path.join(project, 'tarballs');
    fs.mkdirSync(tarballs);
    const packed = [];
    for (const dir of ['packages/flag-engine', 'packages/sdk-node', 'node_modules/re2js', 'node_modules/@openfeature/server-sdk', 'node_modules/@openfeature/core']) {
      packed.push(await pack(path.join(ROOT, dir), tarballs));
    }
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    await run('npm', ['install', '--offline', '--ignore-scripts', '--no-package-lock', ...packed], { cwd: project, env: NPM_ENV, timeout: 120_000 });
    fs.writeFileSync(path.join(project, 'bootstrap.json'), JSON.stringify(BOOTSTRAP));
  }, 180_000);
  afterAll(() => {
    if (project) fs.rmSync(project, { recursive: true, force: true });
  });

  it('is installed with its files, and not from this repository', () => {
    const installed = fs.realpathSync(path.join(project, 'node_modules/@slipway/sdk-node'));
    expect(installed.startsWith(project)).toBe(true);
    const pkg = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    expect(pkg.private).toBeUndefined();
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json', 'README.md']) {
      expect(fs.existsSync(path.join(installed, file)), file).toBe(true);
    }
    expect(fs.existsSync(path.join(installed, 'dist/client.test.js'))).toBe(false);
  });

  it('works with import (ES modules)', async () => {
    fs.writeFileSync(
      path.join(project, 'esm.mjs'),
      `import { SlipwayClient, SlipwayProvider } from '@slipway/sdk-node';
const flags = new SlipwayClient({ offline: true, bootstrap: './bootstrap.json' });
await flags.ready();
const pick = flags.when('new_query_engine', () => 'new', () => 'legacy', { context: (company) => ({ company }) });
console.log(JSON.stringify([flags.getBooleanValue('new_query_engine', false, { company: 'acme' }), pick('acme'), pick('hooli'), typeof SlipwayProvider]));
flags.close();`,
    );
    const { stdout } = await run(process.execPath, ['esm.mjs'], { cwd: project });
    expect(JSON.parse(stdout)).toEqual([true, 'new', 'legacy', 'function']);
  });

  it('works with require (CommonJS)', async () => {
    fs.writeFileSync(
      path.join(project, 'cjs.cjs'),
      `const { SlipwayClient, SlipwayProvider } = require('@slipway/sdk-node');
const { compileRuleSet } = require('@slipway/flag-engine');
const flags = new SlipwayClient({ offline: true, bootstrap: require('./bootstrap.json') });
const details = flags.getDetails('new_query_engine', false, { targetingKey: 'u', company: 'acme' });
const engine = compileRuleSet(require('./bootstrap.json')).evaluate('new_query_engine', { company: 'hooli' });
console.log(JSON.stringify([details.value, details.reason, engine.value, typeof SlipwayProvider]));
flags.close();`,
    );
    const { stdout } = await run(process.execPath, ['cjs.cjs'], { cwd: project });
    expect(JSON.parse(stdout)).toEqual([true, 'TARGETING_MATCH', false, 'function']);
  });

  it('has types for both, decorators included', async () => {
    fs.writeFileSync(
      path.join(project, 'typed.mts'),
      `import { SlipwayClient, type EvaluationDetails } from '@slipway/sdk-node';
const flags = new SlipwayClient({ offline: true });
class QueryService {
  @flags.requireFlag('new_query_engine', { context: (q: { user: string }) => ({ targetingKey: q.user }) })
  run(q: { user: string }): string { return 'new ' + q.user; }
  @flags.fallback('new_query_engine')
  legacy(q: { user: string }): string { return 'old ' + q.user; }
}
const answer: string = new QueryService().run({ user: 'u' });
const details: EvaluationDetails<boolean> = flags.getDetails('x', false);
export { answer, details };`,
    );
    fs.writeFileSync(
      path.join(project, 'typed.cts'),
      `import sdk = require('@slipway/sdk-node');
const flags = new sdk.SlipwayClient({ offline: true });
const on: boolean = flags.getBooleanValue('x', false, { targetingKey: 'u' });
export = on;`,
    );
    const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
    const config = (files: string[]) =>
      JSON.stringify({ compilerOptions: { noEmit: true, strict: true, target: 'ES2022', module: 'node16', moduleResolution: 'node16', skipLibCheck: true, types: [] }, files });
    fs.writeFileSync(path.join(project, 'tsconfig.json'), config(['typed.mts', 'typed.cts']));
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project }).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
    expect(result.stdout).toBe('');
    // …and a mistake is caught, so the check above is a real one.
    fs.writeFileSync(path.join(project, 'wrong.mts'), `import { SlipwayClient } from '@slipway/sdk-node';\nconst n: number = new SlipwayClient({ offline: true }).getBooleanValue('x', false);\nexport { n };`);
    fs.writeFileSync(path.join(project, 'tsconfig.wrong.json'), config(['wrong.mts']));
    const wrong = await run(process.execPath, [tsc, '-p', 'tsconfig.wrong.json'], { cwd: project }).then(
      () => '',
      (e: { stdout: string }) => e.stdout,
    );
    expect(wrong).toContain("Type 'boolean' is not assignable to type 'number'");
  });
});
