import type { Condition } from '@slipway/flag-engine';
import type { Kysely, Selectable } from 'kysely';
import { lockRows, selectForUpdate } from '../db/row-lock.js';
import type { Database, SegmentTable } from '../db/schema.js';

/** A reusable, named set of conditions of one project, referenced by rules with `in_segment`. */
export interface SegmentRecord {
  id: string;
  projectId: string;
  key: string;
  name: string;
  description: string;
  conditions: Condition[];
  createdAt: string;
  updatedAt: string;
  /** Counted up by every write (0011); with the id, the ETag. */
  version: number;
}

function toSegment(row: Selectable<SegmentTable>): SegmentRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    key: row.key,
    name: row.name,
    description: row.description,
    conditions: JSON.parse(row.conditions) as Condition[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

export class SegmentStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Reads the segment and locks its row until the transaction ends (as FlagStore.getForUpdate). */
  async getForUpdate(projectId: string, key: string): Promise<SegmentRecord | null> {
    if (selectForUpdate(this.db)) {
      const row = await this.db.selectFrom('segments').selectAll().where('project_id', '=', projectId).where('key', '=', key).forUpdate().executeTakeFirst();
      return row ? toSegment(row) : null;
    }
    await lockRows(this.db, 'segments', { project_id: projectId, key });
    return this.get(projectId, key);
  }

  async insert(s: Omit<SegmentRecord, 'version'>): Promise<void> {
    await this.db
      .insertInto('segments')
      .values({
        id: s.id,
        project_id: s.projectId,
        key: s.key,
        name: s.name,
        description: s.description,
        conditions: JSON.stringify(s.conditions),
        created_at: s.createdAt,
        updated_at: s.updatedAt,
      })
      .execute();
  }

  async update(s: SegmentRecord): Promise<void> {
    await this.db
      .updateTable('segments')
      .set({ name: s.name, description: s.description, conditions: JSON.stringify(s.conditions), updated_at: s.updatedAt, version: (eb) => eb('version', '+', 1) })
      .where('id', '=', s.id)
      .execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('segments').where('id', '=', id).execute();
  }

  async get(projectId: string, key: string): Promise<SegmentRecord | null> {
    const row = await this.db.selectFrom('segments').selectAll().where('project_id', '=', projectId).where('key', '=', key).executeTakeFirst();
    return row ? toSegment(row) : null;
  }

  async page(projectId: string, afterKey: string | null, limit: number): Promise<SegmentRecord[]> {
    let query = this.db.selectFrom('segments').selectAll().where('project_id', '=', projectId);
    if (afterKey !== null) query = query.where('key', '>', afterKey);
    const rows = await query.orderBy('key', 'asc').limit(limit).execute();
    return rows.map(toSegment);
  }

  async all(projectId: string): Promise<SegmentRecord[]> {
    const rows = await this.db.selectFrom('segments').selectAll().where('project_id', '=', projectId).orderBy('key', 'asc').execute();
    return rows.map(toSegment);
  }
}
