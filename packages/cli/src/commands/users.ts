import fs from 'node:fs';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { details, table } from '../format.js';
import { CliError } from '../io.js';

const describeUser = (u: any) =>
  details([
    ['id', u.id],
    ['username', u.username],
    ['name', u.displayName],
    ['email', u.email],
    ['role', u.role],
    ['disabled', u.disabled ?? false],
  ]);

function password(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  const value = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  if (value === '') throw new CliError(`${file} is empty: put the password in it.`);
  return value;
}

/** `slipway user create|list|update` (admin): the people who sign off, approve and deploy. */
export function userCommands(program: Command, ctx: CommandContext): void {
  const user = program.command('user').description('users and their roles (admin)');

  user
    .command('list')
    .description('list users')
    .action(async (_opts, cmd: Command) => {
      const items = await ctx.api().list('/api/v1/users');
      ctx.print(cmd, items, () => table(items, { id: (u: any) => u.id, username: (u: any) => u.username, role: (u: any) => u.role, email: (u: any) => u.email, disabled: (u: any) => u.disabled ?? false }));
    });

  user
    .command('create <username>')
    .description('create a user')
    .requiredOption('--role <role>', 'viewer, engineer, qa, release-manager or admin')
    .option('--name <name>', 'display name')
    .option('--email <email>', 'e-mail address')
    .option('--password-file <file>', 'read the password from this file (never on the command line)')
    .action(async (username: string, opts: { role: string; name?: string; email?: string; passwordFile?: string }, cmd: Command) => {
      const pass = password(opts.passwordFile);
      const body = { username, role: opts.role, ...(opts.name && { displayName: opts.name }), ...(opts.email && { email: opts.email }), ...(pass && { password: pass }) };
      const created = await ctx.api().request('POST', '/api/v1/users', body);
      ctx.print(cmd, created, () => `Created user ${created.username} (${created.role}).\n${describeUser(created)}`);
    });

  user
    .command('update <username>')
    .description('change a user (by username or id)')
    .option('--role <role>', 'new role')
    .option('--name <name>', 'display name')
    .option('--email <email>', 'e-mail address')
    .option('--password-file <file>', 'new password, read from this file')
    .option('--disable', 'disable the user (tokens stop working)')
    .option('--enable', 'enable the user again')
    .action(async (who: string, opts: { role?: string; name?: string; email?: string; passwordFile?: string; disable?: boolean; enable?: boolean }, cmd: Command) => {
      const api = ctx.api();
      const all = await api.list('/api/v1/users', 1000);
      const found = all.find((u: any) => u.username === who || u.id === who);
      if (!found) throw new CliError(`No user ${who}: see slipway user list.`);
      const pass = password(opts.passwordFile);
      const body = {
        ...(opts.role && { role: opts.role }),
        ...(opts.name && { displayName: opts.name }),
        ...(opts.email && { email: opts.email }),
        ...(pass && { password: pass }),
        ...(opts.disable && { disabled: true }),
        ...(opts.enable && { disabled: false }),
      };
      if (Object.keys(body).length === 0) throw new CliError('Say what to change: --role, --name, --email, --password-file, --disable or --enable.');
      const updated = await api.request('PATCH', `/api/v1/users/${encodeURIComponent(found.id)}`, body);
      ctx.print(cmd, updated, () => `Updated user ${updated.username}.\n${describeUser(updated)}`);
    });
}
