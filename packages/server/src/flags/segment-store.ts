import type { Condition } from '@slipway/flag-engine';
import type { Kysely, Selectable } from 'kysely';
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
  };
}

export class SegmentStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(s: SegmentRecord): Promise<void> {
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
      .set({ name: s.name, description: s.description, conditions: JSON.stringify(s.conditions), updated_at: s.updatedAt })
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
