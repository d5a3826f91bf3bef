import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** A domain event, written in the same transaction as the change it describes. */
export interface OutboxEvent {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  projectKey: string | null;
  environmentKey: string | null;
  createdAt: string;
}

export class OutboxStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(event: OutboxEvent): Promise<void> {
    await this.db
      .insertInto('outbox')
      .values({
        id: event.id,
        type: event.type,
        payload: JSON.stringify(event.payload),
        project_key: event.projectKey,
        environment_key: event.environmentKey,
        created_at: event.createdAt,
      })
      .execute();
  }

  async listAfter(afterId: string | null, limit: number): Promise<OutboxEvent[]> {
    let query = this.db.selectFrom('outbox').selectAll();
    if (afterId !== null) query = query.where('id', '>', afterId);
    const rows = await query.orderBy('id', 'asc').limit(limit).execute();
    return rows.map((row) => ({
      id: row.id,
      type: row.type,
      payload: JSON.parse(row.payload) as Record<string, unknown>,
      projectKey: row.project_key,
      environmentKey: row.environment_key,
      createdAt: row.created_at,
    }));
  }
}
