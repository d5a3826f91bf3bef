import type { Command } from 'commander';
import type { ApiClient } from '../client.js';
import type { CommandContext } from '../context.js';
import { details, table } from '../format.js';
import { CliError } from '../io.js';

const FINISHED = ['succeeded', 'failed', 'rolled_back', 'cancelled'];

export function describeDeployment(d: any): string {
  return details([
    ['id', d.id],
    ['project', d.project],
    ['environment', d.environment],
    ['version', `${d.version} (${d.tag}, ${String(d.commit).slice(0, 12)})`],
    ['kind', d.kind === 'rollback' ? `rollback of ${d.rollbackOf}` : d.kind],
    ['status', d.status],
    ['targets', d.targets.map((t: any) => `${t.key}: ${t.status}`).join(', ')],
    ['requested', `${d.createdAt} by ${d.requestedBy}${d.reason ? ` (${d.reason})` : ''}`],
    ['approvals', d.approvals.required > 0 ? `${d.approvals.given.length}/${d.approvals.required} (${d.approvals.roles.join(', ')})` : '-'],
    ['override', d.override ? `${d.override.reason} (${d.override.overridden.join(', ') || 'nothing to override'})` : '-'],
    ['failure', d.failure ? `${d.failure.reason}${d.failure.target ? ` on ${d.failure.target}` : ''}` : '-'],
  ]);
}

/**
 * Prints progress per target and the logs live from the SSE stream; resolves when the deployment
 * ends and fails (non-zero exit) unless it succeeded.
 */
export async function follow(api: ApiClient, ctx: CommandContext, id: string): Promise<void> {
  const seen = new Map<string, string>();
  type End = { status: string; failure: { reason: string; target: string | null } | null };
  const ended: End[] = [];
  await api.events(`/api/v1/deployments/${encodeURIComponent(id)}/logs`, (event, data) => {
    if (event === 'log') ctx.io.out(`${data.target ? `[${data.target}] ` : ''}${data.line}\n`);
    else if (event === 'deployment') {
      if (seen.get('') !== data.status) ctx.io.out(`== deployment ${data.status}\n`);
      seen.set('', data.status);
      for (const t of data.targets) {
        if (seen.get(t.key) !== t.status) ctx.io.out(`== ${t.key}: ${t.status}${t.message ? ` (${t.message})` : ''}\n`);
        seen.set(t.key, t.status);
      }
    } else if (event === 'end') ended.push(data as End);
    else if (event === 'error') throw new CliError(`The log stream failed: ${data.message}`);
  });
  const result = ended[0];
  if (!result) throw new CliError(`The log stream of ${id} ended early; see slipway deployments or GET /api/v1/deployments/${id}.`);
  if (result.status !== 'succeeded') {
    throw new CliError(`Deployment ${id} ${result.status}${result.failure ? `: ${result.failure.reason}${result.failure.target ? ` on ${result.failure.target}` : ''}` : ''}.`);
  }
  ctx.io.out(`Deployment ${id} succeeded.\n`);
}

export function deploymentCommands(program: Command, ctx: CommandContext): void {
  program
    .command('deploy')
    .description('deploy a release to an environment (every guardrail is checked)')
    .requiredOption('--project <key>', 'project')
    .requiredOption('--version <version>', 'release version')
    .requiredOption('--env <environment>', 'environment')
    .option('--reason <text>', 'why (shown in messages and history)')
    .option('--override-reason <text>', 'release-manager+: deploy outside a window or during a freeze, saying why')
    .option('--follow', 'show progress and logs until it ends; exit non-zero if it fails')
    .action(async (opts: { project: string; version: string; env: string; reason?: string; overrideReason?: string; follow?: boolean }, cmd: Command) => {
      const api = ctx.api();
      const body = { version: opts.version, environment: opts.env, ...(opts.reason && { reason: opts.reason }), ...(opts.overrideReason && { override: { reason: opts.overrideReason } }) };
      const d = await api.request('POST', `/api/v1/projects/${encodeURIComponent(opts.project)}/deployments`, body);
      const callbackToken: string = d.callbackToken;
      ctx.print(cmd, d, () =>
        `Requested deployment ${d.id} of ${d.project} ${d.version} to ${d.environment}: ${d.status}.\n` +
        (d.status === 'pending_approval' ? `Waiting for ${d.approvals.required} approval(s) by ${d.approvals.roles.join(' or ')}: slipway approve ${d.id}\n` : '') +
        `Callback token (shown once, for reporting results): ${callbackToken}\n`,
      );
      if (opts.follow) await follow(api, ctx, d.id);
    });

  program
    .command('approve <id>')
    .description('approve a deployment waiting for approval (a listed role, not the requester)')
    .option('-m, --message <comment>', 'comment')
    .action(async (id: string, opts: { message?: string }, cmd: Command) => {
      const d = await ctx.api().request('POST', `/api/v1/deployments/${encodeURIComponent(id)}/approve`, opts.message ? { comment: opts.message } : {});
      ctx.print(cmd, d, () => `Approved ${d.id} (${d.approvals.given.length}/${d.approvals.required}); status ${d.status}.\n`);
    });

  program
    .command('rollback')
    .description('deploy again the version that succeeded before the latest deployment of an environment')
    .requiredOption('--project <key>', 'project')
    .requiredOption('--env <environment>', 'environment')
    .option('--reason <text>', 'why')
    .option('--follow', 'show progress and logs until it ends')
    .action(async (opts: { project: string; env: string; reason?: string; follow?: boolean }, cmd: Command) => {
      const api = ctx.api();
      const recent = await api.request('GET', `/api/v1/projects/${encodeURIComponent(opts.project)}/deployments?environment=${encodeURIComponent(opts.env)}&limit=20`);
      const latest = recent.items.find((d: any) => d.status === 'succeeded' || d.status === 'failed');
      if (!latest) throw new CliError(`No finished deployment of ${opts.project} in ${opts.env} to roll back.`);
      const d = await api.request('POST', `/api/v1/deployments/${latest.id}/rollback`, opts.reason ? { reason: opts.reason } : {});
      ctx.print(cmd, d, () => `Rolling back ${opts.project} in ${opts.env} from ${latest.version} to ${d.version}: deployment ${d.id} (${d.status}).\n`);
      if (opts.follow) await follow(api, ctx, d.id);
    });

  program
    .command('deployments')
    .description('deployment history of a project, newest first')
    .requiredOption('--project <key>', 'project')
    .option('--env <environment>', 'only this environment')
    .option('--status <status>', 'only this status')
    .option('--limit <n>', 'how many', '20')
    .action(async (opts: { project: string; env?: string; status?: string; limit: string }, cmd: Command) => {
      const query = new URLSearchParams({ ...(opts.env && { environment: opts.env }), ...(opts.status && { status: opts.status }) });
      const items = await ctx.api().list(`/api/v1/projects/${encodeURIComponent(opts.project)}/deployments${query.size ? `?${query}` : ''}`, Number(opts.limit) || 20);
      ctx.print(cmd, items, () =>
        table(items, {
          id: (d: any) => d.id,
          env: (d: any) => d.environment,
          version: (d: any) => d.version,
          kind: (d: any) => d.kind,
          status: (d: any) => d.status,
          by: (d: any) => d.requestedBy,
          at: (d: any) => d.createdAt,
          failure: (d: any) => (d.failure ? `${d.failure.reason}${d.failure.target ? `@${d.failure.target}` : ''}` : null),
        }),
      );
    });

  program
    .command('deployment <id>')
    .description('one deployment; --follow streams its logs until it ends')
    .option('--follow', 'show progress and logs until it ends')
    .action(async (id: string, opts: { follow?: boolean }, cmd: Command) => {
      const api = ctx.api();
      const d = await api.request('GET', `/api/v1/deployments/${encodeURIComponent(id)}`);
      ctx.print(cmd, d, () => describeDeployment(d));
      if (opts.follow && !FINISHED.includes(d.status)) await follow(api, ctx, id);
    });
}
