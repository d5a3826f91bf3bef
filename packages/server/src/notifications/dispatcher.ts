import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { OutboxBus } from '../outbox/outbox-bus.js';
import type { OutboxEvent } from '../outbox/outbox-store.js';
import type { Clock } from '../shared/clock.js';
import type { IdGenerator } from '../shared/ids.js';
import type { Announcement } from './announcement.js';
import type { Channel } from './channel-types.js';
import { DeliveryStore, type AttemptOutcome, type ClaimedDelivery, type Delivery } from './delivery-store.js';
import { applies, render } from './renderers/index.js';
import { backoffMs, type RetryPolicy } from './retry-policy.js';
import type { SendResult, Sender } from './sender.js';
import { subscribes } from './subscriptions.js';

/** Runs at most `max` of the given tasks at once, in the order they were given. */
function limiter(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: Array<() => void> = [];
  const next = () => {
    if (active >= max) return;
    const run = queue.shift();
    if (run) {
      active++;
      run();
    }
  };
  return (task) =>
    new Promise((resolve, reject) => {
      queue.push(() => {
        task()
          .then(resolve, reject)
          .finally(() => {
            active--;
            next();
          });
      });
      next();
    });
}

export interface DispatcherOptions {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdGenerator;
  /** Every channel with its secrets opened (read through `db` when given); channels whose secrets cannot be opened carry `unusable`. */
  channels(db?: Kysely<Database>): Promise<Array<Channel & { unusable?: string }>>;
  announce(event: OutboxEvent): Promise<Announcement>;
  sender: Sender;
  retry: RetryPolicy;
  /** How long a worker holds a claimed delivery; after a crash another worker takes it over after this. */
  leaseMs: number;
  /** How often to look for work when nothing wakes the dispatcher (other replicas' events, due retries). */
  pollMs: number;
  batchSize?: number;
  /** Deliveries sent at once (to different channels; one channel's deliveries go in order). */
  concurrency?: number;
  onError?(error: unknown, context: string): void;
}

export interface RoundResult {
  fannedOut: number;
  attempted: number;
}

/**
 * Delivers the outbox. Each round (1) claims undispatched events and, in the same transaction, creates
 * one delivery per subscribed channel, then (2) leases due deliveries, sends them, and records every
 * attempt with its outcome. A crash before (1) commits leaves the events undispatched; a crash during
 * (2) leaves the lease to expire and another round resends with the same delivery id, which receivers
 * see in `x-slipway-delivery` and may dedupe on. Nothing here runs inside a request: a failing channel
 * never blocks or fails the mutation that wrote the event.
 */
export class Dispatcher {
  private readonly batchSize: number;
  private readonly concurrency: number;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private busy: Promise<void> | null = null;
  private again = false;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly options: DispatcherOptions) {
    this.batchSize = options.batchSize ?? 100;
    this.concurrency = options.concurrency ?? 8;
  }

  private now(): string {
    return this.options.clock.now().toISOString();
  }

  private later(ms: number): string {
    return new Date(this.options.clock.now().getTime() + ms).toISOString();
  }

  /** Fans out one batch of undispatched events; returns how many events were claimed. */
  async fanOut(): Promise<number> {
    return this.options.db.transaction().execute(async (trx) => {
      const store = new DeliveryStore(trx);
      const now = this.now();
      const events = await store.claimUndispatched(now, this.batchSize);
      if (events.length === 0) return 0;
      // Read after the claim, so a channel committed before the events were is seen.
      const channels = (await this.options.channels(trx)).filter((c) => c.enabled);
      const deliveries: Delivery[] = [];
      for (const event of events) {
        for (const channel of channels) {
          // A channel hears what happens after it was created, not the backlog from before it.
          if (event.createdAt < channel.createdAt) continue;
          if (!subscribes(channel.subscriptions, event) || !applies(channel, event.type, event.payload)) continue;
          deliveries.push(this.newDelivery(event, channel, now));
        }
      }
      await store.insertMany(deliveries);
      return events.length;
    });
  }

  newDelivery(event: OutboxEvent, channel: Channel, now: string): Delivery {
    return {
      id: this.options.ids.next(),
      eventId: event.id,
      eventType: event.type,
      projectKey: event.projectKey,
      environmentKey: event.environmentKey,
      channelId: channel.id,
      channelName: channel.name,
      channelType: channel.type,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      giveUpAt: this.later(this.options.retry.giveUpMs),
      lastError: null,
      lastStatusCode: null,
      deliveredAt: null,
      createdAt: now,
      updatedAt: now,
    };
  }

  /** Leases and sends one batch of due deliveries; returns how many were attempted. */
  async deliverDue(): Promise<number> {
    const store = new DeliveryStore(this.options.db);
    const token = this.options.ids.next();
    const claimed = await store.claimDue(this.now(), this.later(this.options.leaseMs), token, this.batchSize);
    if (claimed.length === 0) return 0;
    const [channels, events] = await Promise.all([this.options.channels(), store.events([...new Set(claimed.map((d) => d.eventId))])]);
    const byId = new Map(channels.map((c) => [c.id, c]));
    // Announcements (which may read release notes) are prepared a few at a time, in event order,
    // while the per-channel lanes below already send the ones that are ready.
    const announcements = new Map<string, Promise<Announcement>>();
    const limit = limiter(this.concurrency);
    for (const event of [...events.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) announcements.set(event.id, limit(() => this.options.announce(event)));
    const announce = (event: OutboxEvent) => announcements.get(event.id) ?? this.options.announce(event);
    // One queue per channel keeps a channel's messages in event order; channels go in parallel.
    const queues = new Map<string, ClaimedDelivery[]>();
    for (const d of claimed) queues.set(d.channelId, [...(queues.get(d.channelId) ?? []), d]);
    const lanes = [...queues.values()];
    // Outcomes are written while the lane already sends its next delivery: the write's latency stays
    // off the sending path, and the round ends only when every outcome is recorded.
    const writes: Array<Promise<void>> = [];
    const workers = Array.from({ length: Math.min(this.concurrency, lanes.length) }, async () => {
      for (let lane = lanes.shift(); lane; lane = lanes.shift()) {
        for (const delivery of lane) writes.push((await this.attempt(delivery, byId.get(delivery.channelId), events.get(delivery.eventId), announce)).written);
      }
    });
    await Promise.all(workers);
    await Promise.all(writes);
    return claimed.length;
  }

  private async attempt(
    delivery: ClaimedDelivery,
    channel: (Channel & { unusable?: string }) | undefined,
    event: OutboxEvent | undefined,
    announce: (event: OutboxEvent) => Promise<Announcement>,
  ): Promise<{ written: Promise<void> }> {
    const started = this.options.clock.now();
    const t0 = performance.now();
    let result: SendResult;
    if (!channel) result = { ok: false, statusCode: null, error: 'The channel was deleted.', permanent: true };
    else if (!channel.enabled) result = { ok: false, statusCode: null, error: 'The channel is disabled.', permanent: true };
    else if (channel.unusable) result = { ok: false, statusCode: null, error: channel.unusable, permanent: true };
    else if (!event) result = { ok: false, statusCode: null, error: 'The outbox event is gone.', permanent: true };
    else {
      try {
        result = await this.options.sender.send(render(channel, await announce(event), delivery.id), delivery.id);
      } catch (error) {
        result = { ok: false, statusCode: null, error: `Could not render or send: ${(error as Error).message ?? String(error)}`.slice(0, 500), permanent: false };
      }
    }
    const attemptNo = delivery.attempts + 1;
    const now = this.now();
    const outcome: AttemptOutcome = {
      attempt: { id: this.options.ids.next(), deliveryId: delivery.id, attempt: attemptNo, startedAt: started.toISOString(), durationMs: Math.round(performance.now() - t0), ok: result.ok, statusCode: result.statusCode, error: result.error },
      status: 'delivered',
      nextAttemptAt: null,
      deliveredAt: result.ok ? now : null,
    };
    if (!result.ok) {
      const next = this.options.clock.now().getTime() + backoffMs(this.options.retry, attemptNo);
      const giveUp = result.permanent || next > new Date(delivery.giveUpAt).getTime();
      outcome.status = giveUp ? 'failed' : 'pending';
      outcome.nextAttemptAt = giveUp ? null : new Date(next).toISOString();
    }
    // No transaction: a crash between the two writes leaves the attempt in the history and the
    // lease to expire, and the delivery is simply tried again.
    // (Wrapped in an object: an async function returning a promise would wait for it.)
    const written = new DeliveryStore(this.options.db).finishAttempt(delivery, outcome, now).then(
      () => {},
      (error: unknown) => {
        // The lease runs out and the delivery is tried again: at least once, never lost.
        this.options.onError?.(error, `recording attempt ${attemptNo} of delivery ${delivery.id}`);
      },
    );
    return { written };
  }

  /** One round: fan out, then deliver what is due. */
  async runOnce(): Promise<RoundResult> {
    const fannedOut = await this.fanOut();
    const attempted = await this.deliverDue();
    return { fannedOut, attempted };
  }

  /** Rounds until there is nothing to do right now (due retries later are left). For tests and shutdown. */
  async drain(maxRounds = 1000): Promise<RoundResult> {
    const total = { fannedOut: 0, attempted: 0 };
    for (let i = 0; i < maxRounds; i++) {
      const round = await this.runOnce();
      total.fannedOut += round.fannedOut;
      total.attempted += round.attempted;
      if (round.fannedOut === 0 && round.attempted === 0) break;
    }
    return total;
  }

  /** Runs in the background: woken by committed events of this process, polling for everything else. */
  start(bus: OutboxBus): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = bus.subscribe(() => this.nudge());
    this.schedule(0);
  }

  /** Stops polling and waits for the round in progress (sends are bounded by their timeout). */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.busy;
  }

  /** Looks for work now instead of at the next poll (e.g. after a retry was queued). */
  nudge(): void {
    if (!this.running) return;
    if (this.busy) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), ms);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    if (this.busy || !this.running) return;
    this.timer = null;
    this.busy = (async () => {
      do {
        this.again = false;
        try {
          const round = await this.runOnce();
          if (round.fannedOut + round.attempted > 0) this.again = true;
        } catch (error) {
          // A database hiccup: log it and try again at the next poll.
          this.options.onError?.(error, 'dispatch round');
          break;
        }
      } while (this.again && this.running);
    })();
    await this.busy;
    this.busy = null;
    if (this.running) this.schedule(this.options.pollMs);
  }
}
