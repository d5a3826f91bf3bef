import { PostgresAdapter, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { OutboxEvent } from './outbox-store.js';
import { toOutboxEvent } from '../notifications/delivery-store.js';

/** The cursor of a durable outbox consumer and the events it handled after the cursor. */
export class OutboxConsumerStore {
  private readonly postgres: boolean;

  constructor(private readonly db: Kysely<Database>) {
    this.postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  }

  /** The consumer's position, locked for this transaction (PostgreSQL); created at `start` the first time. */
  async lock(name: string, start: string, now: string): Promise<string> {
    await this.db.insertInto('outbox_consumers').values({ name, position: start, updated_at: now }).onConflict((oc) => oc.column('name').doNothing()).execute();
    let q = this.db.selectFrom('outbox_consumers').select('position').where('name', '=', name);
    if (this.postgres) q = q.forUpdate();
    return (await q.executeTakeFirstOrThrow()).position;
  }

  async move(name: string, position: string, now: string): Promise<void> {
    await this.db.updateTable('outbox_consumers').set({ position, updated_at: now }).where('name', '=', name).execute();
    await this.db.deleteFrom('outbox_consumed').where('consumer', '=', name).where('event_id', '<=', position).execute();
  }

  async after(position: string, limit: number): Promise<OutboxEvent[]> {
    const rows = await this.db.selectFrom('outbox').selectAll().where('id', '>', position).orderBy('id', 'asc').limit(limit).execute();
    return rows.map(toOutboxEvent);
  }

  async lastId(): Promise<string> {
    const row = await this.db.selectFrom('outbox').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
    return (row?.id as string | null | undefined) ?? '';
  }

  async consumed(name: string, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.selectFrom('outbox_consumed').select('event_id').where('consumer', '=', name).where('event_id', 'in', ids).execute();
    return new Set(rows.map((r) => r.event_id));
  }

  async markConsumed(name: string, id: string): Promise<void> {
    await this.db.insertInto('outbox_consumed').values({ consumer: name, event_id: id }).onConflict((oc) => oc.columns(['consumer', 'event_id']).doNothing()).execute();
  }
}
