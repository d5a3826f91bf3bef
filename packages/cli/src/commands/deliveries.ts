import type { Command } from 'commander';
import { CliError } from '../io.js';
import { integer, type CommandContext } from '../context.js';
import { table } from '../format.js';

const STATUSES = ['pending', 'delivered', 'failed'];

export function deliveryCommands(program: Command, ctx: CommandContext): void {
  program
    .command('deliveries')
    .description('deliveries of events to channels, newest first')
    .option('--status <status>', 'pending, delivered or failed')
    .option('--channel <channel>', 'a channel id or name')
    .option('--limit <n>', 'how many deliveries', integer, 50)
    .option('--retry <id>', 'queue a failed delivery for another attempt now')
    .action(async (opts: { status?: string; channel?: string; limit: number; retry?: string }, cmd: Command) => {
      if (opts.retry) {
        const d = await ctx.api().request('POST', `/api/v1/deliveries/${encodeURIComponent(opts.retry)}/retry`);
        ctx.print(cmd, d, () => `Queued delivery ${d.id} (${d.event.type} → ${d.channel.name}) for another attempt.\n`);
        return;
      }
      if (opts.status && !STATUSES.includes(opts.status)) throw new CliError(`--status must be one of ${STATUSES.join(', ')}.`);
      const params = new URLSearchParams();
      if (opts.status) params.set('status', opts.status);
      if (opts.channel) params.set('channel', opts.channel);
      const query = params.toString();
      const items = await ctx.api().list(`/api/v1/deliveries${query ? `?${query}` : ''}`, opts.limit);
      ctx.print(cmd, items, () =>
        table(items, {
          id: (d: any) => d.id,
          status: (d: any) => d.status,
          event: (d: any) => d.event.type,
          where: (d: any) => [d.event.project, d.event.environment].filter(Boolean).join('/') || null,
          channel: (d: any) => d.channel.name,
          attempts: (d: any) => d.attempts,
          next: (d: any) => d.nextAttemptAt,
          'last error': (d: any) => (d.lastError ? String(d.lastError).slice(0, 60) : null),
        }),
      );
    });
}
