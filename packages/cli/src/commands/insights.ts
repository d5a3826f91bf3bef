import fs from 'node:fs';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { details, table } from '../format.js';
import { CliError } from '../io.js';

const q = (params: Record<string, string | undefined>) => {
  const entries = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined);
  return entries.length === 0 ? '' : `?${entries.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
};
const pct = (v: number | null) => (v === null ? '-' : `${Math.round(v * 1000) / 10} %`);
const hours = (v: number | null) => (v === null ? '-' : v < 48 ? `${Math.round(v * 10) / 10} h` : `${Math.round((v / 24) * 10) / 10} d`);

function readFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`Cannot read ${file}: ${(error as Error).message}`);
  }
}

interface RangeOptions {
  project?: string;
  env?: string;
  from?: string;
  to?: string;
  interval?: string;
  timezone?: string;
}

const withRange = (c: Command) =>
  c
    .option('--project <key>', 'one project (default: all)')
    .option('--from <date>', 'start, e.g. 2026-03-02 (default: 90 days ago for DORA, 8 weeks for quality)')
    .option('--to <date>', 'end, exclusive (default: now)')
    .option('--interval <week|month>', 'trend buckets', 'week')
    .option('--timezone <zone>', 'IANA time zone of week boundaries', 'UTC');

export function insightCommands(program: Command, ctx: CommandContext): void {
  const insights = program.command('insights').description('DORA metrics and QA statistics');
  withRange(insights.command('dora').description('deployment frequency, lead time, change failure rate, time to restore and rework rate, with DORA bands'))
    .option('--env <environment>', 'the production environment', 'production')
    .action(async (opts: RangeOptions, cmd: Command) => {
      const d = await ctx.api().request('GET', `/api/v1/insights/dora${q({ project: opts.project, environment: opts.env, from: opts.from, to: opts.to, interval: opts.interval, timezone: opts.timezone })}`);
      ctx.print(cmd, d, () => {
        const rows = [
          { metric: 'deployment frequency', value: `${d.deploymentFrequency.count} (${d.deploymentFrequency.perWeek ?? '-'} a week)`, band: d.bands.deploymentFrequency },
          { metric: 'lead time for changes', value: `median ${hours(d.leadTime.medianHours)}, p90 ${hours(d.leadTime.p90Hours)} (${d.leadTime.commits} commits)`, band: d.bands.leadTime },
          { metric: 'change failure rate', value: `${pct(d.changeFailureRate)} (${d.changeFailures.failures} of ${d.changeFailures.of})`, band: d.bands.changeFailureRate },
          { metric: 'time to restore', value: `median ${hours(d.timeToRestore.medianHours)} (${d.timeToRestore.incidents} incidents, ${d.timeToRestore.unresolved} open)`, band: d.bands.timeToRestore },
          { metric: 'deployment rework rate', value: `${pct(d.reworkRate)} (${d.rework.unplanned} of ${d.rework.of})`, band: d.bands.reworkRate },
        ];
        const head = `${d.project ?? 'all projects'} in ${d.environment}, ${d.from.slice(0, 10)} → ${d.to.slice(0, 10)}\n\n`;
        const trend = table(d.trend, { [opts.interval ?? 'week']: (w: any) => w.start, deploys: (w: any) => w.deployments, 'lead (median)': (w: any) => hours(w.leadTimeMedianHours), 'failure rate': (w: any) => pct(w.changeFailureRate), restore: (w: any) => hours(w.timeToRestoreMedianHours), rework: (w: any) => pct(w.reworkRate) });
        return `${head}${table(rows, { metric: (r) => r.metric, value: (r) => r.value, band: (r) => r.band })}\n${trend}`;
      });
    });
  withRange(insights.command('quality').description('per week: QA tests performed and pushed back, features shipped, bugs per stage, regressions'))
    .option('--env <environment>', 'the production environment', 'production')
    .action(async (opts: RangeOptions, cmd: Command) => {
      const r = await ctx.api().request('GET', `/api/v1/insights/quality${q({ project: opts.project, environment: opts.env, from: opts.from, to: opts.to, interval: opts.interval, timezone: opts.timezone })}`);
      ctx.print(cmd, r, () =>
        table(r.weeks, {
          week: (w: any) => w.weekStart,
          'qa tests': (w: any) => w.qaTestsPerformed,
          'pushed back': (w: any) => w.qaTestsPushedBack,
          features: (w: any) => w.stagingFeaturesPushedToProduction,
          staging: (w: any) => w.bugsByStage.staging,
          rc: (w: any) => w.bugsByStage['release-candidate'],
          alpha: (w: any) => w.bugsByStage.alpha,
          beta: (w: any) => w.bugsByStage.beta,
          'push to prod': (w: any) => w.bugsByStage['push-to-production'],
          production: (w: any) => w.bugsByStage.production,
          regressions: (w: any) => w.productionRegressions,
          other: (w: any) => w.otherBugs,
        }),
      );
    });

  const testRun = program.command('test-run').description('test results (JUnit XML)');
  testRun
    .command('upload <file>')
    .description('upload a JUnit XML report')
    .requiredOption('--project <key>', 'project')
    .option('--version <version>', 'the version tested')
    .option('--env <environment>', 'where it ran')
    .option('--suite <suite>', 'e.g. e2e, unit', 'default')
    .option('--run <id>', 'the scheduled run these are the results of')
    .action(async (file: string, opts: { project: string; version?: string; env?: string; suite: string; run?: string }, cmd: Command) => {
      const r = await ctx.api().send('POST', `/api/v1/projects/${encodeURIComponent(opts.project)}/test-runs${q({ version: opts.version, environment: opts.env, suite: opts.suite, run: opts.run })}`, readFile(file), 'application/xml');
      ctx.print(cmd, r, () => {
        const lines = [`Run ${r.id}: ${r.status}, ${r.total} tests, ${r.failed} failed, ${r.errors} errors, ${r.skipped} skipped in ${(r.durationMs / 1000).toFixed(1)} s.`];
        if (r.newlyFailing.length > 0) lines.push(`Newly failing (a task each): ${r.newlyFailing.join(', ')}`);
        if (r.flakyTests.length > 0) lines.push(`Flaky: ${r.flakyTests.join(', ')}`);
        if (r.recovered.length > 0) lines.push(`Passing again: ${r.recovered.join(', ')}`);
        return `${lines.join('\n')}\n`;
      });
    });
  testRun
    .command('list')
    .description('test runs of a project, newest first')
    .requiredOption('--project <key>', 'project')
    .option('--env <environment>', 'only this environment')
    .option('--version <version>', 'only this version')
    .action(async (opts: { project: string; env?: string; version?: string }, cmd: Command) => {
      const items = await ctx.api().list(`/api/v1/projects/${encodeURIComponent(opts.project)}/test-runs${q({ environment: opts.env, version: opts.version })}`, 50);
      ctx.print(cmd, items, () => table(items, { id: (r: any) => r.id, suite: (r: any) => r.suite, version: (r: any) => r.version, env: (r: any) => r.environment, status: (r: any) => r.status, tests: (r: any) => r.total, failed: (r: any) => r.failed + r.errors, flaky: (r: any) => r.flaky, at: (r: any) => r.finishedAt ?? r.createdAt }));
    });

  const bug = program.command('bug').description('bugs found, per stage');
  bug
    .command('create')
    .description('record a bug')
    .requiredOption('--project <key>', 'project')
    .requiredOption('--title <title>', 'what is wrong')
    .requiredOption('--severity <severity>', 'critical, high, medium or low')
    .requiredOption('--found-in <stage>', 'staging, release-candidate, alpha, beta, push-to-production or production')
    .option('--ticket <key>', 'tracker ticket, e.g. SHOP-12')
    .option('--version <version>', 'the version it was found in')
    .option('--regression', 'it worked before')
    .option('--found-at <time>', 'when (ISO 8601; default now)')
    .action(async (opts: { project: string; title: string; severity: string; foundIn: string; ticket?: string; version?: string; regression?: boolean; foundAt?: string }, cmd: Command) => {
      const body = { project: opts.project, title: opts.title, severity: opts.severity, foundIn: opts.foundIn, foundAt: opts.foundAt ?? new Date().toISOString(), regression: opts.regression ?? false, ...(opts.ticket && { ticket: opts.ticket }), ...(opts.version && { version: opts.version }) };
      const b = await ctx.api().request('POST', '/api/v1/bugs', body);
      ctx.print(cmd, b, () => `Recorded bug ${b.id}${b.ticket ? ` (${b.ticket})` : ''}: ${b.severity} ${b.regression ? 'regression ' : ''}in ${b.foundIn}${b.fixedIn ? `, fixed in ${b.fixedIn}` : ''}.\n`);
    });
  bug
    .command('import <file>')
    .description('import bugs from CSV (header: project,title,ticket,severity,foundIn,version,regression,foundAt); all or nothing')
    .option('--project <key>', 'project for rows without one')
    .action(async (file: string, opts: { project?: string }, cmd: Command) => {
      const r = await ctx.api().send('POST', `/api/v1/bugs/import${q({ project: opts.project })}`, readFile(file), 'text/csv');
      ctx.print(cmd, r, () => `Imported ${r.created} bug${r.created === 1 ? '' : 's'}${r.skipped.length > 0 ? `; skipped ${r.skipped.length} already recorded (${r.skipped.map((s: any) => s.ticket).join(', ')})` : ''}.\n`);
    });
  bug
    .command('list')
    .description('bugs, newest first')
    .option('--project <key>', 'project')
    .option('--stage <stage>', 'where found')
    .action(async (opts: { project?: string; stage?: string }, cmd: Command) => {
      const items = await ctx.api().list(`/api/v1/bugs${q({ project: opts.project, stage: opts.stage })}`, 100);
      ctx.print(cmd, items, () => table(items, { found: (b: any) => b.foundAt.slice(0, 16), project: (b: any) => b.project, ticket: (b: any) => b.ticket, stage: (b: any) => b.foundIn, severity: (b: any) => b.severity, regression: (b: any) => b.regression, version: (b: any) => b.version, 'fixed in': (b: any) => b.fixedIn, title: (b: any) => b.title }));
    });

  program
    .command('calendar')
    .description('the release calendar: release trains, majors, maintenance windows, freezes, deploy windows, releases cut')
    .option('--from <date>', 'start (default: a week ago)')
    .option('--to <date>', 'end (default: in 90 days)')
    .option('--project <key>', 'one project and the organisation')
    .option('--kinds <list>', 'e.g. release,major,maintenance,freeze')
    .option('--ics', 'print the iCalendar feed instead')
    .action(async (opts: { from?: string; to?: string; project?: string; kinds?: string; ics?: boolean }, cmd: Command) => {
      if (opts.ics) {
        ctx.io.out(await ctx.api().text(`/api/v1/calendar.ics${q({ project: opts.project, kinds: opts.kinds })}`));
        return;
      }
      const c = await ctx.api().request('GET', `/api/v1/calendar${q({ from: opts.from, to: opts.to, project: opts.project, kinds: opts.kinds })}`);
      ctx.print(cmd, c, () => (c.events.length === 0 ? details([['from', c.from], ['to', c.to], ['events', 'none']]) : table(c.events, { start: (e: any) => e.start.slice(0, 16).replace('T', ' '), end: (e: any) => e.end.slice(0, 16).replace('T', ' '), kind: (e: any) => e.kind, title: (e: any) => e.title })));
    });
}
