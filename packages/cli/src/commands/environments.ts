import type { Command } from 'commander';
import { integer, type CommandContext } from '../context.js';
import { details, table } from '../format.js';

const describe = (e: any) =>
  details([
    ['key', e.key],
    ['name', e.name],
    ['rank', e.rank],
    ['protected', e.protected],
    ['color', e.color],
    ['production', e.production],
    ['badge', e.badge],
  ]);

export function environmentCommands(program: Command, ctx: CommandContext): void {
  const env = program.command('env').description('organisation-wide environments');

  env
    .command('list')
    .description('list environments by rank')
    .action(async (_opts, cmd: Command) => {
      const items = await ctx.api().list('/api/v1/environments');
      ctx.print(cmd, items, () => table(items, { key: (e: any) => e.key, name: (e: any) => e.name, rank: (e: any) => e.rank, protected: (e: any) => e.protected, color: (e: any) => e.color }));
    });

  env
    .command('create <key>')
    .description('create an environment')
    .option('--name <name>', 'display name')
    .option('--rank <n>', 'order (lower first); default after the last one', integer)
    .option('--protected', 'only release-manager and above may change it')
    .option('--color <hex>', 'badge colour, e.g. #dc2626')
    .option('--production', 'production-marked: no environment badge (default for the keys production and prod)')
    .option('--not-production', 'not production-marked, whatever the key')
    .option('--badge <access>', 'who may load /badge.js here: public, key or off')
    .action(async (key: string, opts: { name?: string; rank?: number; protected?: boolean; color?: string; production?: boolean; notProduction?: boolean; badge?: string }, cmd: Command) => {
      const { notProduction, ...rest } = opts;
      const created = await ctx.api().request('POST', '/api/v1/environments', { key, ...rest, ...(notProduction && { production: false }) });
      ctx.print(cmd, created, () => `Created environment ${created.key}.\n${describe(created)}`);
    });

  env
    .command('update <key>')
    .description('change an environment')
    .option('--name <name>', 'display name')
    .option('--rank <n>', 'order', integer)
    .option('--protected', 'protect it')
    .option('--unprotected', 'remove protection')
    .option('--color <hex>', 'badge colour')
    .option('--production', 'mark it production: no environment badge')
    .option('--not-production', 'remove the production mark')
    .option('--badge <access>', 'who may load /badge.js here: public, key or off')
    .action(async (key: string, opts: { name?: string; rank?: number; protected?: boolean; unprotected?: boolean; color?: string; production?: boolean; notProduction?: boolean; badge?: string }, cmd: Command) => {
      const { unprotected, notProduction, ...rest } = opts;
      const body = { ...rest, ...(unprotected && { protected: false }), ...(notProduction && { production: false }) };
      const updated = await ctx.api().request('PATCH', `/api/v1/environments/${encodeURIComponent(key)}`, body);
      ctx.print(cmd, updated, () => `Updated environment ${updated.key}.\n${describe(updated)}`);
    });
}
