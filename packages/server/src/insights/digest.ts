import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import type { Uow } from '../db/stores.js';
import { DAYS, isKnownTimeZone, type Day } from '../environments/deployment-settings.js';
import { formatDuration } from '../notifications/announcement.js';
import type { Clock } from '../shared/clock.js';
import { NotFoundError, ValidationError } from '../shared/errors.js';
import { lastFire } from '../testruns/cron.js';
import type { DoraService } from './dora-service.js';
import { periodOf } from './periods.js';
import type { QualityService } from './quality-service.js';

/** When and for what the weekly digest goes out. */
export interface DigestSettings {
  enabled: boolean;
  /** Monday 09:00 in this zone by default. */
  timezone: string;
  day: Day;
  time: string;
  /** The environment that is production for the numbers. */
  environment: string;
  /** Only these projects (null: all). */
  projects: string[] | null;
}

export const DEFAULT_DIGEST: DigestSettings = { enabled: true, timezone: 'UTC', day: 'mon', time: '09:00', environment: 'production', projects: null };
const KEY = 'digest';
const CATCH_UP_MS = 24 * 3_600_000;
const STAGE_LABELS: Record<string, string> = { staging: 'staging', 'release-candidate': 'release candidate', alpha: 'alpha', beta: 'beta', 'push-to-production': 'push to production', production: 'production' };

/**
 * "Lichty Lines" (seed 004): a simple weekly summary of outcomes and testing, sent every Monday 09:00
 * in the configured time zone to every channel subscribed to `insights.weekly_digest` — e-mail (HTML
 * and text) and chat render it like any announcement. Each week is sent once (a job marker), whichever
 * server is up at that time or first after it (within a day).
 */
export class WeeklyDigest {
  constructor(
    private readonly uow: Uow,
    private readonly clock: Clock,
    private readonly dora: DoraService,
    private readonly quality: QualityService,
  ) {}

  async settings(): Promise<DigestSettings> {
    return { ...DEFAULT_DIGEST, ...((await this.uow.reads.insightSettings.get<DigestSettings>(KEY))?.value ?? {}) };
  }

  async configure(ctx: RequestContext, input: Partial<DigestSettings>): Promise<DigestSettings> {
    authorize(ctx.actor, { role: 'release-manager', action: 'Configuring the weekly digest' });
    const before = await this.settings();
    const next = { ...before, ...input };
    if (!isKnownTimeZone(next.timezone)) throw new ValidationError(`Unknown time zone ${JSON.stringify(next.timezone)}: use an IANA name such as Europe/Paris.`, { field: 'timezone' });
    if (!DAYS.includes(next.day)) throw new ValidationError(`day must be one of ${DAYS.join(', ')}.`, { field: 'day' });
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(next.time)) throw new ValidationError('time must be HH:MM.', { field: 'time' });
    if (!(await this.uow.reads.environments.get(next.environment))) throw new NotFoundError(`Environment ${next.environment} does not exist.`, { field: 'environment' });
    for (const p of next.projects ?? []) if (!(await this.uow.reads.projects.get(p))) throw new NotFoundError(`Project ${p} does not exist.`, { field: 'projects', project: p });
    await this.uow.transaction(async (tx) => {
      await tx.stores.insightSettings.put(KEY, next, ctx.actor.username, tx.now);
      await tx.record(ctx, { action: 'insights.digest_configured', resourceType: 'settings', resourceId: KEY, before, after: next });
    });
    return next;
  }

  private cron(s: DigestSettings): string {
    return `${Number(s.time.slice(3, 5))} ${Number(s.time.slice(0, 2))} * * ${(DAYS.indexOf(s.day) + 1) % 7}`;
  }

  /** The digest of the week that ended before `at` (in the digest's zone): title, summary, facts, sections. */
  async build(at: Date, s?: DigestSettings) {
    const settings = s ?? (await this.settings());
    const week = periodOf(new Date(at.getTime() - 7 * 86_400_000), 'week', settings.timezone);
    const projects = settings.projects ?? [null];
    const sums = { performed: 0, pushedBack: 0, features: 0, regressions: 0, other: 0, bugs: 0, deployments: 0, failures: 0, deploys: 0, restores: [] as number[], byStage: {} as Record<string, number> };
    let leadMedian: number | null = null;
    const perProject: Array<{ project: string | null; qa: number; pushedBack: number; bugs: number; regressions: number; deployments: number }> = [];
    for (const project of projects) {
      const scope = project === null ? {} : { project };
      const q = await this.quality.quality({ ...scope, from: week.start, to: week.end, interval: 'week', timezone: settings.timezone, environment: settings.environment, signoffKind: 'qa' });
      const d = await this.dora.dora({ ...scope, environment: settings.environment, from: week.start, to: week.end, interval: 'week', timezone: settings.timezone });
      sums.performed += q.totals.qaTestsPerformed;
      sums.pushedBack += q.totals.qaTestsPushedBack;
      sums.features += q.totals.stagingFeaturesPushedToProduction;
      sums.regressions += q.totals.productionRegressions;
      sums.other += q.totals.otherBugs;
      sums.bugs += q.totals.bugs;
      for (const [stage, n] of Object.entries(q.totals.bugsByStage)) sums.byStage[stage] = (sums.byStage[stage] ?? 0) + n;
      sums.deployments += d.deploymentFrequency.count;
      sums.failures += d.changeFailures.failures;
      sums.deploys += d.changeFailures.of;
      sums.restores.push(...d.incidents.filter((i) => i.restoreHours !== null).map((i) => i.restoreHours!));
      if (projects.length === 1) leadMedian = d.leadTime.medianHours;
      perProject.push({ project, qa: q.totals.qaTestsPerformed, pushedBack: q.totals.qaTestsPushedBack, bugs: q.totals.bugs, regressions: q.totals.productionRegressions, deployments: d.deploymentFrequency.count });
    }
    const ids = settings.projects === null ? undefined : (await Promise.all(settings.projects.map((p) => this.uow.reads.projects.get(p)))).filter((p) => p !== null).map((p) => p!.id);
    const runs = await this.uow.reads.testRuns.summary(week.start.toISOString(), week.end.toISOString(), ids);
    const cfr = sums.deploys === 0 ? null : sums.failures / sums.deploys;
    const restores = sums.restores.sort((a, b) => a - b);
    const title = `Lichty Lines — week of ${week.label}${settings.projects ? ` (${settings.projects.join(', ')})` : ''}`;
    const summary = `${sums.performed} QA test${sums.performed === 1 ? '' : 's'} performed, ${sums.pushedBack} pushed back; ${sums.features} feature${sums.features === 1 ? '' : 's'} reached production; ${sums.bugs} bug${sums.bugs === 1 ? '' : 's'} found, ${sums.regressions} of them regression${sums.regressions === 1 ? '' : 's'} on production.`;
    const stages = Object.entries(STAGE_LABELS).map(([k, label]) => `${label} ${sums.byStage[k] ?? 0}`).join(', ');
    const facts = [
      { label: 'QA tests performed', value: String(sums.performed) },
      { label: 'QA tests pushed back', value: String(sums.pushedBack) },
      { label: 'Staging features pushed to production', value: String(sums.features) },
      { label: 'Bugs found by stage', value: stages },
      { label: 'Regression bugs found on production', value: String(sums.regressions) },
      { label: 'Other bugs found on production', value: String(sums.other) },
      { label: `Deployments to ${settings.environment}`, value: `${sums.deployments}${cfr === null ? '' : `, change failure rate ${Math.round(cfr * 100)} %`}${leadMedian === null ? '' : `, median lead time ${formatDuration(leadMedian * 3_600_000)}`}` },
      { label: 'Time to restore (median)', value: restores.length === 0 ? 'no incidents' : formatDuration((restores[Math.floor((restores.length - 1) / 2)]! + restores[Math.ceil((restores.length - 1) / 2)]!) / 2 * 3_600_000) },
      { label: 'Test runs', value: `${runs.runs} run${runs.runs === 1 ? '' : 's'}, ${runs.failed} failed, ${runs.flaky} flaky test${runs.flaky === 1 ? '' : 's'}` },
    ];
    return { week: { start: week.label, startsAt: week.start.toISOString(), endsAt: week.end.toISOString() }, title, summary, facts, projects: perProject };
  }

  /** Sends the digest when its weekly time has come and it was not sent for that time yet. */
  async sendDue(ctx: RequestContext): Promise<boolean> {
    const s = await this.settings();
    if (!s.enabled) return false;
    const now = this.clock.now();
    const due = lastFire(this.cron(s), s.timezone, now, 8 * 86_400_000);
    if (due === null || now.getTime() - due.getTime() > CATCH_UP_MS) return false;
    // Built before the claim (reads only); the claim and the event then commit together.
    const digest = await this.build(due, s);
    return this.uow.transaction(async (tx) => {
      if (!(await tx.stores.jobs.claim('weekly-digest', due.toISOString(), tx.now))) return false;
      await tx.record(ctx, {
        action: 'insights.weekly_digest',
        resourceType: 'digest',
        resourceId: digest.week.start,
        after: { week: digest.week, due: due.toISOString() },
        event: { type: 'insights.weekly_digest', payload: { ...digest, message: { title: digest.title, summary: digest.summary, tone: 'info', facts: digest.facts } } },
      });
      return true;
    });
  }
}
