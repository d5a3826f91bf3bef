import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { table } from '../format.js';

export function tokenCommands(program: Command, ctx: CommandContext): void {
  const token = program.command('token').description('API tokens');

  token
    .command('create <name>')
    .description('create a token (the secret is printed once)')
    .option('--role <role>', 'viewer, engineer, qa, release-manager or admin (at most your own)')
    .option('--expires <iso-date>', 'expiry time, e.g. 2027-01-01T00:00:00Z')
    .option('--user <id>', 'create it for another user (admin)')
    .action(async (name: string, opts: { role?: string; expires?: string; user?: string }, cmd: Command) => {
      const created = await ctx.api().request('POST', '/api/v1/tokens', {
        name,
        ...(opts.role && { role: opts.role }),
        ...(opts.expires && { expiresAt: opts.expires }),
        ...(opts.user && { userId: opts.user }),
      });
      ctx.print(cmd, created, () => `Created token ${created.record.name} (${created.record.role}). It is shown once; store it now:\n\n  ${created.token}\n\n`);
    });

  token
    .command('list')
    .description('list your tokens')
    .option('--all', "every user's tokens (admin)")
    .action(async (opts: { all?: boolean }, cmd: Command) => {
      const items = await ctx.api().list(`/api/v1/tokens${opts.all ? '?all=true' : ''}`);
      ctx.print(cmd, items, () =>
        table(items, { id: (t: any) => t.id, name: (t: any) => t.name, prefix: (t: any) => `${t.prefix}…`, role: (t: any) => t.role, expires: (t: any) => t.expiresAt, 'last used': (t: any) => t.lastUsedAt, revoked: (t: any) => t.revokedAt }),
      );
    });

  token
    .command('revoke <id>')
    .description('revoke a token')
    .action(async (id: string, _opts, cmd: Command) => {
      const revoked = await ctx.api().request('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
      ctx.print(cmd, revoked, () => `Revoked token ${revoked.name} (${revoked.id}).\n`);
    });
}
