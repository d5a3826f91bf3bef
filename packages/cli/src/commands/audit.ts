import type { Command } from 'commander';
import { integer, type CommandContext } from '../context.js';
import { table } from '../format.js';

export function auditCommands(program: Command, ctx: CommandContext): void {
  program
    .command('audit')
    .description('audit records, newest first')
    .option('--actor <name>', 'who did it')
    .option('--resource-type <type>', 'e.g. project, environment, token')
    .option('--resource-id <id>', 'e.g. a project key')
    .option('--action <action>', 'e.g. project.updated')
    .option('--since <iso-date>', 'only records at or after this time')
    .option('--until <iso-date>', 'only records before this time')
    .option('--limit <n>', 'how many records', integer, 50)
    .action(async (opts: { actor?: string; resourceType?: string; resourceId?: string; action?: string; since?: string; until?: string; limit: number }, cmd: Command) => {
      const params = new URLSearchParams();
      for (const key of ['actor', 'resourceType', 'resourceId', 'action', 'since', 'until'] as const) {
        const value = opts[key];
        if (value) params.set(key, value);
      }
      const query = params.toString();
      const items = await ctx.api().list(`/api/v1/audit${query ? `?${query}` : ''}`, opts.limit);
      ctx.print(cmd, items, () => table(items, { at: (r: any) => r.at, actor: (r: any) => r.actor.name, action: (r: any) => r.action, resource: (r: any) => `${r.resourceType}/${r.resourceId}`, request: (r: any) => r.requestId }));
    });
}
