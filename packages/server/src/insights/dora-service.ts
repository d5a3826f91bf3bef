import semver from 'semver';
import type { Uow } from '../db/stores.js';
import type { IncidentRecord } from '../incidents/incident-store.js';
import type { Clock } from '../shared/clock.js';
import { NotFoundError } from '../shared/errors.js';
import { BAND_THRESHOLDS, bandOf, type Band } from './bands.js';
import { deriveIncidents, type DerivedIncident, type OutcomeEvent } from './derived-incidents.js';
import { groupBy } from './group.js';
import type { FinishedDeployment } from './insight-store.js';
import { changesPerDeployment } from './lead-times.js';
import { periodIndex, periodsBetween, type Interval } from './periods.js';
import { mergeSorted, percentile, ratio, round } from './stats.js';

export interface DoraQuery {
  project?: string;
  environment: string;
  from: Date;
  to: Date;
  interval: Interval;
  timezone: string;
}

/** An incident as the insights show it: one Slipway derived from deployments, or one reported to it. */
export interface IncidentView {
  id: string;
  source: 'deployment' | 'manual';
  project: string | null;
  environment: string;
  title: string;
  severity: string | null;
  openedAt: string;
  resolvedAt: string | null;
  restoreHours: number | null;
  deployments: string[];
  versions: string[];
  resolvedBy: string | null;
}

/** Why a deployment counts as a change failure. */
export type FailureReason = 'failed' | 'rolled_back' | 'hotfix' | 'incident';

interface Metrics {
  deployments: { count: number; perWeek: number | null; perDay: number | null; rollbacks: number };
  leadTime: { medianHours: number | null; p90Hours: number | null; commits: number };
  changeFailureRate: number | null;
  changeFailures: { failures: number; of: number; failed: number; rolledBack: number; hotfixed: number; incidents: number };
  timeToRestore: { medianHours: number | null; incidents: number; unresolved: number };
  reworkRate: number | null;
  rework: { unplanned: number; of: number; hotfixes: number; rollbacks: number };
}

const HOUR_MS = 3_600_000;
/** Transactions commit within this: a deployment that finished earlier is visible when we look. */
const SETTLE_MS = 5 * 60_000;
/** Lists in answers (failed deployments, incidents) show the newest this many; counts cover all. */
export const LIST_LIMIT = 100;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;

const succeeded = (d: Pick<FinishedDeployment, 'status' | 'failureReason'>) => d.status === 'succeeded' || (d.status === 'rolled_back' && d.failureReason === null);
const lineOf = (v: string) => {
  const p = semver.parse(v);
  return p ? `${p.major}.${p.minor}` : null;
};

/**
 * DORA's five software delivery metrics over Slipway's own records (docs/insights.md says exactly how
 * each is computed): deployments, their releases and changelogs, hotfixes, and incidents — derived from
 * failed and rolled-back deployments, plus the ones reported with POST /incidents.
 */
export class DoraService {
  constructor(
    private readonly uow: Uow,
    private readonly clock: Clock,
  ) {}

  async projectId(key: string | undefined): Promise<string | undefined> {
    if (key === undefined) return undefined;
    const p = await this.uow.reads.projects.get(key);
    if (!p) throw new NotFoundError(`Project ${key} does not exist.`, { project: key });
    return p.id;
  }

  async requireEnvironment(key: string): Promise<void> {
    if (!(await this.uow.reads.environments.get(key))) throw new NotFoundError(`Environment ${key} does not exist.`, { environment: key });
  }

  /** Per environment: every successful deployment finished before this instant has its lead-time row. */
  private readonly complete = new Map<string, string>();

  /**
   * Fills the lead-time table for successful deployments that have no row yet: per project, the whole
   * history in the environment is walked once (the commits a deployment brought first depend on
   * everything deployed before it), so deployments made before this feature existed count as well.
   * The first call per environment checks all of history; later ones only what finished since (with a
   * margin for transactions that commit late).
   */
  async ensureLeadTimes(environment: string): Promise<void> {
    const store = this.uow.reads.insights;
    const since = this.complete.get(environment) ?? '';
    const missing = await store.missingLeadTimes(environment, since, '9999-12-31T00:00:00.000Z');
    let latest = since;
    for (const m of missing) {
      const [history, graph] = await Promise.all([store.successfulHistory(m.projectId, environment, m.until), store.releaseGraph(m.projectId)]);
      await store.saveLeadTimes(m.projectId, environment, changesPerDeployment(history, graph));
      if (m.until > latest) latest = m.until;
    }
    const checked = new Date(Math.min(this.clock.now().getTime(), latest === '' ? Infinity : Date.parse(latest)) - SETTLE_MS).toISOString();
    if (checked > since) this.complete.set(environment, checked);
  }

  async dora(q: DoraQuery) {
    const projectId = await this.projectId(q.project);
    await this.requireEnvironment(q.environment);
    const from = q.from.toISOString();
    const to = q.to.toISOString();
    const store = this.uow.reads.insights;
    await this.ensureLeadTimes(q.environment);
    const rows = await store.finishedDeployments({ ...(projectId !== undefined && { projectId }), environment: q.environment, from, to });
    const projectIds = [...new Set(rows.map((r) => r.projectId))];
    const [leadTimes, nextAfterRange, hotfixes, incidents] = await Promise.all([
      store.leadTimesInRange(q.environment, from, to, projectId),
      store.firstSuccessAfter(projectIds, q.environment, to),
      store.hotfixesSince(projectIds, from),
      this.incidentsWithRows(rows, projectId, q.environment, from, to),
    ]);
    const failures = this.changeFailures(rows, nextAfterRange, hotfixes, incidents.manual);
    const periods = periodsBetween(q.from, q.to, q.interval, q.timezone);
    const total = this.metrics(rows, leadTimes, failures, incidents.all, q.from.getTime(), q.to.getTime());
    // Rows and incidents are sorted by time: each period's share is found once, not filtered per period.
    const rowsBy = groupBy(rows, (r) => periodIndex(periods, Date.parse(r.finishedAt)));
    const incidentsBy = groupBy(incidents.all, (i) => periodIndex(periods, Date.parse(i.openedAt)));
    const trend = periods.map((p, i) => {
      const start = Math.max(p.start.getTime(), q.from.getTime());
      const end = Math.min(p.end.getTime(), q.to.getTime());
      const m = this.metrics(rowsBy.get(i) ?? [], leadTimes, failures, incidentsBy.get(i) ?? [], start, end);
      return { start: p.label, startsAt: p.start.toISOString(), endsAt: p.end.toISOString(), partial: start > p.start.getTime() || end < p.end.getTime(), ...flatten(m), bands: bandsOf(m) };
    });
    const failed = rows.filter((r) => failures.has(r.id));
    return {
      project: q.project ?? null,
      environment: q.environment,
      from,
      to,
      interval: q.interval,
      timezone: q.timezone,
      deploymentFrequency: { count: total.deployments.count, perWeek: total.deployments.perWeek, perDay: total.deployments.perDay, rollbacks: total.deployments.rollbacks },
      leadTime: total.leadTime,
      changeFailureRate: total.changeFailureRate,
      changeFailures: { ...total.changeFailures, deployments: failed.slice(-LIST_LIMIT).map((r) => ({ id: r.id, project: r.projectKey, version: r.version, finishedAt: r.finishedAt, reasons: failures.get(r.id)! })) },
      timeToRestore: total.timeToRestore,
      reworkRate: total.reworkRate,
      rework: total.rework,
      bands: bandsOf(total),
      thresholds: BAND_THRESHOLDS,
      trend,
      incidents: incidents.all.slice(-LIST_LIMIT),
    };
  }

  /** Incidents of an environment opened in the range: derived from deployments, and reported ones. */
  async incidents(q: { project?: string; environment: string; from: Date; to: Date }): Promise<IncidentView[]> {
    const projectId = await this.projectId(q.project);
    await this.requireEnvironment(q.environment);
    const from = q.from.toISOString();
    const to = q.to.toISOString();
    const rows = await this.uow.reads.insights.finishedDeployments({ ...(projectId !== undefined && { projectId }), environment: q.environment, from, to });
    return (await this.incidentsWithRows(rows, projectId, q.environment, from, to)).all;
  }

  private async incidentsWithRows(rows: FinishedDeployment[], projectId: string | undefined, environment: string, from: string, to: string): Promise<{ all: IncidentView[]; manual: IncidentRecord[] }> {
    const store = this.uow.reads.insights;
    const byProject = groupBy(rows, (r) => r.projectId);
    const ids = [...byProject.keys()];
    const [openAtFrom, after, manual] = await Promise.all([
      store.openBefore(ids, environment, from),
      store.firstSuccessAfter(ids, environment, to),
      this.uow.reads.incidents.inRange(environment, from, to, projectId),
    ]);
    const now = this.clock.now().toISOString();
    const derived: DerivedIncident[] = [];
    for (const [id, list] of byProject) {
      const openAtStart = openAtFrom.has(id);
      const events: OutcomeEvent[] = list.map((d) => ({ deploymentId: d.id, projectKey: d.projectKey, version: d.version, finishedAt: d.finishedAt, failed: d.status === 'failed' || d.status === 'rolled_back', succeeded: succeeded(d) }));
      const next = after.get(id);
      if (next !== undefined) events.push({ deploymentId: '(after the range)', projectKey: list[0]!.projectKey, version: '', finishedAt: next, failed: false, succeeded: true });
      derived.push(...deriveIncidents(events, openAtStart));
    }
    const hours = (openedAt: string, resolvedAt: string | null) => (resolvedAt === null || resolvedAt > now ? null : (Date.parse(resolvedAt) - Date.parse(openedAt)) / HOUR_MS);
    const env = environment;
    const all: IncidentView[] = [
      ...derived.map((i) => ({
        id: i.id,
        source: 'deployment' as const,
        project: i.projectKey,
        environment: env,
        title: `${i.projectKey} ${i.versions.join(', ')} failed or was rolled back in ${env}`,
        severity: null,
        openedAt: i.openedAt,
        resolvedAt: i.resolvedAt,
        restoreHours: hours(i.openedAt, i.resolvedAt),
        deployments: i.deployments,
        versions: i.versions,
        resolvedBy: i.resolvedBy === '(after the range)' ? null : i.resolvedBy,
      })),
      ...manual.map((m) => ({
        id: m.id,
        source: 'manual' as const,
        project: m.projectKey,
        environment: m.environment,
        title: m.title,
        severity: m.severity,
        openedAt: m.openedAt,
        resolvedAt: m.resolvedAt,
        restoreHours: hours(m.openedAt, m.resolvedAt),
        deployments: m.deploymentId ? [m.deploymentId] : [],
        versions: m.version ? [m.version] : [],
        resolvedBy: null,
      })),
    ].sort((a, b) => (a.openedAt < b.openedAt ? -1 : a.openedAt > b.openedAt ? 1 : a.id < b.id ? -1 : 1));
    return { all, manual };
  }

  /**
   * Per deployment (kind `deploy`) that counts as a change failure, why: it failed; it was rolled back;
   * a later hotfix on its maintenance line was cut while it was the version running there; or an
   * incident reported against it (by deployment, or by version while it ran) exists.
   */
  private changeFailures(rows: FinishedDeployment[], nextAfterRange: Map<string, string>, hotfixes: Array<{ projectId: string; version: string; createdAt: string }>, manual: IncidentRecord[]): Map<string, FailureReason[]> {
    const out = new Map<string, FailureReason[]>();
    // When each successful deployment stopped being the version running there.
    const replacedAt = new Map<string, string | null>();
    const byProject = groupBy(rows.filter(succeeded), (r) => r.projectId);
    for (const [projectId, list] of byProject) list.forEach((d, i) => replacedAt.set(d.id, list[i + 1]?.finishedAt ?? nextAfterRange.get(projectId) ?? null));
    const hotfixesOf = groupBy(hotfixes, (h) => h.projectId);
    for (const d of rows) {
      if (d.kind !== 'deploy') continue;
      const reasons: FailureReason[] = [];
      if (d.status === 'failed' || (d.status === 'rolled_back' && d.failureReason !== null)) reasons.push('failed');
      if (d.status === 'rolled_back') reasons.push('rolled_back');
      const until = replacedAt.get(d.id) ?? null;
      const during = (at: string) => at >= d.finishedAt && (until === null || at < until);
      const line = lineOf(d.version);
      if (succeeded(d) && line !== null && (hotfixesOf.get(d.projectId) ?? []).some((h) => lineOf(h.version) === line && semver.gt(h.version, d.version) && during(h.createdAt))) reasons.push('hotfix');
      if (manual.some((m) => m.deploymentId === d.id || (m.deploymentId === null && m.projectId === d.projectId && m.version === d.version && during(m.openedAt)))) reasons.push('incident');
      if (reasons.length > 0) out.set(d.id, reasons);
    }
    return out;
  }

  private metrics(rows: FinishedDeployment[], leadTimes: Map<string, number[]>, failures: Map<string, FailureReason[]>, incidents: IncidentView[], start: number, end: number): Metrics {
    const ok = rows.filter(succeeded);
    const span = end - start;
    const lead = mergeSorted(ok.map((d) => leadTimes.get(d.id) ?? []));
    const deploys = rows.filter((r) => r.kind === 'deploy');
    const failed = deploys.filter((d) => failures.has(d.id));
    const count = (reason: FailureReason) => failed.filter((d) => failures.get(d.id)!.includes(reason)).length;
    const restored = incidents.filter((i) => i.restoreHours !== null).map((i) => i.restoreHours!).sort((a, b) => a - b);
    const hotfixes = rows.filter((r) => r.releaseKind === 'hotfix' && r.kind === 'deploy').length;
    const rollbacks = rows.filter((r) => r.kind === 'rollback').length;
    const toHours = (s: number | null) => (s === null ? null : round(s / 3600, 4));
    return {
      deployments: { count: ok.length, perWeek: span > 0 ? round(ok.length / (span / WEEK_MS), 4) : null, perDay: span > 0 ? round(ok.length / (span / DAY_MS), 4) : null, rollbacks: ok.filter((d) => d.kind === 'rollback').length },
      leadTime: { medianHours: toHours(percentile(lead, 0.5)), p90Hours: toHours(percentile(lead, 0.9)), commits: lead.length },
      changeFailureRate: round(ratio(failed.length, deploys.length), 4),
      changeFailures: { failures: failed.length, of: deploys.length, failed: count('failed'), rolledBack: count('rolled_back'), hotfixed: count('hotfix'), incidents: count('incident') },
      timeToRestore: { medianHours: round(percentile(restored, 0.5), 4), incidents: incidents.length, unresolved: incidents.length - restored.length },
      reworkRate: round(ratio(hotfixes + rollbacks, rows.length), 4),
      rework: { unplanned: hotfixes + rollbacks, of: rows.length, hotfixes, rollbacks },
    };
  }
}

function bandsOf(m: Metrics): Record<'deploymentFrequency' | 'leadTime' | 'changeFailureRate' | 'timeToRestore' | 'reworkRate', Band | null> {
  return {
    deploymentFrequency: m.deployments.count === 0 ? 'low' : bandOf('deploymentFrequency', m.deployments.perDay),
    leadTime: bandOf('leadTime', m.leadTime.medianHours),
    changeFailureRate: bandOf('changeFailureRate', m.changeFailureRate),
    timeToRestore: bandOf('timeToRestore', m.timeToRestore.medianHours),
    reworkRate: bandOf('reworkRate', m.reworkRate),
  };
}

/** One trend point: every metric's headline number, flat, for charts. */
function flatten(m: Metrics) {
  return {
    deployments: m.deployments.count,
    perWeek: m.deployments.perWeek,
    leadTimeMedianHours: m.leadTime.medianHours,
    leadTimeP90Hours: m.leadTime.p90Hours,
    changeFailureRate: m.changeFailureRate,
    timeToRestoreMedianHours: m.timeToRestore.medianHours,
    incidents: m.timeToRestore.incidents,
    reworkRate: m.reworkRate,
  };
}
