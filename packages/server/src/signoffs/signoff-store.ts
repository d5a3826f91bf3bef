import type { Kysely, Selectable } from 'kysely';
import type { Database, SignoffTable } from '../db/schema.js';

export type Decision = 'go' | 'no-go';

/** A go/no-go of one kind on a release, for one environment (or for every one when null). */
export interface Signoff {
  id: string;
  projectId: string;
  version: string;
  environment: string | null;
  kind: string;
  decision: Decision;
  comment: string;
  createdBy: string;
  createdAt: string;
}

function toSignoff(row: Selectable<SignoffTable>): Signoff {
  return {
    id: row.id,
    projectId: row.project_id,
    version: row.version,
    environment: row.environment_key,
    kind: row.kind,
    decision: row.decision as Decision,
    comment: row.comment,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

export class SignoffStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(s: Signoff): Promise<void> {
    await this.db
      .insertInto('signoffs')
      .values({
        id: s.id,
        project_id: s.projectId,
        version: s.version,
        environment_key: s.environment,
        kind: s.kind,
        decision: s.decision,
        comment: s.comment,
        created_by: s.createdBy,
        created_at: s.createdAt,
      })
      .execute();
  }

  /** Every sign-off of a release, oldest first (a release gets a handful). */
  async forRelease(projectId: string, version: string): Promise<Signoff[]> {
    const rows = await this.db.selectFrom('signoffs').selectAll().where('project_id', '=', projectId).where('version', '=', version).orderBy('id', 'asc').execute();
    return rows.map(toSignoff);
  }
}
