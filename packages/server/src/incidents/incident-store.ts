import type { Kysely, Selectable } from 'kysely';
import type { IncidentTable } from '../db/insights-schema.js';
import type { Database } from '../db/schema.js';

/** An incident reported to Slipway (one it could not see in its own deployments). */
export interface IncidentRecord {
  id: string;
  projectId: string | null;
  projectKey: string | null;
  environment: string;
  title: string;
  severity: string | null;
  deploymentId: string | null;
  version: string | null;
  openedAt: string;
  resolvedAt: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

function toRecord(r: Selectable<IncidentTable>): IncidentRecord {
  return {
    id: r.id,
    projectId: r.project_id,
    projectKey: r.project_key,
    environment: r.environment_key,
    title: r.title,
    severity: r.severity,
    deploymentId: r.deployment_id,
    version: r.version,
    openedAt: r.opened_at,
    resolvedAt: r.resolved_at,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class IncidentStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(i: IncidentRecord): Promise<void> {
    await this.db
      .insertInto('incidents')
      .values({
        id: i.id,
        project_id: i.projectId,
        project_key: i.projectKey,
        environment_key: i.environment,
        title: i.title,
        severity: i.severity,
        deployment_id: i.deploymentId,
        version: i.version,
        opened_at: i.openedAt,
        resolved_at: i.resolvedAt,
        created_by: i.createdBy,
        created_at: i.createdAt,
        updated_at: i.updatedAt,
      })
      .execute();
  }

  async get(id: string): Promise<IncidentRecord | null> {
    const row = await this.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  /** Compare-and-set: resolves only an open incident. */
  async resolve(id: string, resolvedAt: string, now: string): Promise<boolean> {
    const r = await this.db.updateTable('incidents').set({ resolved_at: resolvedAt, updated_at: now }).where('id', '=', id).where('resolved_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Incidents of an environment opened in [from, to) (or open at `to` when `openAtEnd`), optionally of one project. */
  async inRange(environment: string, from: string, to: string, projectId?: string): Promise<IncidentRecord[]> {
    let q = this.db.selectFrom('incidents').selectAll().where('environment_key', '=', environment).where('opened_at', '>=', from).where('opened_at', '<', to);
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    return (await q.orderBy('opened_at', 'asc').execute()).map(toRecord);
  }

  /** Incidents linked to deployments (by id) or to versions of projects, for change failure rate. */
  async linked(environment: string, deploymentIds: string[], from: string): Promise<IncidentRecord[]> {
    const out: IncidentRecord[] = [];
    const rows = await this.db
      .selectFrom('incidents')
      .selectAll()
      .where('environment_key', '=', environment)
      .where('opened_at', '>=', from)
      .where((eb) => eb.or([eb('deployment_id', 'is not', null), eb('version', 'is not', null)]))
      .execute();
    const ids = new Set(deploymentIds);
    for (const r of rows) if (r.deployment_id === null || ids.has(r.deployment_id) || r.version !== null) out.push(toRecord(r));
    return out;
  }
}
