import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ChangelogEntry } from '../releases/versioning.js';
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
  rollbackOf: string | null;
  finishedAt: string;
  /** The kind of the release deployed (`hotfix`, …), null when the release is unknown. */
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
      .selectFrom('deployments as d')
      .leftJoin('releases as r', (j) => j.onRef('r.project_id', '=', 'd.project_id').onRef('r.version', '=', 'd.version'))
      .select(['d.id', 'd.project_id', 'd.project_key', 'd.version', 'd.kind', 'd.status', 'd.failure_reason', 'd.rollback_of', 'd.finished_at', 'r.kind as release_kind'])
      .where('d.environment_key', '=', f.environment)
      .where('d.finished_at', '>=', f.from)
      .where('d.finished_at', '<', f.to)
      .where('d.status', 'in', [...FINISHED]);
    if (f.projectId !== undefined) q = q.where('d.project_id', '=', f.projectId);
    const rows = await q.orderBy('d.finished_at', 'asc').orderBy('d.id', 'asc').execute();
    return rows.map((r) => ({
      id: r.id,
      projectId: r.project_id,
      projectKey: r.project_key,
      version: r.version,
      kind: r.kind as FinishedDeployment['kind'],
      status: r.status as FinishedDeployment['status'],
      failureReason: r.failure_reason,
      rollbackOf: r.rollback_of,
      finishedAt: r.finished_at!,
      releaseKind: r.release_kind,
    }));
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

  /** Per project, before `before`: when it last failed and last succeeded there (to know whether an incident was open). */
  async lastOutcomesBefore(projectIds: string[], environment: string, before: string): Promise<Map<string, { failedAt: string | null; succeededAt: string | null }>> {
    const out = new Map<string, { failedAt: string | null; succeededAt: string | null }>();
    for (let i = 0; i < projectIds.length; i += 500) {
      const rows = await this.db
        .selectFrom('deployments')
        .select([
          'project_id',
          (eb) => eb.fn.max(eb.case().when(eb.or([eb('status', '=', 'failed'), eb('status', '=', 'rolled_back')])).then(eb.ref('finished_at')).end()).as('failed_at'),
          (eb) => eb.fn.max(eb.case().when(eb.or([eb('status', '=', 'succeeded'), eb.and([eb('status', '=', 'rolled_back'), eb('failure_reason', 'is', null)])])).then(eb.ref('finished_at')).end()).as('succeeded_at'),
        ])
        .where('environment_key', '=', environment)
        .where('project_id', 'in', projectIds.slice(i, i + 500))
        .where('finished_at', '<', before)
        .where('status', 'in', [...FINISHED])
        .groupBy('project_id')
        .execute();
      for (const r of rows) out.set(r.project_id, { failedAt: (r.failed_at as string | null) ?? null, succeededAt: (r.succeeded_at as string | null) ?? null });
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

  /** Cached lead times of these deployments. */
  async leadTimes(ids: string[]): Promise<Map<string, DeploymentChanges>> {
    const out = new Map<string, DeploymentChanges>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db.selectFrom('insight_lead_times').selectAll().where('deployment_id', 'in', ids.slice(i, i + 500)).execute();
      for (const r of rows) out.set(r.deployment_id, { deploymentId: r.deployment_id, finishedAt: r.finished_at, commits: r.commits, features: r.features, leadSeconds: JSON.parse(r.lead_seconds) as number[] });
    }
    return out;
  }

  async saveLeadTimes(projectId: string, environment: string, rows: DeploymentChanges[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 200) {
      const chunk = rows.slice(i, i + 200).map((r) => ({
        deployment_id: r.deploymentId,
        project_id: projectId,
        environment_key: environment,
        finished_at: r.finishedAt,
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

  /** QA sign-offs in a range: when, and the decision. */
  async qaSignoffs(from: string, to: string, projectId?: string, kind = 'qa'): Promise<Array<{ createdAt: string; decision: string }>> {
    let q = this.db.selectFrom('signoffs').select(['created_at', 'decision']).where('kind', '=', kind).where('created_at', '>=', from).where('created_at', '<', to);
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    const rows = await q.execute();
    return rows.map((r) => ({ createdAt: r.created_at, decision: r.decision }));
  }

  /** Features (feat commits) first deployed, per successful deployment in the range (from the lead-time table). */
  async firstDeployedFeatures(environment: string, from: string, to: string, projectId?: string): Promise<Array<{ finishedAt: string; features: number }>> {
    let q = this.db.selectFrom('insight_lead_times').select(['finished_at', 'features']).where('environment_key', '=', environment).where('finished_at', '>=', from).where('finished_at', '<', to).where('features', '>', 0);
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    const rows = await q.execute();
    return rows.map((r) => ({ finishedAt: r.finished_at, features: r.features }));
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

  /** The version running in an environment at each given instant, per project (for bugs without a version). */
  async successfulDeploymentsUntil(environment: string, until: string, projectIds: string[] | null): Promise<Array<{ projectId: string; projectKey: string; version: string; finishedAt: string }>> {
    const out: Array<{ projectId: string; projectKey: string; version: string; finishedAt: string }> = [];
    const all = projectIds === null;
    const ids = projectIds ?? [''];
    for (let i = 0; i < ids.length; i += 500) {
      let q = this.db
        .selectFrom('deployments')
        .select(['project_id', 'project_key', 'version', 'finished_at'])
        .where('environment_key', '=', environment)
        .where('finished_at', '<', until)
        .where((eb) => eb.or([eb('status', '=', 'succeeded'), eb.and([eb('status', '=', 'rolled_back'), eb('failure_reason', 'is', null)])]));
      if (!all) q = q.where('project_id', 'in', ids.slice(i, i + 500));
      const rows = await q.orderBy('finished_at', 'asc').execute();
      for (const r of rows) out.push({ projectId: r.project_id, projectKey: r.project_key, version: r.version, finishedAt: r.finished_at! });
    }
    return out;
  }

  /** Counts of rows, for the benchmark's sanity line. */
  async count(table: 'deployments' | 'bugs'): Promise<number> {
    const row = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(this.db);
    return Number(row.rows[0]?.n ?? 0);
  }
}
