import type { RequestContext } from '../auth/actor.js';
import type { Uow } from '../db/stores.js';
import type { Clock } from '../shared/clock.js';
import { ConflictError, NotFoundError } from '../shared/errors.js';
import { decodeCursor, isString, toPage, type Page, type PageRequest } from '../shared/page.js';
import { authorizeChannels } from './channel-service.js';
import type { Attempt, Delivery, DeliveryStatus } from './delivery-store.js';
import type { RetryPolicy } from './retry-policy.js';

export interface DeliveryFilter {
  status?: DeliveryStatus;
  /** A channel id or name. */
  channel?: string;
  /** Only the deliveries of one outbox event. */
  event?: string;
}

/** Reading the delivery log, and putting a failed delivery back in the queue. */
export class DeliveryService {
  constructor(
    private readonly uow: Uow,
    private readonly clock: Clock,
    private readonly retry: RetryPolicy,
    /** Called after a retry is queued, so the dispatcher does not wait for its next poll. */
    private readonly queued: () => void = () => {},
  ) {}

  async list(ctx: RequestContext, filter: DeliveryFilter, page: PageRequest): Promise<Page<Delivery>> {
    authorizeChannels(ctx.actor);
    let channelId: string | undefined;
    if (filter.channel !== undefined) {
      // A deleted channel's deliveries are still listed by its id.
      channelId = (await this.uow.reads.channels.find(filter.channel))?.id ?? filter.channel;
    }
    const rows = await this.uow.reads.deliveries.page({
      ...(filter.status !== undefined && { status: filter.status }),
      ...(channelId !== undefined && { channelId }),
      ...(filter.event !== undefined && { eventId: filter.event }),
      beforeId: decodeCursor(page.cursor, isString),
      limit: page.limit + 1,
    });
    return toPage(rows, page.limit, (d) => d.id);
  }

  async get(ctx: RequestContext, id: string): Promise<Delivery & { history: Attempt[] }> {
    authorizeChannels(ctx.actor);
    const delivery = await this.uow.reads.deliveries.get(id);
    if (!delivery) throw new NotFoundError(`Delivery ${id} does not exist.`, { delivery: id });
    return { ...delivery, history: await this.uow.reads.deliveries.attempts(id) };
  }

  /** Queues a failed (or waiting) delivery for an attempt now, with a fresh give-up deadline. */
  async retryNow(ctx: RequestContext, id: string): Promise<Delivery> {
    authorizeChannels(ctx.actor);
    const result = await this.uow.transaction(async (tx) => {
      const before = await tx.stores.deliveries.get(id);
      if (!before) throw new NotFoundError(`Delivery ${id} does not exist.`, { delivery: id });
      if (before.status === 'delivered') {
        throw new ConflictError(`Delivery ${id} was delivered at ${before.deliveredAt}; it is not sent again.`, { delivery: id, status: before.status });
      }
      const now = this.clock.now();
      if (!(await tx.stores.deliveries.requeue(id, now.toISOString(), new Date(now.getTime() + this.retry.giveUpMs).toISOString()))) {
        throw new ConflictError(`Delivery ${id} was delivered meanwhile; it is not sent again.`, { delivery: id, status: 'delivered' });
      }
      const after = (await tx.stores.deliveries.get(id))!;
      await tx.record(ctx, {
        action: 'delivery.retried',
        resourceType: 'delivery',
        resourceId: id,
        before: { status: before.status, attempts: before.attempts, lastError: before.lastError },
        after: { status: after.status, nextAttemptAt: after.nextAttemptAt },
      });
      return after;
    });
    this.queued();
    return result;
  }
}
