import type { Command } from 'commander';
import { list, type CommandContext } from '../context.js';
import { details, table } from '../format.js';

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
  ]);

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
}

function withProjectOptions(command: Command): Command {
  return command
    .option('--name <name>', 'display name')
    .option('--tag-template <template>', 'tag name template, e.g. v{version} or {project}-v{version}')
    .option('--ticket-pattern <regex>', 'regular expression for ticket keys')
    .option('--ticket-url <template>', 'link for ticket keys, e.g. https://tracker.example.com/browse/{ticket}')
    .option('--lifecycle <envs>', 'comma-separated environments, in order', list)
    .option('--hotfix-lifecycle <envs>', 'comma-separated subset of the lifecycle for hotfixes', list)
    .option('--initial-version <semver>', 'version of the first release');
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
      const created = await ctx.api().request('POST', '/api/v1/projects', { key, ...opts });
      ctx.print(cmd, created, () => `Created project ${created.key}.\n${describe(created)}`);
    },
  );

  withProjectOptions(project.command('update <key>').description('change a project').option('--repository <url-or-path>', 'git URL or absolute path').option('--default-lifecycle', 'go back to every environment by rank').option('--clear-ticket-url', 'remove the ticket links')).action(
    async (key: string, opts: ProjectOptions, cmd: Command) => {
      const { defaultLifecycle, clearTicketUrl, ...rest } = opts;
      const body = { ...rest, ...(defaultLifecycle && { lifecycle: null, hotfixLifecycle: null }), ...(clearTicketUrl && { ticketUrl: null }) };
      const updated = await ctx.api().request('PATCH', `/api/v1/projects/${encodeURIComponent(key)}`, body);
      ctx.print(cmd, updated, () => `Updated project ${updated.key}.\n${describe(updated)}`);
    },
  );
}
