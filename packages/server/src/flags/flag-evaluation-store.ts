import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export interface FlagEvaluationRecord {
  environment: string;
  flag: string;
  lastEvaluatedAt: string;
  evaluations: number;
}

/** When each flag was last evaluated per environment, as far as this server saw (OFREP). */
export class FlagEvaluationStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Adds counts and moves the last-evaluated time forward (never back: replicas flush at different times). */
  async record(rows: Array<{ project: string; environment: string; flag: string; n: number }>, at: string): Promise<void> {
    for (let i = 0; i < rows.length; i += 200) {
      await this.db
        .insertInto('flag_evaluations')
        .values(rows.slice(i, i + 200).map((r) => ({ project_key: r.project, environment_key: r.environment, flag_key: r.flag, last_evaluated_at: at, evaluations: r.n })))
        .onConflict((oc) =>
          oc.columns(['project_key', 'environment_key', 'flag_key']).doUpdateSet({
            evaluations: sql<number>`flag_evaluations.evaluations + excluded.evaluations`,
            last_evaluated_at: sql<string>`case when flag_evaluations.last_evaluated_at < excluded.last_evaluated_at then excluded.last_evaluated_at else flag_evaluations.last_evaluated_at end`,
          }),
        )
        .execute();
    }
  }

  async forProject(project: string, flags?: string[]): Promise<Array<FlagEvaluationRecord>> {
    let query = this.db.selectFrom('flag_evaluations').selectAll().where('project_key', '=', project);
    if (flags !== undefined) {
      if (flags.length === 0) return [];
      query = query.where('flag_key', 'in', flags);
    }
    const rows = await query.execute();
    return rows.map((r) => ({ environment: r.environment_key, flag: r.flag_key, lastEvaluatedAt: r.last_evaluated_at, evaluations: Number(r.evaluations) }));
  }
}
