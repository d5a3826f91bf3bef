import { PostgresAdapter, type Kysely, type Selectable } from 'kysely';
import type { Database, NotificationDeliveryTable, OutboxTable } from '../db/schema.js';
import type { OutboxEvent } from '../outbox/outbox-store.js';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One event going to one channel; its id is the idempotency key receivers see. */
export interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  projectKey: string | null;
  environmentKey: string | null;
  channelId: string;
  channelName: string;
  channelType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  giveUpAt: string;
  lastError: string | null;
  lastStatusCode: number | null;
  deliveredAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Attempt {
  id: string;
  deliveryId: string;
  attempt: number;
  startedAt: string;
  durationMs: number;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

/** A delivery held by one worker until `leaseUntil`; `leaseToken` proves it when the outcome is written. */
export interface ClaimedDelivery extends Delivery {
  leaseToken: string;
}

/** What a finished attempt changes on its delivery. */
export interface AttemptOutcome {
  attempt: Attempt;
  status: DeliveryStatus;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}

function toDelivery(row: Selectable<NotificationDeliveryTable>): Delivery {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    projectKey: row.project_key,
    environmentKey: row.environment_key,
    channelId: row.channel_id,
    channelName: row.channel_name,
    channelType: row.channel_type,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    giveUpAt: row.give_up_at,
    lastError: row.last_error,
    lastStatusCode: row.last_status_code,
    deliveredAt: row.delivered_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toOutboxEvent(row: Selectable<OutboxTable>): OutboxEvent {
  return {
    id: row.id,
    type: row.type,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    projectKey: row.project_key,
    environmentKey: row.environment_key,
    createdAt: row.created_at,
  };
}

const INSERT_CHUNK = 200;

/**
 * Deliveries and their attempts, and the claims the dispatcher makes on undispatched outbox events and
 * due deliveries. Claims are compare-and-set UPDATEs (… RETURNING) on both dialects; on PostgreSQL the
 * candidate rows are also locked with SKIP LOCKED so concurrent replicas never wait on each other.
 */
export class DeliveryStore {
  private readonly postgres: boolean;

  constructor(private readonly db: Kysely<Database>) {
    this.postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  }

  /** Marks up to `limit` undispatched events as dispatched and returns them; call inside the transaction that inserts their deliveries. */
  async claimUndispatched(now: string, limit: number): Promise<OutboxEvent[]> {
    let candidates = this.db.selectFrom('outbox').select('id').where('dispatched_at', 'is', null).orderBy('id', 'asc').limit(limit);
    if (this.postgres) candidates = candidates.forUpdate().skipLocked();
    const rows = await this.db
      .updateTable('outbox')
      .set({ dispatched_at: now })
      .where('id', 'in', candidates)
      // Re-checked on the row itself: a concurrent claimer that got there first makes this a no-op.
      .where('dispatched_at', 'is', null)
      .returningAll()
      .execute();
    return rows.map(toOutboxEvent).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async insertMany(deliveries: Delivery[]): Promise<void> {
    for (let i = 0; i < deliveries.length; i += INSERT_CHUNK) {
      const chunk = deliveries.slice(i, i + INSERT_CHUNK).map((d) => ({
        id: d.id,
        event_id: d.eventId,
        event_type: d.eventType,
        project_key: d.projectKey,
        environment_key: d.environmentKey,
        channel_id: d.channelId,
        channel_name: d.channelName,
        channel_type: d.channelType,
        status: d.status,
        attempts: d.attempts,
        next_attempt_at: d.nextAttemptAt,
        give_up_at: d.giveUpAt,
        last_error: d.lastError,
        last_status_code: d.lastStatusCode,
        delivered_at: d.deliveredAt,
        created_at: d.createdAt,
        updated_at: d.updatedAt,
      }));
      // One delivery per (event, channel), even if an event were ever fanned out twice.
      await this.db.insertInto('notification_deliveries').values(chunk).onConflict((oc) => oc.columns(['event_id', 'channel_id']).doNothing()).execute();
    }
  }

  /** Leases up to `limit` pending deliveries that are due and not leased by a live worker. */
  async claimDue(now: string, leaseUntil: string, leaseToken: string, limit: number): Promise<ClaimedDelivery[]> {
    let candidates = this.db
      .selectFrom('notification_deliveries')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('next_attempt_at', 'asc')
      .orderBy('id', 'asc')
      .limit(limit);
    if (this.postgres) candidates = candidates.forUpdate().skipLocked();
    const rows = await this.db
      .updateTable('notification_deliveries')
      .set({ lease_token: leaseToken, lease_until: leaseUntil })
      .where('id', 'in', candidates)
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .returningAll()
      .execute();
    return rows.map((row) => ({ ...toDelivery(row), leaseToken })).sort((a, b) => (a.nextAttemptAt! < b.nextAttemptAt! || (a.nextAttemptAt === b.nextAttemptAt && a.id < b.id) ? -1 : 1));
  }

  /** The earliest time a pending delivery becomes due, to know how long the dispatcher may sleep. */
  async nextDueAt(): Promise<string | null> {
    const row = await this.db.selectFrom('notification_deliveries').select((eb) => eb.fn.min('next_attempt_at').as('at')).where('status', '=', 'pending').executeTakeFirst();
    return (row?.at as string | null | undefined) ?? null;
  }

  /**
   * Records an attempt and, if this worker still holds the lease, its outcome. Returns false when the
   * lease was lost (another worker took the delivery over): the attempt is kept as history either way.
   */
  async finishAttempt(delivery: ClaimedDelivery, outcome: AttemptOutcome, now: string): Promise<boolean> {
    const a = outcome.attempt;
    await this.db
      .insertInto('notification_attempts')
      .values({ id: a.id, delivery_id: a.deliveryId, attempt: a.attempt, started_at: a.startedAt, duration_ms: a.durationMs, ok: a.ok ? 1 : 0, status_code: a.statusCode, error: a.error })
      .execute();
    const result = await this.db
      .updateTable('notification_deliveries')
      .set({
        status: outcome.status,
        attempts: a.attempt,
        next_attempt_at: outcome.nextAttemptAt,
        last_error: a.error,
        last_status_code: a.statusCode,
        delivered_at: outcome.deliveredAt,
        lease_token: null,
        lease_until: null,
        updated_at: now,
      })
      .where('id', '=', delivery.id)
      .where('lease_token', '=', delivery.leaseToken)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async get(id: string): Promise<Delivery | null> {
    const row = await this.db.selectFrom('notification_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toDelivery(row) : null;
  }

  async attempts(deliveryId: string): Promise<Attempt[]> {
    const rows = await this.db.selectFrom('notification_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('attempt', 'asc').orderBy('id', 'asc').execute();
    return rows.map((r) => ({ id: r.id, deliveryId: r.delivery_id, attempt: r.attempt, startedAt: r.started_at, durationMs: r.duration_ms, ok: r.ok === 1, statusCode: r.status_code, error: r.error }));
  }

  /** Newest first; `beforeId` is the keyset cursor. */
  async page(filter: { status?: DeliveryStatus; channelId?: string; eventId?: string; beforeId: string | null; limit: number }): Promise<Delivery[]> {
    let query = this.db.selectFrom('notification_deliveries').selectAll();
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.channelId !== undefined) query = query.where('channel_id', '=', filter.channelId);
    if (filter.eventId !== undefined) query = query.where('event_id', '=', filter.eventId);
    if (filter.beforeId !== null) query = query.where('id', '<', filter.beforeId);
    const rows = await query.orderBy('id', 'desc').limit(filter.limit).execute();
    return rows.map(toDelivery);
  }

  /** Puts a delivery back in the queue, due now, with a fresh give-up deadline. */
  /** Queues the delivery again unless it was delivered meanwhile (false then). */
  async requeue(id: string, now: string, giveUpAt: string): Promise<boolean> {
    const result = await this.db
      .updateTable('notification_deliveries')
      .set({ status: 'pending', next_attempt_at: now, give_up_at: giveUpAt, lease_token: null, lease_until: null, updated_at: now })
      .where('id', '=', id)
      .where('status', '!=', 'delivered')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** A deleted channel's queue: its pending deliveries fail with a reason; delivered ones stay as history. */
  async failPendingOfChannel(channelId: string, reason: string, now: string): Promise<void> {
    await this.db
      .updateTable('notification_deliveries')
      .set({ status: 'failed', next_attempt_at: null, last_error: reason, lease_token: null, lease_until: null, updated_at: now })
      .where('channel_id', '=', channelId)
      .where('status', '=', 'pending')
      .execute();
  }

  async events(ids: string[]): Promise<Map<string, OutboxEvent>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.selectFrom('outbox').selectAll().where('id', 'in', ids).execute();
    return new Map(rows.map((r) => [r.id, toOutboxEvent(r)]));
  }
}
