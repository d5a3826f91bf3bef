import { STAGES, type Stage } from '../bugs/bug-store.js';
import type { Uow } from '../db/stores.js';
import type { DoraService } from './dora-service.js';
import { groupBy } from './group.js';
import { periodsBetween, type Interval } from './periods.js';

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

/** The per-release list shows the newest this many releases shipped in the range. */
export const RELEASE_LIMIT = 100;

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
    await this.dora.ensureLeadTimes(q.environment);
    const periods = periodsBetween(q.from, q.to, q.interval, q.timezone);
    // The database counts per period: the boundaries between periods go into the query.
    const ends = periods.slice(0, -1).map((p) => p.end.toISOString());
    const store = this.uow.reads.insights;
    const [signoffs, features, bugs] = await Promise.all([
      store.qaCounts(from, to, ends, projectId, q.signoffKind),
      store.featureCounts(q.environment, from, to, ends, projectId),
      this.uow.reads.bugs.stageCounts(from, to, ends, projectId),
    ]);
    const buckets = periods.map(emptyCounts);
    const totals = emptyCounts();
    const into = (bucket: number, apply: (c: Counts) => void) => {
      const c = buckets[bucket];
      if (c) apply(c);
      apply(totals);
    };
    for (const s of signoffs) {
      into(s.bucket, (c) => {
        c.qaTestsPerformed += s.n;
        if (s.decision === 'no-go') c.qaTestsPushedBack += s.n;
      });
    }
    for (const f of features) into(f.bucket, (c) => (c.stagingFeaturesPushedToProduction += f.n));
    for (const b of bugs) {
      into(b.bucket, (c) => {
        c.bugs += b.n;
        c.bugsByStage[b.foundIn as Stage] += b.n;
        if (b.foundIn === 'production') {
          if (b.regression) c.productionRegressions += b.n;
          else c.otherBugs += b.n;
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
      releases: await this.perRelease(q.environment, from, to, projectId),
    };
  }

  /**
   * The releases that shipped in the range (first successful deployment to the production environment;
   * newest first, at most RELEASE_LIMIT) and the bugs found after they shipped, up to `to`. A bug names
   * its version, or — found on production without one — belongs to the version running there when it
   * was found.
   */
  private async perRelease(environment: string, from: string, to: string, projectId: string | undefined) {
    const store = this.uow.reads.insights;
    const shipped = await store.shippedReleases(environment, from, to, RELEASE_LIMIT, projectId);
    if (shipped.length === 0) return [];
    const key = (p: string, v: string) => `${p}@${v}`;
    const byKey = new Map(shipped.map((s) => [key(s.projectId, s.version), s]));
    const projectIds = [...new Set(shipped.map((s) => s.projectId))];
    const earliest = shipped.reduce((m, s) => (s.shippedAt < m ? s.shippedAt : m), shipped[0]!.shippedAt);
    const [named, unnamed, successes] = await Promise.all([
      this.uow.reads.bugs.ofVersions(projectIds, [...new Set(shipped.map((s) => s.version))], to),
      this.uow.reads.bugs.productionWithoutVersion(projectIds, earliest, to),
      store.successesAround(environment, projectIds, earliest, to),
    ]);
    const history = groupBy(successes, (d) => d.projectId);
    // The last deployment that finished at or before `at` (binary search over the project's history).
    const liveAt = (project: string, at: string): string | null => {
      const list = history.get(project) ?? [];
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
    const count = (k: string, b: { foundIn: string; regression: boolean; foundAt: string }) => {
      const release = byKey.get(k);
      if (!release || b.foundAt < release.shippedAt) return;
      const c = counts.get(k) ?? { bugsAfterShip: 0, regressionsAfterShip: 0, byStage: emptyStages() };
      c.bugsAfterShip++;
      if (b.regression) c.regressionsAfterShip++;
      c.byStage[b.foundIn as Stage]++;
      counts.set(k, c);
    };
    for (const b of named) count(key(b.projectId, b.version), b);
    for (const b of unnamed) {
      const version = liveAt(b.projectId, b.foundAt);
      if (version !== null) count(key(b.projectId, version), { ...b, foundIn: 'production' });
    }
    return shipped.map((s) => ({ project: s.project, version: s.version, shippedAt: s.shippedAt, ...(counts.get(key(s.projectId, s.version)) ?? { bugsAfterShip: 0, regressionsAfterShip: 0, byStage: emptyStages() }) }));
  }
}
