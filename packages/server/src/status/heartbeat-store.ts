import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** The last report of one running instance: which version it actually runs. */
export interface Heartbeat {
  projectId: string;
  environment: string;
  instance: string;
  target: string | null;
  version: string;
  seenAt: string;
}

export class HeartbeatStore {
  constructor(private readonly db: Kysely<Database>) {}

  async upsert(h: Heartbeat): Promise<void> {
    await this.db
      .insertInto('heartbeats')
      .values({ project_id: h.projectId, environment_key: h.environment, instance: h.instance, target_key: h.target, version: h.version, seen_at: h.seenAt })
      .onConflict((oc) => oc.columns(['project_id', 'environment_key', 'instance']).doUpdateSet({ target_key: h.target, version: h.version, seen_at: h.seenAt }))
      .execute();
  }

  /** Instances seen since `since` (indexed on seen_at; stale ones are never read), with their project's key. */
  async seenSince(since: string, projectId?: string): Promise<Array<Heartbeat & { projectKey: string }>> {
    let query = this.db
      .selectFrom('heartbeats')
      .innerJoin('projects', 'projects.id', 'heartbeats.project_id')
      .selectAll('heartbeats')
      .select('projects.key as project_key')
      .where('seen_at', '>=', since);
    if (projectId !== undefined) query = query.where('project_id', '=', projectId);
    const rows = await query.orderBy('instance', 'asc').execute();
    return rows.map((r) => ({ projectId: r.project_id, projectKey: r.project_key, environment: r.environment_key, instance: r.instance, target: r.target_key, version: r.version, seenAt: r.seen_at }));
  }
}
