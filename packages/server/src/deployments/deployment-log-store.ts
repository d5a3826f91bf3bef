import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export interface LogLine {
  id: string;
  target: string | null;
  /** stdout, stderr (command executors), or slipway (what the server did). */
  stream: string;
  line: string;
  at: string;
}

export class DeploymentLogStore {
  constructor(private readonly db: Kysely<Database>) {}

  async append(deploymentId: string, lines: LogLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.db
      .insertInto('deployment_logs')
      .values(lines.map((l) => ({ id: l.id, deployment_id: deploymentId, target_key: l.target, stream: l.stream, line: l.line, at: l.at })))
      .execute();
  }

  /** Lines after `afterId`, oldest first. */
  async after(deploymentId: string, afterId: string | null, limit: number): Promise<LogLine[]> {
    let query = this.db.selectFrom('deployment_logs').selectAll().where('deployment_id', '=', deploymentId);
    if (afterId !== null) query = query.where('id', '>', afterId);
    const rows = await query.orderBy('id', 'asc').limit(limit).execute();
    return rows.map((r) => ({ id: r.id, target: r.target_key, stream: r.stream, line: r.line, at: r.at }));
  }

  /** The last `count` lines (of one target when given), oldest first: what a failure message quotes. */
  async tail(deploymentId: string, count: number, target?: string): Promise<LogLine[]> {
    let query = this.db.selectFrom('deployment_logs').selectAll().where('deployment_id', '=', deploymentId);
    if (target !== undefined) query = query.where('target_key', '=', target);
    const rows = await query.orderBy('id', 'desc').limit(count).execute();
    return rows.reverse().map((r) => ({ id: r.id, target: r.target_key, stream: r.stream, line: r.line, at: r.at }));
  }
}
