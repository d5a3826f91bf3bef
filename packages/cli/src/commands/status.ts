import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { table } from '../format.js';

/** One cell of the matrix: the current version, what is on its way, and drift. */
function cell(c: any): string {
  if (!c) return '-';
  let text = c.current ? c.current.version : '-';
  if (c.targets) text += ` [${c.targets.map((t: any) => `${t.key}=${t.version}`).join(' ')}]`;
  if (c.inFlight) text += ` → ${c.inFlight.version} (${c.inFlight.canary ? `canary ${c.inFlight.canary.weight} %${c.inFlight.canary.status === 'paused' ? ', paused' : ''}` : c.inFlight.status})`;
  if (c.drift) text += ` DRIFT(${c.drift.map((d: any) => `${d.instance}=${d.version}`).join(' ')})`;
  return text;
}

export function statusCommands(program: Command, ctx: CommandContext): void {
  program
    .command('status')
    .description('what runs where: the version per project and environment, in-flight deployments and drift')
    .option('--project <key>', 'only this project')
    .action(async (opts: { project?: string }, cmd: Command) => {
      const s = await ctx.api().request('GET', `/api/v1/status${opts.project ? `?project=${encodeURIComponent(opts.project)}` : ''}`);
      ctx.print(cmd, s, () => {
        const byProject = new Map<string, Map<string, any>>();
        for (const c of s.items) {
          if (!byProject.has(c.project)) byProject.set(c.project, new Map());
          byProject.get(c.project)!.set(c.environment, c);
        }
        const envs: string[] = s.environments.filter((e: string) => s.items.some((c: any) => c.environment === e));
        const rows = [...byProject.entries()].map(([project, cells]) => ({ project, cells }));
        const columns: Record<string, (r: (typeof rows)[number]) => unknown> = { project: (r) => r.project };
        for (const env of envs) columns[env] = (r) => cell(r.cells.get(env));
        return table(rows, columns);
      });
    });
}
