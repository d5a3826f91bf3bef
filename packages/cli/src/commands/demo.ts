import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import type { ApiClient } from '../client.js';
import { CliError } from '../io.js';
import type { CommandContext } from '../context.js';

const run = promisify(execFile);

const AUTHORS = [
  ['Priya Raman', 'priya@example.com'],
  ['Santi Ortega', 'santi@example.com'],
  ['Logan Wu', 'logan@example.com'],
  ['Adrian Cole', 'adrian@example.com'],
] as const;

const FIRST = [
  'feat(api): accounts and sign-in (PAY-101)',
  'feat(api): list invoices (PAY-102)',
  'chore: set up CI',
  'feat(web): invoice page (PAY-104)',
  'fix(api): paginate invoices by date (PAY-107)',
  'docs: how to run locally',
  'feat(api): create payments (PAY-110)',
  'test: payment fixtures',
  'fix(web): currency rounding on totals (PAY-113)',
  'chore(deps): bump fastify',
];
const SECOND = [
  'feat(api): refunds (PAY-120)',
  'fix(api): idempotent payment retries (PAY-122)',
  'feat(web): refund button for support agents (PAY-123)',
  'perf(api): index invoices by customer',
  'fix: time zone of invoice dates (PAY-126)',
  'feat(api): webhooks for payment events (PAY-128)',
  'refactor(api): split payment service',
  'fix(web): empty state for new customers (PAY-131)',
];
const HOTFIX = 'fix(api): double charge when the bank times out (PAY-140)';
const THIRD = ['feat(api): multi-currency accounts (PAY-150)', 'feat(web): currency switcher (PAY-151)', 'fix(api): VAT for EU customers (PAY-152)', 'chore: log payment ids'];

/** Runs git with an argument array (never a shell) and a fixed identity and date. */
async function git(cwd: string, args: string[], when?: { author: readonly [string, string]; date: Date }): Promise<string> {
  const env = {
    ...process.env,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: when?.author[0] ?? 'Slipway Demo',
    GIT_AUTHOR_EMAIL: when?.author[1] ?? 'demo@example.com',
    GIT_COMMITTER_NAME: when?.author[0] ?? 'Slipway Demo',
    GIT_COMMITTER_EMAIL: when?.author[1] ?? 'demo@example.com',
    ...(when && { GIT_AUTHOR_DATE: when.date.toISOString(), GIT_COMMITTER_DATE: when.date.toISOString() }),
  };
  const { stdout } = await run('git', args, { cwd, env });
  return stdout.trim();
}

/** A bare "remote" and a working clone in `dir`, with the commits made by `commits()`. */
class DemoRepository {
  private n = 0;
  private clock: Date;

  constructor(
    readonly remote: string,
    readonly work: string,
  ) {
    this.clock = new Date(Date.now() - 21 * 24 * 3600 * 1000);
  }

  static async create(dir: string): Promise<DemoRepository> {
    const remote = path.join(dir, 'demo-api.git');
    const work = path.join(dir, 'work');
    await git(dir, ['init', '--quiet', '--bare', '--initial-branch=main', remote]);
    await git(dir, ['clone', '--quiet', remote, work]).catch(async () => {
      fs.mkdirSync(work);
      await git(work, ['init', '--quiet', '--initial-branch=main']);
      await git(work, ['remote', 'add', 'origin', remote]);
    });
    await git(work, ['checkout', '--quiet', '-B', 'main']);
    return new DemoRepository(remote, work);
  }

  async commits(messages: string[]): Promise<string[]> {
    const shas: string[] = [];
    for (const message of messages) {
      this.n += 1;
      this.clock = new Date(this.clock.getTime() + 7 * 3600 * 1000);
      const file = path.join(this.work, 'src', `change-${String(this.n).padStart(3, '0')}.txt`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `${message}\n`);
      await git(this.work, ['add', '--all']);
      await git(this.work, ['commit', '--quiet', '-m', message], { author: AUTHORS[this.n % AUTHORS.length]!, date: this.clock });
      shas.push(await git(this.work, ['rev-parse', 'HEAD']));
    }
    await git(this.work, ['push', '--quiet', 'origin', 'main']);
    return shas;
  }
}

async function ensureEnvironment(api: ApiClient, key: string, rank: number, extra: Record<string, unknown> = {}): Promise<string> {
  try {
    await api.request('POST', '/api/v1/environments', { key, rank, ...extra });
    return `created ${key}`;
  } catch (error) {
    if (error instanceof CliError && error.message.includes('[conflict]')) return `kept ${key}`;
    throw error;
  }
}

export function demoCommands(program: Command, ctx: CommandContext): void {
  program
    .command('demo')
    .description('create a demo project with a generated git repository, environments and a few releases (incl. a hotfix)')
    .option('--project <key>', 'key of the demo project', 'demo-api')
    .option('--dir <path>', 'where to create the git repository (default: a new temp directory)')
    .action(async (opts: { project: string; dir?: string }) => {
      const api = ctx.api();
      const say = (line: string) => ctx.io.out(`${line}\n`);
      const dir = opts.dir ? path.resolve(opts.dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-demo-'));
      fs.mkdirSync(dir, { recursive: true });

      const envs = [await ensureEnvironment(api, 'dev', 10, { color: '#2563eb' }), await ensureEnvironment(api, 'qa', 20, { color: '#9333ea' }), await ensureEnvironment(api, 'staging', 30, { color: '#d97706' }), await ensureEnvironment(api, 'production', 40, { color: '#dc2626', protected: true })];
      say(`Environments: ${envs.join(', ')}.`);

      const repo = await DemoRepository.create(dir);
      await repo.commits(FIRST);
      await api.request('POST', '/api/v1/projects', { key: opts.project, name: 'Demo payments API', repository: repo.remote, lifecycle: ['dev', 'qa', 'staging', 'production'], hotfixLifecycle: ['qa', 'production'] });
      say(`Project ${opts.project}: repository ${repo.remote} (working clone in ${repo.work}).`);

      const releases: string[] = [];
      releases.push((await api.request('POST', `/api/v1/projects/${opts.project}/releases`, {})).version);
      await repo.commits(SECOND);
      const minor = await api.request('POST', `/api/v1/projects/${opts.project}/releases`, {});
      releases.push(minor.version);
      const [fix] = await repo.commits([HOTFIX]);
      const hotfix = await api.request('POST', `/api/v1/projects/${opts.project}/releases/${minor.version}/hotfixes`, { commits: [fix] });
      releases.push(`${hotfix.version} (hotfix of ${minor.version})`);
      await repo.commits(THIRD);
      releases.push((await api.request('POST', `/api/v1/projects/${opts.project}/releases`, { prerelease: 'rc' })).version);
      say(`Releases: ${releases.join(', ')}.`);
      say('');
      say('Try:');
      say(`  slipway release list --project ${opts.project}`);
      say(`  slipway release show ${minor.version} --project ${opts.project}`);
      say(`  slipway release compare --project ${opts.project} --from ${releases[0]} --to ${minor.version}`);
      say(`  slipway release notes ${hotfix.version} --project ${opts.project}`);
    });
}
