import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** A named JSON body of a project: an analysis template or a rollout plan. */
export interface NamedBody<T> {
  id: string;
  projectId: string;
  name: string;
  body: T;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** Analysis templates (`analysis_templates`) or rollout plans (`rollout_plans`) of projects. */
export class NamedBodyStore<T> {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly table: 'analysis_templates' | 'rollout_plans',
  ) {}

  async insert(item: NamedBody<T>): Promise<void> {
    await this.db
      .insertInto(this.table)
      .values({ id: item.id, project_id: item.projectId, name: item.name, body: JSON.stringify(item.body), created_by: item.createdBy, created_at: item.createdAt, updated_at: item.updatedAt })
      .execute();
  }

  async replace(item: NamedBody<T>): Promise<void> {
    await this.db.updateTable(this.table).set({ body: JSON.stringify(item.body), updated_at: item.updatedAt }).where('id', '=', item.id).execute();
  }

  async get(projectId: string, name: string): Promise<NamedBody<T> | null> {
    const row = await this.db.selectFrom(this.table).selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
    return row ? { id: row.id, projectId: row.project_id, name: row.name, body: JSON.parse(row.body) as T, createdBy: row.created_by, createdAt: row.created_at, updatedAt: row.updated_at } : null;
  }

  async all(projectId: string): Promise<Array<NamedBody<T>>> {
    const rows = await this.db.selectFrom(this.table).selectAll().where('project_id', '=', projectId).orderBy('name', 'asc').limit(1000).execute();
    return rows.map((row) => ({ id: row.id, projectId: row.project_id, name: row.name, body: JSON.parse(row.body) as T, createdBy: row.created_by, createdAt: row.created_at, updatedAt: row.updated_at }));
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom(this.table).where('id', '=', id).execute();
  }
}
