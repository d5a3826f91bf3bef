import { STAGES, type Stage } from '../bugs/bug-store.js';
import type { Uow } from '../db/stores.js';
import type { DoraService } from './dora-service.js';
import { groupBy } from './group.js';
import { periodIndex, periodsBetween, type Interval } from './periods.js';

export interface QualityQuery {
  project?: string;
  from: Date;
  to: Date;
  interval: Interval;
  timezone: string;
  /** The environment that is "production" for features shipped and per-release attribution. */
  environment: string;
  /** The sign-off kind that is a QA test (default qa). */
  signoffKind: string;
}

type ByStage = Record<Stage, number>;
const emptyStages = (): ByStage => Object.fromEntries(STAGES.map((s) => [s, 0])) as ByStage;

interface Counts {
  qaTestsPerformed: number;
  qaTestsPushedBack: number;
  stagingFeaturesPushedToProduction: number;
  bugsByStage: ByStage;
  productionRegressions: number;
  otherBugs: number;
  bugs: number;
}

const emptyCounts = (): Counts => ({ qaTestsPerformed: 0, qaTestsPushedBack: 0, stagingFeaturesPushedToProduction: 0, bugsByStage: emptyStages(), productionRegressions: 0, otherBugs: 0, bugs: 0 });

/**
 * The weekly QA and bug statistics of seed 004, in its own terms: QA tests performed and pushed back
 * (QA sign-offs, and the no-go ones), features that reached production, bugs found per stage, regression
 * bugs found on production and the other production bugs; and per release, the bugs found after it shipped.
 */
export class QualityService {
  constructor(
    private readonly uow: Uow,
    private readonly dora: DoraService,
  ) {}

  async quality(q: QualityQuery) {
    const projectId = await this.dora.projectId(q.project);
    await this.dora.requireEnvironment(q.environment);
    const from = q.from.toISOString();
    const to = q.to.toISOString();
    await this.dora.ensureLeadTimes(q.environment, from, to, projectId);
    const store = this.uow.reads.insights;
    const [signoffs, features, bugs] = await Promise.all([
      store.qaSignoffs(from, to, projectId, q.signoffKind),
      store.firstDeployedFeatures(q.environment, from, to, projectId),
      this.uow.reads.bugs.statsRows(from, to, projectId),
    ]);
    const periods = periodsBetween(q.from, q.to, q.interval, q.timezone);
    const buckets = periods.map(emptyCounts);
    const totals = emptyCounts();
    const into = (iso: string, apply: (c: Counts) => void) => {
      const i = periodIndex(periods, Date.parse(iso));
      if (i >= 0) apply(buckets[i]!);
      apply(totals);
    };
    for (const s of signoffs) {
      into(s.createdAt, (c) => {
        c.qaTestsPerformed++;
        if (s.decision === 'no-go') c.qaTestsPushedBack++;
      });
    }
    for (const f of features) into(f.finishedAt, (c) => (c.stagingFeaturesPushedToProduction += f.features));
    for (const b of bugs) {
      into(b.foundAt, (c) => {
        c.bugs++;
        c.bugsByStage[b.foundIn as Stage]++;
        if (b.foundIn === 'production') {
          if (b.regression) c.productionRegressions++;
          else c.otherBugs++;
        }
      });
    }
    const weeks = periods.map((p, i) => ({
      weekStart: p.label,
      startsAt: p.start.toISOString(),
      endsAt: p.end.toISOString(),
      partial: p.start < q.from || p.end > q.to,
      ...buckets[i]!,
    }));
    return {
      project: q.project ?? null,
      environment: q.environment,
      from,
      to,
      interval: q.interval,
      timezone: q.timezone,
      weeks,
      totals,
      releases: await this.perRelease(q.environment, from, to, projectId, bugs),
    };
  }

  /**
   * Per release shipped (first successful deployment to the production environment) up to `to`: the
   * bugs found after that moment. A bug names its version, or — found on production without one —
   * belongs to the version running there when it was found.
   */
  private async perRelease(environment: string, from: string, to: string, projectId: string | undefined, bugs: Awaited<ReturnType<Uow['reads']['bugs']['statsRows']>>) {
    const history = await this.uow.reads.insights.successfulDeploymentsUntil(environment, to, projectId === undefined ? null : [projectId]);
    const shipped = new Map<string, { project: string; version: string; shippedAt: string }>();
    for (const d of history) {
      const key = `${d.projectId}@${d.version}`;
      if (!shipped.has(key)) shipped.set(key, { project: d.projectKey, version: d.version, shippedAt: d.finishedAt });
    }
    const byProject = groupBy(history, (d) => d.projectId);
    // The last deployment that finished at or before `at` (binary search: histories are long).
    const liveAt = (projectId: string, at: string): string | null => {
      const list = byProject.get(projectId) ?? [];
      let lo = 0;
      let hi = list.length - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid]!.finishedAt <= at) {
          found = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      return found < 0 ? null : list[found]!.version;
    };
    const counts = new Map<string, { bugsAfterShip: number; regressionsAfterShip: number; byStage: ByStage }>();
    for (const b of bugs) {
      const version = b.version ?? (b.foundIn === 'production' ? liveAt(b.projectId, b.foundAt) : null);
      if (version === null) continue;
      const key = `${b.projectId}@${version}`;
      const ship = shipped.get(key);
      if (!ship || b.foundAt < ship.shippedAt) continue;
      const c = counts.get(key) ?? { bugsAfterShip: 0, regressionsAfterShip: 0, byStage: emptyStages() };
      c.bugsAfterShip++;
      if (b.regression) c.regressionsAfterShip++;
      c.byStage[b.foundIn as Stage]++;
      counts.set(key, c);
    }
    return [...shipped.entries()]
      .filter(([key, s]) => counts.has(key) || (s.shippedAt >= from && s.shippedAt < to))
      .map(([key, s]) => ({ ...s, ...(counts.get(key) ?? { bugsAfterShip: 0, regressionsAfterShip: 0, byStage: emptyStages() }) }))
      .sort((a, b) => (a.shippedAt < b.shippedAt ? 1 : a.shippedAt > b.shippedAt ? -1 : a.project < b.project ? -1 : 1));
  }
}
