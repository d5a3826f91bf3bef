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
  /** Who sent it (a token or SDK key): instances are capped per reporter and environment. */
  reporter?: string;
}

export class HeartbeatStore {
  constructor(private readonly db: Kysely<Database>) {}

  async upsert(h: Heartbeat): Promise<void> {
    await this.db
      .insertInto('heartbeats')
      .values({ project_id: h.projectId, environment_key: h.environment, instance: h.instance, target_key: h.target, version: h.version, seen_at: h.seenAt, reporter: h.reporter ?? '' })
      .onConflict((oc) => oc.columns(['project_id', 'environment_key', 'instance']).doUpdateSet({ target_key: h.target, version: h.version, seen_at: h.seenAt, reporter: h.reporter ?? '' }))
      .execute();
  }

  /**
   * Keeps at most `cap` instances per reporter in an environment (the newest) and forgets every
   * instance not seen since `expireBefore`: one key cannot grow the table without limit.
   */
  async trim(projectId: string, environment: string, reporter: string, cap: number, expireBefore: string): Promise<number> {
    let removed = 0;
    const edge = await this.db
      .selectFrom('heartbeats')
      .select('seen_at')
      .where('project_id', '=', projectId)
      .where('environment_key', '=', environment)
      .where('reporter', '=', reporter)
      .orderBy('seen_at', 'desc')
      .offset(cap)
      .limit(1)
      .executeTakeFirst();
    if (edge) {
      const r = await this.db
        .deleteFrom('heartbeats')
        .where('project_id', '=', projectId)
        .where('environment_key', '=', environment)
        .where('reporter', '=', reporter)
        .where('seen_at', '<=', edge.seen_at)
        .executeTakeFirst();
      removed += Number(r.numDeletedRows);
    }
    const old = await this.db.deleteFrom('heartbeats').where('project_id', '=', projectId).where('environment_key', '=', environment).where('seen_at', '<', expireBefore).executeTakeFirst();
    return removed + Number(old.numDeletedRows);
  }

  /** Instances of one project and environment seen since `since`. */
  async cell(projectId: string, environment: string, since: string): Promise<Heartbeat[]> {
    const rows = await this.db
      .selectFrom('heartbeats')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('environment_key', '=', environment)
      .where('seen_at', '>=', since)
      .orderBy('instance', 'asc')
      .execute();
    return rows.map((r) => ({ projectId: r.project_id, environment: r.environment_key, instance: r.instance, target: r.target_key, version: r.version, seenAt: r.seen_at, reporter: r.reporter }));
  }

  /**
   * Instances seen since `since` (indexed on seen_at; stale ones are never read). Only the columns
   * the matrix needs, unordered and without a join: at 1,200 instances the join and the sort were
   * two thirds of the query (docs/benchmarks.md).
   */
  async seenSince(since: string, projectId?: string): Promise<Heartbeat[]> {
    let query = this.db.selectFrom('heartbeats').select(['project_id', 'environment_key', 'instance', 'target_key', 'version', 'seen_at']).where('seen_at', '>=', since);
    if (projectId !== undefined) query = query.where('project_id', '=', projectId);
    const rows = await query.execute();
    return rows.map((r) => ({ projectId: r.project_id, environment: r.environment_key, instance: r.instance, target: r.target_key, version: r.version, seenAt: r.seen_at }));
  }

  /** Keys of the given projects (for instances reporting where nothing was deployed yet). */
  async projectKeys(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.selectFrom('projects').select(['id', 'key']).where('id', 'in', ids).execute();
    return new Map(rows.map((r) => [r.id, r.key]));
  }
}
