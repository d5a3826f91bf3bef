import type { Stores, Uow } from '../db/stores.js';
import type { Tx } from '../db/unit-of-work.js';
import type { Clock } from '../shared/clock.js';
import type { OutboxEvent } from './outbox-store.js';

export interface OutboxHandler {
  /** Stable name: the cursor is stored under it. */
  readonly name: string;
  /** Event types it wants (a trailing `*` matches a prefix). */
  readonly types: readonly string[];
  /** Where a new consumer starts: every event ever written, or only those written from now on. */
  readonly startAt: 'beginning' | 'end';
  /** Handles one event inside the transaction that marks it handled: effects and mark commit together. */
  handle(tx: Tx<Stores>, event: OutboxEvent): Promise<void>;
}

const wants = (types: readonly string[], type: string) => types.some((t) => (t.endsWith('*') ? type.startsWith(t.slice(0, -1)) : t === type));

/**
 * A durable, exactly-once reader of the outbox for features that react to other features' events
 * without being called by them (a deployment's smoke check becomes a test run; a release links the
 * bugs it fixes). Unlike OutboxBus, which tells this process about its own commits, it survives
 * restarts and sees every replica's events.
 *
 * Outbox ids are time-ordered but commit order is not id order under concurrent transactions: an
 * event with a smaller id can commit after a larger one was read. So the cursor only moves past events
 * older than `settleMs`; younger ones are re-read each round and recognised by a "consumed" mark
 * written in the handler's own transaction. The round holds the cursor row locked (PostgreSQL) so two
 * replicas never handle the same event.
 */
export class OutboxConsumer {
  constructor(
    private readonly uow: Uow,
    private readonly clock: Clock,
    private readonly handler: OutboxHandler,
    private readonly settleMs = 60_000,
    private readonly batch = 200,
  ) {}

  /** One round; returns how many events were handled. */
  async runOnce(): Promise<number> {
    return this.uow.transaction(async (tx) => {
      const store = tx.stores.outboxConsumers;
      const name = this.handler.name;
      const start = this.handler.startAt === 'end' ? await store.lastId() : '';
      const position = await store.lock(name, start, tx.now);
      const horizon = new Date(this.clock.now().getTime() - this.settleMs).toISOString();
      let handled = 0;
      let cursor = position;
      let settled = true;
      let readFrom = position;
      // A few pages per round: a first run over a long history catches up over several short transactions.
      for (let page = 0; page < 5; page++) {
        const events = await store.after(readFrom, this.batch);
        if (events.length === 0) break;
        const done = await store.consumed(name, events.filter((e) => wants(this.handler.types, e.type)).map((e) => e.id));
        for (const e of events) {
          if (wants(this.handler.types, e.type) && !done.has(e.id)) {
            await this.handler.handle(tx, e);
            await store.markConsumed(name, e.id);
            handled++;
          }
          // The cursor advances over a settled prefix only.
          if (settled && e.createdAt < horizon) cursor = e.id;
          else settled = false;
        }
        readFrom = events[events.length - 1]!.id;
        if (events.length < this.batch) break;
      }
      if (cursor !== position) await store.move(name, cursor, tx.now);
      return handled;
    });
  }
}
