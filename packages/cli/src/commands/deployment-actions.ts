import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { table } from '../format.js';
import { CliError } from '../io.js';
import { describeDeployment } from './deployments.js';

const one = (id: string, action: string) => `/api/v1/deployments/${encodeURIComponent(id)}/${action}`;

/** report, cancel, reject, signoffs, heartbeat: everything a person does around a deployment. */
export function deploymentActionCommands(program: Command, ctx: CommandContext): void {
  program
    .command('report <id>')
    .description('report what happened on one target (a record target waits for this; webhook receivers report with the callback token)')
    .requiredOption('--target <key>', 'the target')
    .option('--succeeded', 'the target runs the new version')
    .option('--failed', 'the target failed')
    .option('--running', 'still in progress (a note in the log)')
    .option('--cancelled', 'the target was stopped')
    .option('-m, --message <text>', 'what happened')
    .action(async (id: string, opts: { target: string; succeeded?: boolean; failed?: boolean; running?: boolean; cancelled?: boolean; message?: string }, cmd: Command) => {
      const given = (['succeeded', 'failed', 'running', 'cancelled'] as const).filter((s) => opts[s]);
      if (given.length !== 1) throw new CliError('Say exactly one of --succeeded, --failed, --running or --cancelled.');
      const d = await ctx.api().request('POST', one(id, 'status'), { target: opts.target, status: given[0], ...(opts.message !== undefined && { message: opts.message }) });
      const t = d.targets.find((x: any) => x.key === opts.target);
      ctx.print(cmd, d, () => `Reported ${opts.target} ${t?.status ?? given[0]} on ${d.id}; the deployment is ${d.status}${d.stopping ? ` (stopping: ${d.stopping})` : ''}.\n`);
    });

  program
    .command('cancel <id>')
    .description('cancel a deployment: a pending one ends at once, a running one tells its targets to stop')
    .option('--reason <text>', 'why')
    .action(async (id: string, opts: { reason?: string }, cmd: Command) => {
      const d = await ctx.api().request('POST', one(id, 'cancel'), opts.reason ? { reason: opts.reason } : {});
      ctx.print(cmd, d, () => (d.status === 'cancelled' ? `Cancelled ${d.id}.\n` : `Stopping ${d.id}: the targets are told to stop; it ends when every target has (slipway deployment ${d.id} --follow).\n`));
    });

  program
    .command('reject <id>')
    .description('reject a deployment waiting for approval: it ends rejected')
    .requiredOption('-m, --message <comment>', 'why (required)')
    .action(async (id: string, opts: { message: string }, cmd: Command) => {
      const d = await ctx.api().request('POST', one(id, 'reject'), { comment: opts.message });
      ctx.print(cmd, d, () => `Rejected ${d.id}: ${d.rejection?.comment ?? opts.message}.\n`);
    });

  program
    .command('signoffs')
    .description('the sign-off history of a release (every decision, newest last)')
    .requiredOption('--project <key>', 'project')
    .requiredOption('--version <version>', 'release version')
    .action(async (opts: { project: string; version: string }, cmd: Command) => {
      const items = await ctx.api().list(`/api/v1/projects/${encodeURIComponent(opts.project)}/releases/${encodeURIComponent(opts.version)}/signoffs`);
      ctx.print(cmd, items, () =>
        table(items, {
          kind: (s: any) => s.kind,
          decision: (s: any) => s.decision,
          env: (s: any) => s.environment ?? 'all',
          by: (s: any) => s.createdBy,
          at: (s: any) => s.createdAt,
          comment: (s: any) => s.comment,
        }),
      );
    });

  program
    .command('heartbeat')
    .description('report which version an instance runs (drift detection)')
    .requiredOption('--project <key>', 'project')
    .requiredOption('--env <environment>', 'environment')
    .requiredOption('--version <version>', 'the version it runs')
    .requiredOption('--instance <name>', 'the instance, e.g. web-1')
    .option('--target <key>', 'the target it belongs to')
    .action(async (opts: { project: string; env: string; version: string; instance: string; target?: string }, cmd: Command) => {
      const body = { version: opts.version, instance: opts.instance, ...(opts.target && { target: opts.target }) };
      const r = await ctx.api().request('POST', `/api/v1/projects/${encodeURIComponent(opts.project)}/environments/${encodeURIComponent(opts.env)}/heartbeat`, body);
      ctx.print(cmd, r, () => `Reported ${opts.instance} running ${opts.project} ${opts.version} in ${opts.env}.\n`);
    });
}

export { describeDeployment };
