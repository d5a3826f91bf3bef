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
    ['targets', d.targets.map((t: any) => `${t.key}: ${t.status}${t.waitingFor ? ` (waiting for ${t.waitingFor})` : ''}${t.message ? ` — ${t.message}` : ''}`).join('; ')],
    ['requested', `${d.createdAt} by ${d.requestedBy}${d.reason ? ` (${d.reason})` : ''}`],
    ['approvals', approvalLine(d)],
    ...(d.rejection ? ([['rejected', `by ${d.rejection.by}: ${d.rejection.comment}`]] as Array<[string, unknown]>) : []),
    ...(d.stopping ? ([['stopping', d.stopping === 'cancelled' ? 'cancelled: the targets were told to stop' : 'a target failed: the others were told to stop']] as Array<[string, unknown]>) : []),
    ['override', d.override ? `${d.override.reason} (${d.override.overridden.join(', ') || 'nothing to override'})` : '-'],
    ['failure', d.failure ? `${d.failure.reason}${d.failure.target ? ` on ${d.failure.target}` : ''}` : '-'],
  ]);
}

function approvalLine(d: any): string {
  const groups: any[] = d.approvals.groups ?? [];
  if (groups.length === 0) return '-';
  return groups.map((g) => `${g.name} ${g.approvedBy.length}/${g.required}${g.approvedBy.length ? ` (${g.approvedBy.join(', ')})` : ''}`).join('; ') + (d.approvals.missing.length ? `; missing: ${d.approvals.missing.join(', ')}` : '');
}

/** What a preflight (dryRun) says, one refusal per line with what to do. */
export function describePreflight(p: any, what: string): string {
  const lines = [p.allowed ? `${what} would be allowed.` : `${what} would be refused:`];
  for (const r of p.refusals) lines.push(`  [${r.code}]${p.overridable.includes(r.code) ? ' (an override with --override-reason sets this aside)' : ''} ${r.message}`);
  if (p.approvals.length > 0) lines.push(`It would wait for approvals: ${p.approvals.map((g: any) => g.description).join('; ')}.`);
  lines.push(`Targets: ${p.targets.join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

/** What a rollback would do (the preview), before doing it. */
export function describePlan(p: any): string {
  const lines = [`Roll back ${p.project} in ${p.environment} from ${p.from.version} (${p.from.status}) to ${p.to.version}${p.to.explicit ? '' : ' (the last version that succeeded there)'}.`];
  if (p.failedRollback) lines.push(`The last rollback, to ${p.failedRollback.version} (${p.failedRollback.deploymentId}), failed${p.failedRollback.failure ? `: ${p.failedRollback.failure}` : ''}.`);
  for (const t of p.targets) lines.push(`  ${t.key}: ${t.current ?? 'unknown'} → ${t.rollsBack ? t.to : `${t.current} (unchanged, not rolled back)`}`);
  if (p.notes.releases.length > 0) {
    lines.push(`It removes ${p.notes.releases.map((r: any) => `${r.version}${r.kind === 'hotfix' ? ' (hotfix)' : ''}`).join(', ')}.`);
    if (p.notes.tickets.length > 0) lines.push(`Tickets going away: ${p.notes.tickets.join(', ')}.`);
    if (p.notes.hotfixes.length > 0) lines.push(`Hotfixes going away: ${p.notes.hotfixes.join(', ')}.`);
  }
  return `${lines.join('\n')}\n`;
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
        if (seen.get(t.key) !== t.status) {
          ctx.io.out(`== ${t.key}: ${t.status}${t.message ? ` (${t.message})` : ''}\n`);
          if (t.waitingFor === 'report') ctx.io.out(`waiting for someone to report target ${t.key}: slipway report ${data.id} --target ${t.key} --succeeded|--failed [-m "…"]\n`);
        }
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
    .option('--dry-run', 'show every guard that would refuse, and the approvals it would wait for; deploy nothing')
    .option('--strategy <strategy>', 'canary: a progressive rollout tells the executors each weight (default: all at once)')
    .option('--plan <name>', 'canary: the rollout plan (default standard-canary)')
    .option('--analysis <templates>', 'canary: background analysis templates, comma-separated (T1,T2)')
    .action(async (opts: { project: string; version: string; env: string; reason?: string; overrideReason?: string; follow?: boolean; dryRun?: boolean; strategy?: string; plan?: string; analysis?: string }, cmd: Command) => {
      const api = ctx.api();
      const body = {
        version: opts.version,
        environment: opts.env,
        ...(opts.reason && { reason: opts.reason }),
        ...(opts.overrideReason && { override: { reason: opts.overrideReason } }),
        ...(opts.strategy && { strategy: opts.strategy }),
        ...(opts.plan && { plan: opts.plan }),
        ...(opts.analysis && { analysis: { templates: opts.analysis.split(',').map((s) => s.trim()).filter(Boolean) } }),
      };
      const path = `/api/v1/projects/${encodeURIComponent(opts.project)}/deployments`;
      if (opts.dryRun) {
        const p = await api.request('POST', path, { ...body, dryRun: true });
        ctx.print(cmd, p, () => describePreflight(p, `Deploying ${opts.project} ${opts.version} to ${opts.env}`));
        if (!p.allowed) throw new CliError(`${p.refusals.length} refusal(s): nothing was deployed.`, 2);
        return;
      }
      const d = await api.request('POST', path, body);
      const callbackToken: string = d.callbackToken;
      ctx.print(cmd, d, () =>
        `Requested deployment ${d.id} of ${d.project} ${d.version} to ${d.environment}: ${d.status}.\n` +
        (d.status === 'pending_approval' ? `Waiting for approvals: ${approvalLine(d)} (slipway approve ${d.id}, or slipway reject ${d.id} -m "why")\n` : '') +
        (d.rolloutId ? `Canary of ${d.version} over ${d.canary?.stableVersion ?? '?'}: rollout ${d.rolloutId}${d.status === 'pending_approval' ? ' (starts once approved)' : ''} — slipway rollout watch ${d.rolloutId}\n` : '') +
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
      ctx.print(cmd, d, () => `Approved ${d.id}: ${approvalLine(d)}; status ${d.status}.\n`);
    });

  program
    .command('rollback')
    .description('roll an environment back to the last version that succeeded there (or --version), on the targets that changed; shows what it does first')
    .requiredOption('--project <key>', 'project')
    .requiredOption('--env <environment>', 'environment')
    .option('--version <version>', 'go back to this version (any that succeeded there before)')
    .option('--reason <text>', 'why')
    .option('--dry-run', 'only show what it would do')
    .option('--yes', 'do not ask for confirmation')
    .option('--follow', 'show progress and logs until it ends')
    .action(async (opts: { project: string; env: string; version?: string; reason?: string; dryRun?: boolean; yes?: boolean; follow?: boolean }, cmd: Command) => {
      const api = ctx.api();
      const base = `/api/v1/projects/${encodeURIComponent(opts.project)}/environments/${encodeURIComponent(opts.env)}`;
      const plan = await api.request('GET', `${base}/rollback-preview${opts.version ? `?version=${encodeURIComponent(opts.version)}` : ''}`);
      if (opts.dryRun) {
        ctx.print(cmd, plan, () => describePlan(plan));
        return;
      }
      if (!opts.yes) {
        ctx.io.err(describePlan(plan));
        if (!ctx.io.confirm) throw new CliError('Nobody can confirm here: add --yes (or look first with --dry-run).');
        if (!(await ctx.io.confirm(`Roll back ${opts.project} in ${opts.env} to ${plan.to.version}?`))) throw new CliError('Not rolled back.');
      }
      const d = await api.request('POST', `${base}/rollback`, { version: plan.to.version, ...(opts.reason && { reason: opts.reason }) });
      ctx.print(cmd, d, () => `Rolling back ${opts.project} in ${opts.env} from ${plan.from.version} to ${d.version} on ${d.targets.map((t: any) => t.key).join(', ')}: deployment ${d.id} (${d.status}).\n`);
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
