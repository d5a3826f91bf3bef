import type { Command } from 'commander';
import { list, type CommandContext } from '../context.js';
import { details, table } from '../format.js';
import { CliError } from '../io.js';

const rule = (r: any) => {
  const when = (['type', 'scope', 'breaking', 'revert'] as const).filter((f) => r[f] !== undefined).map((f) => `${f}=${r[f]}`);
  return `${when.length > 0 ? when.join(' ') : 'any commit'} → ${r.release}`;
};

const describe = (p: any) =>
  details([
    ['key', p.key],
    ['name', p.name],
    ['repository', p.repository],
    ['tag template', p.tagTemplate],
    ['ticket pattern', p.ticketPattern],
    ['ticket links', p.ticketUrl ?? '-'],
    ['lifecycle', `${p.lifecycle.join(' → ') || '-'}${p.lifecycleIsDefault ? ' (default: every environment)' : ''}`],
    ['hotfix lifecycle', p.hotfixLifecycle],
    ['initial version', p.initialVersion],
    ['release rules', `${(p.releaseRules ?? []).map(rule).join('; ') || '-'}${p.releaseRulesAreDefault ? ' (default); anything else → none' : '; anything else → none'}`],
  ]);

/** "Imported 12 releases from existing tags (latest 2.3.1); skipped 3 tags: …" */
export function describeImport(report: any): string {
  const lines: string[] = [];
  const latest = report.latest ? ` (latest ${report.latest}; the next release continues from it)` : '';
  lines.push(`Imported ${report.imported} release${report.imported === 1 ? '' : 's'} from existing tags${latest}.`);
  if (report.alreadyRecorded > 0) lines.push(`${report.alreadyRecorded} tag${report.alreadyRecorded === 1 ? ' was' : 's were'} already releases.`);
  if (report.skippedCount > 0) {
    lines.push(`Skipped ${report.skippedCount} tag${report.skippedCount === 1 ? '' : 's'}:`);
    for (const skip of report.skipped.slice(0, 10)) lines.push(`  ${skip.tag}: ${skip.message}`);
    if (report.skippedCount > 10) lines.push(`  … and ${report.skippedCount - 10} more (--json lists up to 200)`);
  }
  if (report.suggestion) lines.push(report.suggestion);
  return `${lines.join('\n')}\n`;
}

function releaseRules(value: string): unknown {
  try {
    const parsed = JSON.parse(value);
    if (!Array.isArray(parsed)) throw new Error('not a list');
    return parsed;
  } catch {
    throw new CliError(`--release-rules takes a JSON list such as '[{"type":"feat","release":"minor"},{"release":"patch"}]'`);
  }
}

interface ProjectOptions {
  name?: string;
  repository?: string;
  tagTemplate?: string;
  ticketPattern?: string;
  lifecycle?: string[];
  hotfixLifecycle?: string[];
  initialVersion?: string;
  defaultLifecycle?: boolean;
  ticketUrl?: string;
  clearTicketUrl?: boolean;
  releaseRules?: unknown;
  defaultReleaseRules?: boolean;
  verify?: boolean;
}

function withProjectOptions(command: Command): Command {
  return command
    .option('--name <name>', 'display name')
    .option('--tag-template <template>', 'tag name template, e.g. v{version} or {project}-v{version}')
    .option('--ticket-pattern <regex>', 'regular expression for ticket keys')
    .option('--ticket-url <template>', 'link for ticket keys, e.g. https://tracker.example.com/browse/{ticket}')
    .option('--lifecycle <envs>', 'comma-separated environments, in order', list)
    .option('--hotfix-lifecycle <envs>', 'comma-separated subset of the lifecycle for hotfixes', list)
    .option('--initial-version <semver>', 'version of the first release')
    .option('--release-rules <json>', 'which commits make which release, first match wins, e.g. \'[{"type":"feat","release":"minor"},{"release":"patch"}]\'', releaseRules)
    .option('--no-verify', 'do not fetch the repository (refused when unreachable) nor import its existing tags');
}

export function projectCommands(program: Command, ctx: CommandContext): void {
  const project = program.command('project').description('projects: one deployable thing with its own repository');

  project
    .command('list')
    .description('list projects')
    .action(async (_opts, cmd: Command) => {
      const items = await ctx.api().list('/api/v1/projects');
      ctx.print(cmd, items, () => table(items, { key: (p: any) => p.key, name: (p: any) => p.name, repository: (p: any) => p.repository, lifecycle: (p: any) => p.lifecycle }));
    });

  project
    .command('show <key>')
    .description('show one project')
    .action(async (key: string, _opts, cmd: Command) => {
      const p = await ctx.api().request('GET', `/api/v1/projects/${encodeURIComponent(key)}`);
      ctx.print(cmd, p, () => describe(p));
    });

  withProjectOptions(project.command('create <key>').description('create a project').requiredOption('--repository <url-or-path>', 'git URL or absolute path')).action(
    async (key: string, opts: ProjectOptions, cmd: Command) => {
      const { verify, ...rest } = opts;
      const created = await ctx.api().request('POST', '/api/v1/projects', { key, ...rest, ...(verify === false && { verify: false }) });
      ctx.print(cmd, created, () => `Created project ${created.key}.\n${describe(created)}${created.import ? describeImport(created.import) : 'Repository not checked (--no-verify): no tags imported; run slipway release import later.\n'}`);
    },
  );

  withProjectOptions(
    project
      .command('update <key>')
      .description('change a project (a new repository or tag template imports the matching tags)')
      .option('--repository <url-or-path>', 'git URL or absolute path')
      .option('--default-lifecycle', 'go back to every environment by rank')
      .option('--default-release-rules', "go back to the default release rules (semantic-release's)")
      .option('--clear-ticket-url', 'remove the ticket links'),
  ).action(async (key: string, opts: ProjectOptions, cmd: Command) => {
    const { defaultLifecycle, defaultReleaseRules, clearTicketUrl, verify, ...rest } = opts;
    const body = {
      ...rest,
      ...(defaultLifecycle && { lifecycle: null, hotfixLifecycle: null }),
      ...(defaultReleaseRules && { releaseRules: null }),
      ...(clearTicketUrl && { ticketUrl: null }),
      ...(verify === false && { verify: false }),
    };
    const updated = await ctx.api().request('PATCH', `/api/v1/projects/${encodeURIComponent(key)}`, body);
    ctx.print(cmd, updated, () => `Updated project ${updated.key}.\n${describe(updated)}${updated.import ? describeImport(updated.import) : ''}`);
  });

  project
    .command('refresh <key>')
    .description("fetch the project's repository into the server's clone now (e.g. from CI after a push), so the next release has nothing left to fetch")
    .option('--no-wait', 'return at once; the fetch runs in the background')
    .action(async (key: string, opts: { wait: boolean }, cmd: Command) => {
      const result = await ctx.api().request('POST', `/api/v1/projects/${encodeURIComponent(key)}/repository/refresh${opts.wait ? '?wait=true' : ''}`);
      ctx.print(cmd, result, () =>
        result.queued ? `Fetching ${key} in the background.\n` : `Fetched ${key}: ${result.branch ?? '(no branch)'} at ${result.head ? String(result.head).slice(0, 12) : '-'} in ${result.durationMs} ms.\n`,
      );
    });
}
