import fs from 'node:fs';
import type { Command } from 'commander';
import type { ApiClient } from '../client.js';
import type { CommandContext } from '../context.js';
import { details, table } from '../format.js';
import { CliError } from '../io.js';

const ACTIVE = ['running', 'paused'];
const enc = encodeURIComponent;

/** "1h 5m", "30s": time left in a pause. */
function left(ms: number | null): string {
  if (ms === null) return '-';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m ${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

function latest(r: any): string {
  const byMetric = new Map<string, any>();
  for (const m of r.measurements) byMetric.set(m.metric, m);
  return [...byMetric.values()].map((m) => `${m.metric}=${m.value === null ? (m.phase === 'Error' ? 'error' : 'no data') : Number(m.value.toPrecision(4))}${m.baseline !== null ? ` (baseline ${Number(m.baseline.toPrecision(4))})` : ''} ${m.phase}`).join('; ') || '-';
}

export function describeRollout(r: any): string {
  return (
    details([
      ['id', r.id],
      [
        'target',
        r.target.kind === 'deployment'
          ? `${r.project}/${r.environment}: canary deployment ${r.target.deploymentId}, ${r.target.canaryVersion} over stable ${r.target.stableVersion}`
          : `${r.project}/${r.environment}: flag ${r.target.flag}, variant ${r.target.variant} (on failure: ${r.target.onFailure === 'off' ? 'flag off' : '0 %'})`,
      ],
      ['plan', r.plan ?? 'inline'],
      ['status', `${r.status}${r.pause ? ` (${r.pause.reason}${r.pause.message ? `: ${r.pause.message}` : ''})` : ''}`],
      ['step', `${Math.min(r.stepIndex + 1, r.steps.length)}/${r.steps.length}: ${r.currentStep}`],
      ['weight', `${r.weight} %${r.pending ? ` (applying ${r.pending.type} ${r.pending.weight} %)` : ''}`],
      ['time left', left(r.timeLeftMs)],
      ['analysis', r.analysis.map((a: any) => `${a.id} ${a.phase} [${a.metrics.map((m: any) => `${m.name}: ${m.phase}, ${m.count} measured, ${m.failed} failed`).join('; ')}]`).join(' ') || '-'],
      ['latest', latest(r)],
      ['last error', r.lastError ?? '-'],
      ['started', `${r.createdAt} by ${r.createdBy}`],
    ]) +
    '\n' +
    table(r.decisions.slice(-15), { at: (d: any) => d.at, decision: (d: any) => d.type, step: (d: any) => d.stepIndex + 1, weight: (d: any) => d.weight, message: (d: any) => d.message })
  );
}

/** Polls the rollout and prints what changed: step, weight, time left and the latest measurements. */
export async function watch(api: ApiClient, ctx: CommandContext, id: string, intervalMs: number, maxPolls = Infinity): Promise<any> {
  let last = '';
  const seenDecisions = new Set<string>();
  for (let i = 0; i < maxPolls; i++) {
    const r = await api.request('GET', `/api/v1/rollouts/${enc(id)}`);
    for (const d of r.decisions) {
      if (seenDecisions.has(d.id)) continue;
      seenDecisions.add(d.id);
      if (i > 0 || r.decisions.length - seenDecisions.size < 5) ctx.io.out(`${d.at}  ${d.type.padEnd(20)} ${d.message}\n`);
    }
    const line = `[${r.status}] step ${Math.min(r.stepIndex + 1, r.steps.length)}/${r.steps.length} ${r.currentStep} | weight ${r.weight} % | time left ${left(r.timeLeftMs)} | ${latest(r)}`;
    if (line !== last) ctx.io.out(`${line}\n`);
    last = line;
    if (!ACTIVE.includes(r.status) && r.pending === null) return r;
    await new Promise((res) => setTimeout(res, intervalMs));
  }
  return null;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file === '-' ? 0 : file, 'utf8'));
  } catch (error) {
    throw new CliError(`Cannot read JSON from ${file}: ${(error as Error).message}`);
  }
}

export function rolloutCommands(program: Command, ctx: CommandContext): void {
  const rollout = program.command('rollout').description('progressive rollouts: start, follow and steer them');

  rollout
    .command('start')
    .description("roll a flag variant out through a plan (its share of the environment's default split)")
    .requiredOption('--project <key>', 'project')
    .requiredOption('--flag <key>', 'flag')
    .requiredOption('--env <environment>', 'environment')
    .requiredOption('--variant <key>', 'the variant to roll out')
    .option('--plan <name|file>', 'a plan name (default standard-canary) or a JSON file with { steps, analysis? }', 'standard-canary')
    .option('--analysis <templates>', 'background analysis templates, comma-separated')
    .option('--on-failure <zero|off>', 'on failure: the variant back to 0 % (zero) or the flag off', 'zero')
    .action(async (o: { project: string; flag: string; env: string; variant: string; plan: string; analysis?: string; onFailure: string }, cmd: Command) => {
      const plan = fs.existsSync(o.plan) || o.plan === '-' ? readJson(o.plan) : o.plan;
      const body = { variant: o.variant, plan, onFailure: o.onFailure, ...(o.analysis && { analysis: { templates: o.analysis.split(',').map((s) => s.trim()).filter(Boolean) } }) };
      const r = await ctx.api().request('POST', `/api/v1/projects/${enc(o.project)}/flags/${enc(o.flag)}/environments/${enc(o.env)}/rollouts`, body);
      ctx.print(cmd, r, () => `Started rollout ${r.id} of ${o.flag} (${o.variant}) in ${o.env}: ${r.currentStep}. Follow it: slipway rollout watch ${r.id}\n`);
    });

  rollout
    .command('list')
    .description("a project's rollouts, newest first")
    .requiredOption('--project <key>', 'project')
    .option('--env <environment>', 'only this environment')
    .option('--status <status>', 'running, paused, succeeded, aborted or rolled_back')
    .option('--limit <n>', 'how many', '20')
    .action(async (o: { project: string; env?: string; status?: string; limit: string }, cmd: Command) => {
      const q = new URLSearchParams({ ...(o.env && { environment: o.env }), ...(o.status && { status: o.status }) });
      const items = await ctx.api().list(`/api/v1/projects/${enc(o.project)}/rollouts${q.size ? `?${q}` : ''}`, Number(o.limit) || 20);
      ctx.print(cmd, items, () =>
        table(items, {
          id: (r: any) => r.id,
          env: (r: any) => r.environment,
          target: (r: any) => (r.target.kind === 'deployment' ? `deployment:${r.target.canaryVersion}` : `${r.target.flag}:${r.target.variant}`),
          status: (r: any) => r.status,
          step: (r: any) => `${Math.min(r.stepIndex + 1, r.steps.length)}/${r.steps.length}`,
          weight: (r: any) => `${r.weight} %`,
          started: (r: any) => r.createdAt,
        }),
      );
    });

  rollout
    .command('show <id>')
    .description('one rollout: step, weight, analysis, latest measurements and decisions')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const r = await ctx.api().request('GET', `/api/v1/rollouts/${enc(id)}`);
      ctx.print(cmd, r, () => describeRollout(r));
    });

  rollout
    .command('watch <id>')
    .description('follow a rollout live until it ends; exit non-zero unless it succeeded')
    .option('--interval <seconds>', 'how often to look', '2')
    .action(async (id: string, o: { interval: string }) => {
      const r = await watch(ctx.api(), ctx, id, Math.max(0.2, Number(o.interval) || 2) * 1000);
      if (r.status !== 'succeeded') throw new CliError(`Rollout ${id} ${r.status}.`);
      ctx.io.out(`Rollout ${id} succeeded.\n`);
    });

  for (const [name, what] of [
    ['pause', 'pause a running rollout'],
    ['resume', 'resume a paused rollout'],
    ['promote', 'skip the current step'],
    ['promote-full', 'go to 100 % now'],
    ['abort', 'stop and put the weight back to 0 %'],
    ['retry', 'start an aborted or rolled-back rollout again'],
  ] as const) {
    rollout
      .command(`${name} <id>`)
      .description(what)
      .action(async (id: string, _o: unknown, cmd: Command) => {
        const r = await ctx.api().request('POST', `/api/v1/rollouts/${enc(id)}/${name}`);
        ctx.print(cmd, r, () => `Rollout ${r.id}: ${r.status}, step ${Math.min(r.stepIndex + 1, r.steps.length)}/${r.steps.length} (${r.currentStep}), weight ${r.weight} %.\n`);
      });
  }

  for (const [command, path, noun] of [
    ['analysis-template', 'analysis-templates', 'analysis template'],
    ['rollout-plan', 'rollout-plans', 'rollout plan'],
  ] as const) {
    const group = program.command(command).description(`${noun}s of a project (the shipped ones included)`);
    group
      .command('list')
      .requiredOption('--project <key>', 'project')
      .action(async (o: { project: string }, cmd: Command) => {
        const { items } = await ctx.api().request('GET', `/api/v1/projects/${enc(o.project)}/${path}`);
        ctx.print(cmd, items, () =>
          table(items, {
            name: (t: any) => t.name,
            shipped: (t: any) => t.builtIn,
            ...(command === 'analysis-template'
              ? { metrics: (t: any) => t.metrics.map((m: any) => `${m.name} every ${m.interval ?? 'once'}: ${m.failureCondition ?? m.successCondition ?? 'always ok'}`).join('; ') }
              : { steps: (t: any) => t.steps.map((s: any) => ('setWeight' in s ? `${s.setWeight}%` : 'pause' in s ? `pause ${s.pause.duration ?? '∞'}` : `gate ${s.analysis.templates.join('+')}`)).join(' → ') }),
          }),
        );
      });
    group
      .command('show <name>')
      .requiredOption('--project <key>', 'project')
      .action(async (name: string, o: { project: string }, cmd: Command) => {
        const t = await ctx.api().request('GET', `/api/v1/projects/${enc(o.project)}/${path}/${enc(name)}`);
        ctx.print(cmd, t, () => `${JSON.stringify(t.body, null, 2)}\n`);
      });
    group
      .command('create')
      .description(`create a ${noun} from a JSON file ({ name, … }; "-" reads stdin)`)
      .requiredOption('--project <key>', 'project')
      .requiredOption('--file <file>', 'JSON file')
      .action(async (o: { project: string; file: string }, cmd: Command) => {
        const t = await ctx.api().request('POST', `/api/v1/projects/${enc(o.project)}/${path}`, readJson(o.file));
        ctx.print(cmd, t, () => `Created ${noun} ${t.name}.\n`);
      });
    group
      .command('delete <name>')
      .requiredOption('--project <key>', 'project')
      .action(async (name: string, o: { project: string }) => {
        await ctx.api().request('DELETE', `/api/v1/projects/${enc(o.project)}/${path}/${enc(name)}`);
        ctx.io.out(`Deleted ${noun} ${name}.\n`);
      });
  }
}
