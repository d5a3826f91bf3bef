import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { table } from '../format.js';

const enc = encodeURIComponent;

export function sdkKeyCommands(program: Command, ctx: CommandContext): void {
  const sdkKey = program.command('sdk-key').description('SDK keys: server keys read the rule set, client keys only evaluate (OFREP)');
  const base = (project: string, env: string) => `/api/v1/projects/${enc(project)}/environments/${enc(env)}/sdk-keys`;

  sdkKey
    .command('create')
    .description('create an SDK key (printed once)')
    .requiredOption('--project <key>', 'project')
    .requiredOption('--env <key>', 'environment')
    .option('--kind <kind>', 'server or client', 'server')
    .option('--name <name>', 'a name to tell keys apart')
    .action(async (opts: { project: string; env: string; kind: string; name?: string }, cmd: Command) => {
      const created = await ctx.api().request('POST', base(opts.project, opts.env), { kind: opts.kind, ...(opts.name && { name: opts.name }) });
      ctx.print(cmd, created, () => `Created ${created.kind} SDK key ${created.id} for ${created.project}/${created.environment}. It is shown once; store it now:\n\n  ${created.key}\n\n`);
    });

  sdkKey
    .command('list')
    .description('list SDK keys of a project environment (never their secrets)')
    .requiredOption('--project <key>', 'project')
    .requiredOption('--env <key>', 'environment')
    .action(async (opts: { project: string; env: string }, cmd: Command) => {
      const items = await ctx.api().list(base(opts.project, opts.env));
      ctx.print(cmd, items, () =>
        table(items, { id: (k: any) => k.id, kind: (k: any) => k.kind, name: (k: any) => k.name, prefix: (k: any) => `${k.prefix}…`, created: (k: any) => k.createdAt, revoked: (k: any) => k.revokedAt }),
      );
    });

  sdkKey
    .command('revoke <id>')
    .description('revoke an SDK key (takes effect at once on every replica)')
    .requiredOption('--project <key>', 'project')
    .requiredOption('--env <key>', 'environment')
    .action(async (id: string, opts: { project: string; env: string }, cmd: Command) => {
      const revoked = await ctx.api().request('DELETE', `${base(opts.project, opts.env)}/${enc(id)}`);
      ctx.print(cmd, revoked, () => `Revoked ${revoked.kind} SDK key ${revoked.name} (${revoked.id}).\n`);
    });
}
