import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { details, table } from '../format.js';
import { describeImport } from './projects.js';

interface Entry {
  sha: string;
  type: string;
  scope: string | null;
  subject: string;
  breaking: boolean;
  tickets: string[];
  part?: number;
}

/** Tickets an entry's subject does not already show (`fix: x (#12)` is not followed by `[#12]`). */
const extraTickets = (e: Entry) => e.tickets.filter((t) => !e.subject.includes(t));

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
    for (const e of list) {
      const tickets = extraTickets(e);
      out.push(`  ${e.sha.slice(0, 7)}  ${e.scope ? `${e.scope}: ` : ''}${e.subject}${tickets.length ? `  [${tickets.join(', ')}]` : ''}`);
    }
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
    ...(r.importedAt ? ([['imported', `${r.importedAt} from tag ${r.tag} (no recorded changelog)`]] as Array<[string, unknown]>) : []),
    ...(r.mergedBack === undefined ? [] : ([['merged back', mergedBack(r)]] as Array<[string, unknown]>)),
  ]);
  return `${head}\n${groupedChangelog(r.changelog ?? [])}`;
}

function mergedBack(r: any): string {
  if (r.mergedBack === null) return `unknown${r.mergeCheckError ? ` (${r.mergeCheckError})` : ''}`;
  if (r.mergedBack === false) return `no (${r.unmergedCommits.map((s: string) => s.slice(0, 7)).join(', ')})`;
  if (r.mergedBack === 'by-ticket') {
    const byTicket = (r.mergeCommits ?? []).filter((c: any) => c.how === 'ticket').map((c: any) => `${c.sha.slice(0, 7)} ~ ${String(c.via).slice(0, 7)}`);
    return `by ticket only (${byTicket.join(', ')}): a commit on the default branch names the same ticket`;
  }
  return 'yes';
}

/** A dry run as people read it: what would be released, why, and every reason it would be refused. */
export function describePreview(p: any): string {
  const out: string[] = [];
  if (p.wouldRelease) out.push(`Would release ${p.project} ${p.version} (${p.kind}, tag ${p.tag} on ${String(p.commit).slice(0, 12)}). Nothing was tagged or recorded.`);
  else out.push(`Would NOT release ${p.project}${p.version ? ` ${p.version}` : ''}. Nothing was tagged or recorded.`);
  for (const problem of p.problems) out.push(`  ✗ ${problem.message} [${problem.code}]`);
  if (p.decision) out.push(`Why: ${p.decision.reason}`);
  for (const notice of p.notices ?? []) out.push(`Note: ${notice}`);
  for (const pair of p.reverted ?? []) out.push(`Dropped: ${pair.reverted.sha.slice(0, 7)} "${pair.reverted.subject}" and its revert ${pair.revert.sha.slice(0, 7)}`);
  out.push(`Since: ${p.previous ?? '(first release)'} · ${p.commitCount} commit${p.commitCount === 1 ? '' : 's'} · tickets: ${p.tickets.join(', ') || '-'}`, '');
  return `${out.join('\n')}\n${groupedChangelog(p.changelog ?? [])}`;
}

const path = (project: string, rest = '') => `/api/v1/projects/${encodeURIComponent(project)}${rest}`;

export function releaseCommands(program: Command, ctx: CommandContext): void {
  const release = program.command('release').description('versioned releases cut from git');

  release
    .command('create')
    .description("compute the next version from the commits by the project's release rules, tag it and push the tag")
    .requiredOption('--project <key>', 'project')
    .option('--ref <ref>', "branch, tag or commit (default: the remote's default branch)")
    .option('--bump <bump>', 'auto, major, minor or patch (may raise, never lower; patch releases commits no rule releases)')
    .option('--prerelease <id>', 'make a prerelease, e.g. rc → 1.5.0-rc.1')
    .option('--idempotency-key <key>', 'resending the same key returns the first result')
    .option('--dry-run', 'show what would be released and why (version, tag, changelog, tickets, the deciding rule, every refusal); tag and record nothing')
    .action(async (opts: { project: string; ref?: string; bump?: string; prerelease?: string; idempotencyKey?: string; dryRun?: boolean }, cmd: Command) => {
      const { project, dryRun, ...body } = opts;
      const r = await ctx.api().request('POST', path(project, '/releases'), { ...body, ...(dryRun && { dryRun: true }) });
      if (dryRun) return ctx.print(cmd, r, () => describePreview(r));
      const why = r.decision ? `Why: ${r.decision.reason}\n` : '';
      const notes = (r.notices ?? []).map((n: string) => `Note: ${n}\n`).join('');
      ctx.print(cmd, r, () => `Released ${r.project} ${r.version} (tag ${r.tag} on ${r.commit.slice(0, 12)}).\n${why}${notes}\n${describeRelease(r)}`);
    });

  release
    .command('import')
    .description("adopt the repository's existing tags that match the tag template as releases (safe to run again)")
    .requiredOption('--project <key>', 'project')
    .action(async (opts: { project: string }, cmd: Command) => {
      const report = await ctx.api().request('POST', path(opts.project, '/releases/import'), {});
      ctx.print(cmd, report, () => describeImport(report));
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
    .description(
      'release the next patch of a maintenance line, built on its latest release: cherry-pick commits onto hotfix/<major>.<minor>.x, or release a branch that contains the latest release (the line branch moves with the tag)',
    )
    .requiredOption('--project <key>', 'project')
    .requiredOption('--from <version>', 'a release of the line to fix, e.g. 1.4.0 (the hotfix builds on the latest release of 1.4.x)')
    .option('--commit <sha...>', 'commits to cherry-pick, in order')
    .option('--branch <branch>', 'release the head of this branch instead (it must contain the latest release of the line)')
    .option('--idempotency-key <key>', 'resending the same key returns the first result')
    .option('--dry-run', 'show what the hotfix would be (the cherry-pick is tried aside); push and record nothing')
    .action(async (opts: { project: string; from: string; commit?: string[]; branch?: string; idempotencyKey?: string; dryRun?: boolean }, cmd: Command) => {
      const body = {
        ...(opts.commit && { commits: opts.commit }),
        ...(opts.branch && { branch: opts.branch }),
        ...(opts.idempotencyKey && { idempotencyKey: opts.idempotencyKey }),
        ...(opts.dryRun && { dryRun: true }),
      };
      const r = await ctx.api().request('POST', path(opts.project, `/releases/${encodeURIComponent(opts.from)}/hotfixes`), body);
      if (opts.dryRun) return ctx.print(cmd, r, () => describePreview(r));
      const asked = r.requestedFrom && r.requestedFrom !== r.parent ? ` (you asked from ${r.requestedFrom}; ${r.parent} is the latest release of its line)` : '';
      const notes = (r.notices ?? []).map((n: string) => `Note: ${n}\n`).join('');
      ctx.print(cmd, r, () => `Released hotfix ${r.project} ${r.version} on ${r.parent}${asked}, ${r.ref} (tag ${r.tag}).\n${notes}\n${describeRelease(r)}`);
    });
}
