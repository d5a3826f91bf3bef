import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ChangelogEntry } from '../releases/versioning.js';
import { bucketOf } from './buckets.js';
import type { DeploymentChanges, ReleaseNode } from './lead-times.js';

/** A finished deployment as the metrics read it (one row, no targets). */
export interface FinishedDeployment {
  id: string;
  projectId: string;
  projectKey: string;
  version: string;
  kind: 'deploy' | 'rollback';
  status: 'succeeded' | 'failed' | 'rolled_back';
  /** Set when it failed (before a rollback, too); null when it succeeded and was later rolled back. */
  failureReason: string | null;
  finishedAt: string;
  /** `hotfix` when the release deployed is one, else null. */
  releaseKind: string | null;
}

export interface RangeFilter {
  projectId?: string;
  environment: string;
  from: string;
  to: string;
}

const FINISHED = ['succeeded', 'failed', 'rolled_back'] as const;

/**
 * Read-only queries of the insights over deployments, releases, sign-offs and bugs (which other
 * features write), and the derived lead-time table this feature fills.
 */
export class InsightStore {
  constructor(private readonly db: Kysely<Database>) {}

  async finishedDeployments(f: RangeFilter): Promise<FinishedDeployment[]> {
    let q = this.db
      .selectFrom('deployments')
      .select(['id', 'project_id', 'project_key', 'version', 'kind', 'status', 'failure_reason', 'finished_at'])
      .where('environment_key', '=', f.environment)
      .where('finished_at', '>=', f.from)
      .where('finished_at', '<', f.to)
      .where('status', 'in', [...FINISHED]);
    if (f.projectId !== undefined) q = q.where('project_id', '=', f.projectId);
    const rows = await q.orderBy('finished_at', 'asc').orderBy('id', 'asc').execute();
    const hotfixes = await this.hotfixVersions([...new Set(rows.map((r) => r.project_id))]);
    return rows.map((r) => ({
      id: r.id,
      projectId: r.project_id,
      projectKey: r.project_key,
      version: r.version,
      kind: r.kind as FinishedDeployment['kind'],
      status: r.status as FinishedDeployment['status'],
      failureReason: r.failure_reason,
      finishedAt: r.finished_at!,
      releaseKind: hotfixes.has(`${r.project_id}@${r.version}`) ? 'hotfix' : null,
    }));
  }

  /** `projectId@version` of every hotfix release of the projects (a few per cent of releases). */
  async hotfixVersions(projectIds: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < projectIds.length; i += 500) {
      const rows = await this.db.selectFrom('releases').select(['project_id', 'version']).where('project_id', 'in', projectIds.slice(i, i + 500)).where('kind', '=', 'hotfix').execute();
      for (const r of rows) out.add(`${r.project_id}@${r.version}`);
    }
    return out;
  }

  /** Per project: when its first successful deployment after `after` finished (what ends an open incident, or replaces a version). */
  async firstSuccessAfter(projectIds: string[], environment: string, after: string): Promise<Map<string, string>> {
    if (projectIds.length === 0) return new Map();
    const out = new Map<string, string>();
    for (let i = 0; i < projectIds.length; i += 500) {
      const rows = await this.db
        .selectFrom('deployments')
        .select(['project_id', (eb) => eb.fn.min('finished_at').as('at')])
        .where('environment_key', '=', environment)
        .where('project_id', 'in', projectIds.slice(i, i + 500))
        .where('finished_at', '>=', after)
        .where((eb) => eb.or([eb('status', '=', 'succeeded'), eb.and([eb('status', '=', 'rolled_back'), eb('failure_reason', 'is', null)])]))
        .groupBy('project_id')
        .execute();
      for (const r of rows) if (r.at) out.set(r.project_id, r.at as string);
    }
    return out;
  }

  /**
   * Per project, the last deployment that finished in the environment before `before`: an incident was
   * open at `before` when it failed or was rolled back (the next success had not come yet).
   */
  async openBefore(projectIds: string[], environment: string, before: string): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < projectIds.length; i += 500) {
      // Per project, the newest one through the (project, environment, finished_at) index.
      const rows = await this.db
        .selectFrom('projects as p')
        .select([
          'p.id',
          (eb) =>
            eb
              .selectFrom('deployments as d')
              .select('d.status')
              .whereRef('d.project_id', '=', 'p.id')
              .where('d.environment_key', '=', environment)
              .where('d.finished_at', '<', before)
              .where('d.status', 'in', [...FINISHED])
              .orderBy('d.finished_at', 'desc')
              .limit(1)
              .as('status'),
        ])
        .where('p.id', 'in', projectIds.slice(i, i + 500))
        .execute();
      for (const r of rows) if (r.status !== null && r.status !== undefined && r.status !== 'succeeded') out.add(r.id);
    }
    return out;
  }

  /** Hotfix releases of the projects created since `since`. */
  async hotfixesSince(projectIds: string[], since: string): Promise<Array<{ projectId: string; version: string; createdAt: string }>> {
    const out: Array<{ projectId: string; version: string; createdAt: string }> = [];
    for (let i = 0; i < projectIds.length; i += 500) {
      const rows = await this.db
        .selectFrom('releases')
        .select(['project_id', 'version', 'created_at'])
        .where('project_id', 'in', projectIds.slice(i, i + 500))
        .where('kind', '=', 'hotfix')
        .where('created_at', '>=', since)
        .execute();
      for (const r of rows) out.push({ projectId: r.project_id, version: r.version, createdAt: r.created_at });
    }
    return out;
  }

  /** Lead times of the successful deployments that finished in a range (one indexed range read). */
  async leadTimesInRange(environment: string, from: string, to: string, projectId?: string): Promise<Map<string, number[]>> {
    let q = this.db.selectFrom('insight_lead_times').select(['deployment_id', 'lead_seconds']).where('environment_key', '=', environment).where('finished_at', '>=', from).where('finished_at', '<', to).where('commits', '>', 0);
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    const out = new Map<string, number[]>();
    for (const r of await q.execute()) out.set(r.deployment_id, JSON.parse(r.lead_seconds) as number[]);
    return out;
  }

  async saveLeadTimes(projectId: string, environment: string, rows: DeploymentChanges[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 200) {
      const chunk = rows.slice(i, i + 200).map((r) => ({
        deployment_id: r.deploymentId,
        project_id: projectId,
        environment_key: environment,
        version: r.version,
        finished_at: r.finishedAt,
        first_of_version: r.firstOfVersion ? 1 : 0,
        commits: r.commits,
        features: r.features,
        lead_seconds: JSON.stringify(r.leadSeconds),
      }));
      // Two servers computing the same history write the same rows: the first one stays.
      await this.db.insertInto('insight_lead_times').values(chunk).onConflict((oc) => oc.column('deployment_id').doNothing()).execute();
    }
  }

  /** Every successful deployment of a project to an environment up to `until`, in the order they finished. */
  async successfulHistory(projectId: string, environment: string, until: string): Promise<Array<{ id: string; version: string; finishedAt: string }>> {
    const rows = await this.db
      .selectFrom('deployments')
      .select(['id', 'version', 'finished_at'])
      .where('project_id', '=', projectId)
      .where('environment_key', '=', environment)
      .where('finished_at', '<=', until)
      .where((eb) => eb.or([eb('status', '=', 'succeeded'), eb.and([eb('status', '=', 'rolled_back'), eb('failure_reason', 'is', null)])]))
      .orderBy('finished_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
    return rows.map((r) => ({ id: r.id, version: r.version, finishedAt: r.finished_at! }));
  }

  /** The release graph of a project: each release's predecessor and the commits of its changelog. */
  async releaseGraph(projectId: string): Promise<Map<string, ReleaseNode>> {
    const rows = await this.db.selectFrom('releases').select(['version', 'previous_version', 'changelog']).where('project_id', '=', projectId).execute();
    return new Map(
      rows.map((r) => [
        r.version,
        { version: r.version, previous: r.previous_version, commits: (JSON.parse(r.changelog) as ChangelogEntry[]).map((e) => ({ sha: e.sha, time: e.time, type: e.type })) },
      ]),
    );
  }

  /** QA sign-offs in a range, counted per period (bucket: index of the period end it falls before) and decision. */
  async qaCounts(from: string, to: string, ends: string[], projectId?: string, kind = 'qa'): Promise<Array<{ bucket: number; decision: string; n: number }>> {
    const bucket = bucketOf('created_at', ends);
    let q = this.db
      .selectFrom('signoffs')
      .select([bucket.as('bucket'), 'decision', (eb) => eb.fn.countAll().as('n')])
      .where('kind', '=', kind)
      .where('created_at', '>=', from)
      .where('created_at', '<', to);
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    const rows = await q.groupBy([sql`1`, sql`2`]).execute();
    return rows.map((r) => ({ bucket: Number(r.bucket), decision: r.decision, n: Number(r.n) }));
  }

  /** Features (feat commits) first deployed in a range, per period (from the lead-time table). */
  async featureCounts(environment: string, from: string, to: string, ends: string[], projectId?: string): Promise<Array<{ bucket: number; n: number }>> {
    const bucket = bucketOf('finished_at', ends);
    let q = this.db
      .selectFrom('insight_lead_times')
      .select([bucket.as('bucket'), (eb) => eb.fn.sum<number>('features').as('n')])
      .where('environment_key', '=', environment)
      .where('finished_at', '>=', from)
      .where('finished_at', '<', to)
      .where('features', '>', 0);
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    const rows = await q.groupBy(sql`1`).execute();
    return rows.map((r) => ({ bucket: Number(r.bucket), n: Number(r.n) }));
  }

  /** Successful deployments in a range that have no lead-time row yet, per project. */
  async missingLeadTimes(environment: string, from: string, to: string, projectId?: string): Promise<Array<{ projectId: string; until: string }>> {
    let q = this.db
      .selectFrom('deployments as d')
      .leftJoin('insight_lead_times as l', 'l.deployment_id', 'd.id')
      .select(['d.project_id', (eb) => eb.fn.max('d.finished_at').as('until')])
      .where('d.environment_key', '=', environment)
      .where('d.finished_at', '>=', from)
      .where('d.finished_at', '<', to)
      .where((eb) => eb.or([eb('d.status', '=', 'succeeded'), eb.and([eb('d.status', '=', 'rolled_back'), eb('d.failure_reason', 'is', null)])]))
      .where('l.deployment_id', 'is', null);
    if (projectId !== undefined) q = q.where('d.project_id', '=', projectId);
    const rows = await q.groupBy('d.project_id').execute();
    return rows.map((r) => ({ projectId: r.project_id, until: r.until as string }));
  }

  /**
   * Releases that reached the environment (their first success there) within [from, to), newest first,
   * at most `limit`: read from the lead-time table, which marks each version's first success.
   */
  async shippedReleases(environment: string, from: string, to: string, limit: number, projectId?: string): Promise<Array<{ projectId: string; project: string; version: string; shippedAt: string }>> {
    let q = this.db
      .selectFrom('insight_lead_times as l')
      .innerJoin('projects as p', 'p.id', 'l.project_id')
      .select(['l.project_id', 'p.key', 'l.version', 'l.finished_at'])
      .where('l.environment_key', '=', environment)
      .where('l.finished_at', '>=', from)
      .where('l.finished_at', '<', to)
      .where('l.first_of_version', '=', 1);
    if (projectId !== undefined) q = q.where('l.project_id', '=', projectId);
    const rows = await q.orderBy('l.finished_at', 'desc').orderBy('p.key', 'asc').limit(limit).execute();
    return rows.map((r) => ({ projectId: r.project_id, project: r.key, version: r.version, shippedAt: r.finished_at }));
  }

  /** Successful deployments of the projects in the environment finishing in [from, to), and the last one before `from`. */
  async successesAround(environment: string, projectIds: string[], from: string, to: string): Promise<Array<{ projectId: string; version: string; finishedAt: string }>> {
    const out: Array<{ projectId: string; version: string; finishedAt: string }> = [];
    for (let i = 0; i < projectIds.length; i += 500) {
      const ids = projectIds.slice(i, i + 500);
      const inRange = await this.db.selectFrom('insight_lead_times').select(['project_id', 'version', 'finished_at']).where('environment_key', '=', environment).where('project_id', 'in', ids).where('finished_at', '>=', from).where('finished_at', '<', to).execute();
      const before = await this.db
        .selectFrom('projects as p')
        .select([
          'p.id',
          (eb) => eb.selectFrom('insight_lead_times as l').select('l.version').whereRef('l.project_id', '=', 'p.id').where('l.environment_key', '=', environment).where('l.finished_at', '<', from).orderBy('l.finished_at', 'desc').limit(1).as('version'),
          (eb) => eb.selectFrom('insight_lead_times as l').select('l.finished_at').whereRef('l.project_id', '=', 'p.id').where('l.environment_key', '=', environment).where('l.finished_at', '<', from).orderBy('l.finished_at', 'desc').limit(1).as('finished_at'),
        ])
        .where('p.id', 'in', ids)
        .execute();
      for (const r of before) if (r.version && r.finished_at) out.push({ projectId: r.id, version: r.version, finishedAt: r.finished_at });
      for (const r of inRange) out.push({ projectId: r.project_id, version: r.version, finishedAt: r.finished_at });
    }
    return out.sort((a, b) => (a.finishedAt < b.finishedAt ? -1 : a.finishedAt > b.finishedAt ? 1 : 0));
  }

  /** Counts of rows, for the benchmark's sanity line. */
  async count(table: 'deployments' | 'bugs'): Promise<number> {
    const row = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(this.db);
    return Number(row.rows[0]?.n ?? 0);
  }
}
