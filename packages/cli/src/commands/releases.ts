import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { details, table } from '../format.js';

interface Entry {
  sha: string;
  type: string;
  scope: string | null;
  subject: string;
  breaking: boolean;
  tickets: string[];
}

/** The changelog grouped as people read it: breaking changes, features, fixes, other. */
export function groupedChangelog(entries: Entry[]): string {
  const groups: Array<[string, Entry[]]> = [
    ['Breaking changes', entries.filter((e) => e.breaking)],
    ['Features', entries.filter((e) => !e.breaking && e.type === 'feat')],
    ['Fixes', entries.filter((e) => !e.breaking && e.type === 'fix')],
    ['Other', entries.filter((e) => !e.breaking && e.type !== 'feat' && e.type !== 'fix')],
  ];
  const out: string[] = [];
  for (const [title, list] of groups) {
    if (list.length === 0) continue;
    out.push(`${title}:`);
    for (const e of list) out.push(`  ${e.sha.slice(0, 7)}  ${e.scope ? `${e.scope}: ` : ''}${e.subject}${e.tickets.length ? `  [${e.tickets.join(', ')}]` : ''}`);
  }
  return out.length ? `${out.join('\n')}\n` : '(no changes)\n';
}

export function describeRelease(r: any): string {
  const head = details([
    ['project', r.project],
    ['version', r.version],
    ['kind', r.kind],
    ['tag', r.tag],
    ['commit', r.commit],
    ['parent', r.parent],
    ['since', r.previous ?? '(first release)'],
    ['created', `${r.createdAt} by ${r.createdBy}`],
    ['tickets', r.tickets.join(', ') || '-'],
    ...(r.mergedBack === undefined ? [] : ([['merged back', r.mergedBack === null ? 'unknown' : r.mergedBack ? 'yes' : `no (${r.unmergedCommits.map((s: string) => s.slice(0, 7)).join(', ')})`]] as Array<[string, unknown]>)),
  ]);
  return `${head}\n${groupedChangelog(r.changelog ?? [])}`;
}

const path = (project: string, rest = '') => `/api/v1/projects/${encodeURIComponent(project)}${rest}`;

export function releaseCommands(program: Command, ctx: CommandContext): void {
  const release = program.command('release').description('versioned releases cut from git');

  release
    .command('create')
    .description('compute the next version from the commits, tag it and push the tag')
    .requiredOption('--project <key>', 'project')
    .option('--ref <ref>', "branch, tag or commit (default: the remote's default branch)")
    .option('--bump <bump>', 'auto, major, minor or patch (may raise, never lower)')
    .option('--prerelease <id>', 'make a prerelease, e.g. rc → 1.5.0-rc.1')
    .option('--idempotency-key <key>', 'resending the same key returns the first result')
    .action(async (opts: { project: string; ref?: string; bump?: string; prerelease?: string; idempotencyKey?: string }, cmd: Command) => {
      const { project, ...body } = opts;
      const r = await ctx.api().request('POST', path(project, '/releases'), body);
      ctx.print(cmd, r, () => `Released ${r.project} ${r.version} (tag ${r.tag} on ${r.commit.slice(0, 12)}).\n\n${describeRelease(r)}`);
    });

  release
    .command('list')
    .description('releases, newest first')
    .requiredOption('--project <key>', 'project')
    .option('--kind <kind>', 'major, minor, patch, prerelease or hotfix')
    .option('--limit <n>', 'how many', (v) => Number(v), 50)
    .action(async (opts: { project: string; kind?: string; limit: number }, cmd: Command) => {
      const items = await ctx.api().list(path(opts.project, `/releases${opts.kind ? `?kind=${encodeURIComponent(opts.kind)}` : ''}`), opts.limit);
      ctx.print(cmd, items, () =>
        table(items, { version: (r: any) => r.version, kind: (r: any) => r.kind, tag: (r: any) => r.tag, commit: (r: any) => r.commit.slice(0, 12), commits: (r: any) => r.commitCount, tickets: (r: any) => r.tickets.length, created: (r: any) => r.createdAt, by: (r: any) => r.createdBy }),
      );
    });

  release
    .command('show <version>')
    .description('one release with its changelog grouped, and tickets')
    .requiredOption('--project <key>', 'project')
    .action(async (version: string, opts: { project: string }, cmd: Command) => {
      const api = ctx.api();
      const r = await api.request('GET', path(opts.project, `/releases/${encodeURIComponent(version)}`));
      // Sign-offs and where it runs come from their own resources (the CLI uses the public API only).
      const [signoffs, status] = await Promise.all([
        api.list(path(opts.project, `/releases/${encodeURIComponent(version)}/signoffs`), 200),
        api.request('GET', `/api/v1/status?project=${encodeURIComponent(opts.project)}`),
      ]);
      const runs = status.items.flatMap((c: any) => {
        const targets: any[] = c.targets ?? [];
        const here = targets.filter((t) => t.version === r.version).map((t) => t.key);
        if (c.current?.version === r.version && (targets.length === 0 || here.length === targets.length)) return [c.environment];
        return here.length > 0 ? [`${c.environment} (${here.join(', ')})`] : [];
      });
      const shown = { ...r, signoffs, runsIn: runs };
      ctx.print(cmd, shown, () => {
        const lines = signoffs.map((s: any) => `  ${s.createdAt}  ${s.kind} ${s.decision}${s.environment ? ` in ${s.environment}` : ''} by ${s.createdBy}${s.comment ? `: ${s.comment}` : ''}`);
        return `${describeRelease(r)}\nRuns in: ${runs.join(', ') || 'nowhere yet'}\nSign-offs:\n${lines.join('\n') || '  (none)'}\n`;
      });
    });

  release
    .command('notes <version>')
    .description('release notes (Markdown, or --format json)')
    .requiredOption('--project <key>', 'project')
    .option('--format <format>', 'md or json', 'md')
    .action(async (version: string, opts: { project: string; format: string }) => {
      const notes = await ctx.api().text(path(opts.project, `/releases/${encodeURIComponent(version)}/notes?format=${encodeURIComponent(opts.format)}`));
      ctx.io.out(notes.endsWith('\n') ? notes : `${notes}\n`);
    });

  release
    .command('compare')
    .description('commits and tickets between two versions')
    .requiredOption('--project <key>', 'project')
    .requiredOption('--from <version>', 'older version')
    .requiredOption('--to <version>', 'newer version')
    .action(async (opts: { project: string; from: string; to: string }, cmd: Command) => {
      const c = await ctx.api().request('GET', path(opts.project, `/compare?from=${encodeURIComponent(opts.from)}&to=${encodeURIComponent(opts.to)}`));
      ctx.print(cmd, c, () => `${c.from} → ${c.to}: ${c.commits.length} commits, tickets: ${c.tickets.join(', ') || '-'}\n\n${groupedChangelog(c.commits)}`);
    });

  program
    .command('hotfix')
    .description('hotfixes: patch releases on a maintenance line')
    .command('create')
    .description('cherry-pick commits onto hotfix/<major>.<minor>.x (or release a branch) and release the next patch')
    .requiredOption('--project <key>', 'project')
    .requiredOption('--from <version>', 'the release to fix, e.g. 1.4.0')
    .option('--commit <sha...>', 'commits to cherry-pick, in order')
    .option('--branch <branch>', 'release the head of this branch instead (it must descend from the release tag)')
    .option('--idempotency-key <key>', 'resending the same key returns the first result')
    .action(async (opts: { project: string; from: string; commit?: string[]; branch?: string; idempotencyKey?: string }, cmd: Command) => {
      const body = { ...(opts.commit && { commits: opts.commit }), ...(opts.branch && { branch: opts.branch }), ...(opts.idempotencyKey && { idempotencyKey: opts.idempotencyKey }) };
      const r = await ctx.api().request('POST', path(opts.project, `/releases/${encodeURIComponent(opts.from)}/hotfixes`), body);
      ctx.print(cmd, r, () => `Released hotfix ${r.project} ${r.version} from ${r.parent} on ${r.ref} (tag ${r.tag}).\n\n${describeRelease(r)}`);
    });
}
