import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { CliError } from '../io.js';
import { table } from '../format.js';
import { jsonArgument } from './flags.js';

const enc = encodeURIComponent;
const NUMERIC = new Set(['lt', 'lte', 'gt', 'gte']);

/** "company in acme,globex" → a condition; numbers stay numbers for lt/lte/gt/gte. */
function condition(spec: string, previous: unknown[] = []): unknown[] {
  const match = /^\s*(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(spec);
  if (!match) throw new CliError(`--condition takes "ATTRIBUTE OPERATOR VALUE[,VALUE…]", e.g. "company in acme,globex"; got ${spec}`);
  const [, attribute, operator, rest] = match;
  const values = rest === undefined ? undefined : rest.split(',').map((v) => v.trim()).filter(Boolean).map((v) => (NUMERIC.has(operator!) && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v));
  return [...previous, { attribute, operator, ...(values !== undefined && { values }) }];
}

export function segmentCommands(program: Command, ctx: CommandContext): void {
  const segment = program.command('segment').description('segments: reusable conditions that rules refer to with in_segment');
  const base = (project: string) => `/api/v1/projects/${enc(project)}/segments`;
  const describe = (s: any) => s.conditions.map((c: any) => `${c.attribute} ${c.operator} ${(c.values ?? []).join(',')}`.trim()).join(' AND ') || '(everyone)';

  segment
    .command('list')
    .description("list a project's segments")
    .requiredOption('--project <key>', 'project')
    .action(async (opts: { project: string }, cmd: Command) => {
      const items = await ctx.api().list(base(opts.project));
      ctx.print(cmd, items, () => table(items, { key: (s: any) => s.key, name: (s: any) => s.name, conditions: describe }));
    });

  segment
    .command('create <key>')
    .description('create a segment; a context is in it when every condition matches')
    .requiredOption('--project <key>', 'project')
    .option('--name <name>', 'display name')
    .option('--description <text>', 'what it is for')
    .option('--condition <spec>', 'e.g. "company in acme,globex"; repeat for more (all must match)', condition)
    .option('--conditions <json|@file>', 'the conditions as a JSON array instead')
    .action(async (key: string, opts: { project: string; name?: string; description?: string; condition?: unknown[]; conditions?: string }, cmd: Command) => {
      const conditions = opts.conditions !== undefined ? jsonArgument(opts.conditions, '--conditions') : (opts.condition ?? []);
      const created = await ctx.api().request('POST', base(opts.project), {
        key,
        conditions,
        ...(opts.name && { name: opts.name }),
        ...(opts.description && { description: opts.description }),
      });
      ctx.print(cmd, created, () => `Created segment ${created.key}: ${describe(created)}\n`);
    });

  segment
    .command('delete <key>')
    .description('delete a segment (refused while a flag uses it)')
    .requiredOption('--project <key>', 'project')
    .action(async (key: string, opts: { project: string }, cmd: Command) => {
      await ctx.api().request('DELETE', `${base(opts.project)}/${enc(key)}`);
      ctx.print(cmd, { deleted: key }, () => `Deleted segment ${key}.\n`);
    });
}
