import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { OutboxEvent } from '../outbox/outbox-store.js';
import { toOutboxEvent } from './delivery-store.js';

/** Reads of past outbox events that announcements need: the previous deployment, flag changes since. */
export class EventHistory {
  constructor(private readonly db: Kysely<Database>) {}

  async lastSucceeded(project: string, environment: string, beforeEventId: string): Promise<{ id: string; version: string } | null> {
    const row = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('project_key', '=', project)
      .where('environment_key', '=', environment)
      .where('type', '=', 'deployment.succeeded')
      .where('id', '<', beforeEventId)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row) return null;
    const version = toOutboxEvent(row).payload.version;
    return typeof version === 'string' ? { id: row.id, version } : null;
  }

  async flagChanges(project: string, environment: string, afterEventId: string | null, beforeEventId: string, limit = 100): Promise<OutboxEvent[]> {
    let query = this.db
      .selectFrom('outbox')
      .selectAll()
      .where('project_key', '=', project)
      // Project-wide changes (a flag added, its variants changed) count for every environment.
      .where((eb) => eb.or([eb('environment_key', '=', environment), eb('environment_key', 'is', null)]))
      .where('type', '=', 'flag.changed')
      .where('id', '<', beforeEventId);
    if (afterEventId !== null) query = query.where('id', '>', afterEventId);
    // The most recent changes when there are many, listed oldest first.
    const rows = await query.orderBy('id', 'desc').limit(limit).execute();
    return rows.reverse().map(toOutboxEvent);
  }
}
