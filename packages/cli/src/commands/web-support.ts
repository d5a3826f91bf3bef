import type { Command } from 'commander';
import { list, type CommandContext } from '../context.js';
import { CliError } from '../io.js';
import { table } from '../format.js';
import { jsonArgument } from './flags.js';

const enc = encodeURIComponent;

/** "company=acme" → ["company", "acme"]; values that are JSON (numbers, booleans) are parsed. */
function attribute(spec: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const at = spec.indexOf('=');
  if (at <= 0) throw new CliError(`--attr takes NAME=VALUE, e.g. company=acme; got ${spec}`);
  const raw = spec.slice(at + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // a plain string
  }
  return { ...previous, [spec.slice(0, at)]: value };
}

const show = (v: unknown) => (v === null || v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v));

/** What the web app's pages use, for the command line too: a user's view of flags, flag history, a deployment's timeline, the badge tag. */
export function webSupportCommands(program: Command, ctx: CommandContext): void {
  const flag = program.commands.find((c) => c.name() === 'flag') ?? program.command('flag');

  flag
    .command('evaluate')
    .description('what every flag serves one user in every environment (nothing is changed or counted)')
    .requiredOption('--project <key>', 'project')
    .option('--user <id>', 'the targetingKey, e.g. a user id')
    .option('--attr <name=value>', 'a context attribute (repeatable), e.g. company=acme', attribute, {})
    .option('--context <json>', 'the whole context as JSON, or @file')
    .option('--env <envs>', 'only these environments (comma-separated)', list)
    .option('--flag <keys>', 'only these flags (comma-separated)', list)
    .action(async (opts: { project: string; user?: string; attr: Record<string, unknown>; context?: string; env?: string[]; flag?: string[] }, cmd: Command) => {
      const context = { ...(opts.context ? jsonArgument(opts.context, '--context') : {}), ...opts.attr, ...(opts.user !== undefined && { targetingKey: opts.user }) };
      const body = { context, ...(opts.env && { environments: opts.env }), ...(opts.flag && { flags: opts.flag }) };
      const result = await ctx.api().request('POST', `/api/v1/projects/${enc(opts.project)}/flags/evaluate`, body);
      ctx.print(cmd, result, () => {
        const columns: Record<string, (f: any) => unknown> = { flag: (f) => f.key };
        for (const env of result.environments as string[]) {
          columns[env] = (f) => {
            const r = f.results.find((x: any) => x.environment === env);
            return r.errorCode ? `error: ${r.errorCode}` : `${show(r.value)} (${r.reason.toLowerCase()}${r.overridden ? ', overridden' : ''})`;
          };
        }
        return table(result.flags, columns);
      });
    });

  flag
    .command('history <flag>')
    .description("a flag's changes, newest first")
    .requiredOption('--project <key>', 'project')
    .option('--limit <n>', 'how many changes', (v) => Number(v), 50)
    .action(async (key: string, opts: { project: string; limit: number }, cmd: Command) => {
      const items = await ctx.api().list(`/api/v1/projects/${enc(opts.project)}/flags/${enc(key)}/history`, opts.limit);
      ctx.print(cmd, items, () => table(items, { at: (e: any) => e.at, actor: (e: any) => e.actor, environment: (e: any) => e.environment ?? '-', change: (e: any) => e.summary }));
    });

  program
    .command('timeline <deployment-id>')
    .description("a deployment's events: requested, approved by whom, started, target reports, ended")
    .action(async (id: string, _opts, cmd: Command) => {
      const result = await ctx.api().request('GET', `/api/v1/deployments/${enc(id)}/events`);
      ctx.print(cmd, result.items, () => table(result.items, { at: (e: any) => e.at, event: (e: any) => e.type, by: (e: any) => e.actor, status: (e: any) => e.status ?? '-', what: (e: any) => e.message }));
    });

  program
    .command('badge')
    .description('the <script> tag that draws the environment badge in a front-end')
    .requiredOption('--project <key>', 'project')
    .requiredOption('--env <key>', 'environment')
    .option('--key <sdk-key>', 'an SDK key of the project and environment, for environments whose badge is "key"')
    .action(async (opts: { project: string; env: string; key?: string }, cmd: Command) => {
      const api = ctx.api();
      await api.request('GET', `/api/v1/environments/${enc(opts.env)}`);
      await api.request('GET', `/api/v1/projects/${enc(opts.project)}`);
      const url = `${api.baseUrl}/badge.js?project=${enc(opts.project)}&environment=${enc(opts.env)}${opts.key ? `&key=${enc(opts.key)}` : ''}`;
      ctx.print(cmd, { url, tag: `<script src="${url}" defer></script>` }, () => `<script src="${url}" defer></script>\n`);
    });
}
