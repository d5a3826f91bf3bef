import type { Kysely } from 'kysely';
import type { RequestContext } from '../auth/actor.js';
import type { AuditStore } from '../audit/audit-store.js';
import type { OutboxBus } from '../outbox/outbox-bus.js';
import type { OutboxEvent, OutboxStore } from '../outbox/outbox-store.js';
import type { Clock } from '../shared/clock.js';
import type { IdGenerator } from '../shared/ids.js';
import type { Database } from './schema.js';

/** The stores every transaction has, whatever the feature. */
export interface CoreStores {
  readonly audit: AuditStore;
  readonly outbox: OutboxStore;
}

/** One mutation, as the audit log and the outbox see it. */
export interface Change {
  action: string;
  resourceType: string;
  resourceId: string;
  before?: unknown;
  after?: unknown;
  /** The domain event; omitted only for changes nobody subscribes to (e.g. token bookkeeping). */
  event?: { type: string; payload: Record<string, unknown>; projectKey?: string | null; environmentKey?: string | null };
}

/** The handle a service gets inside a transaction: stores bound to it, and the way to record changes. */
export interface Tx<S extends CoreStores> {
  readonly stores: S;
  /** Writes the audit record and the outbox event of a change, in this transaction. */
  record(ctx: RequestContext, change: Change): Promise<void>;
  readonly now: string;
}

/**
 * Runs service work in one database transaction, with every store rebuilt on the transaction
 * handle. Outbox events are published to in-process subscribers only after the commit.
 */
export class UnitOfWork<S extends CoreStores> {
  readonly reads: S;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly createStores: (db: Kysely<Database>) => S,
    private readonly bus: OutboxBus,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {
    this.reads = createStores(db);
  }

  async transaction<T>(work: (tx: Tx<S>) => Promise<T>): Promise<T> {
    const committed: OutboxEvent[] = [];
    const result = await this.db.transaction().execute(async (trx) => {
      const stores = this.createStores(trx);
      const now = this.clock.now().toISOString();
      const tx: Tx<S> = {
        stores,
        now,
        record: async (ctx, change) => {
          const at = this.clock.now().toISOString();
          await stores.audit.insert({
            id: this.ids.next(),
            at,
            actor: { id: ctx.actor.userId, name: ctx.actor.username },
            action: change.action,
            resourceType: change.resourceType,
            resourceId: change.resourceId,
            before: change.before ?? null,
            after: change.after ?? null,
            requestId: ctx.requestId,
          });
          if (change.event) {
            const event: OutboxEvent = {
              id: this.ids.next(),
              type: change.event.type,
              payload: { ...change.event.payload, actor: ctx.actor.username, requestId: ctx.requestId },
              projectKey: change.event.projectKey ?? null,
              environmentKey: change.event.environmentKey ?? null,
              createdAt: at,
            };
            await stores.outbox.insert(event);
            committed.push(event);
          }
        },
      };
      return work(tx);
    });
    for (const event of committed) this.bus.publish(event);
    return result;
  }
}
