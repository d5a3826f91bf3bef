import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, Nullable, PageOf, Timestamp } from '../http/schemas.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import type { DeliveryService } from './delivery-service.js';
import { DELIVERY_STATUSES, type Attempt, type Delivery } from './delivery-store.js';

const DeliveryResponse = Type.Object({
  id: Type.String({ description: 'also the idempotency key receivers get in x-slipway-delivery' }),
  status: Type.String(),
  event: Type.Object({ id: Type.String(), type: Type.String(), project: Nullable(Type.String()), environment: Nullable(Type.String()) }),
  channel: Type.Object({ id: Type.String(), name: Type.String(), type: Type.String() }),
  attempts: Type.Integer(),
  nextAttemptAt: Nullable(Timestamp),
  giveUpAt: Timestamp,
  lastError: Nullable(Type.String()),
  lastStatusCode: Nullable(Type.Integer()),
  deliveredAt: Nullable(Timestamp),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
const AttemptResponse = Type.Object({ attempt: Type.Integer(), startedAt: Timestamp, durationMs: Type.Integer(), ok: Type.Boolean(), statusCode: Nullable(Type.Integer()), error: Nullable(Type.String()) });
const DeliveryDetail = Type.Intersect([DeliveryResponse, Type.Object({ history: Type.Array(AttemptResponse) })]);

const ListQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(DELIVERY_STATUSES.map((s) => Type.Literal(s)))),
    channel: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'channel id or name' })),
    event: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'outbox event id' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 400 })),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

function present(d: Delivery) {
  return {
    id: d.id,
    status: d.status,
    event: { id: d.eventId, type: d.eventType, project: d.projectKey, environment: d.environmentKey },
    channel: { id: d.channelId, name: d.channelName, type: d.channelType },
    attempts: d.attempts,
    nextAttemptAt: d.nextAttemptAt,
    giveUpAt: d.giveUpAt,
    lastError: d.lastError,
    lastStatusCode: d.lastStatusCode,
    deliveredAt: d.deliveredAt,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

const presentAttempt = (a: Attempt) => ({ attempt: a.attempt, startedAt: a.startedAt, durationMs: a.durationMs, ok: a.ok, statusCode: a.statusCode, error: a.error });

export function deliveryRoutes(deliveries: DeliveryService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['notifications'];
    app.get('/deliveries', { schema: { tags, summary: 'Deliveries of events to channels, newest first', querystring: ListQuery, response: { 200: PageOf(DeliveryResponse), ...errorResponses } } }, async (request) => {
      const { status, channel, event, limit, cursor } = request.query;
      const page = await deliveries.list(request.ctx, { ...(status && { status }), ...(channel && { channel }), ...(event && { event }) }, { limit: limit ?? DEFAULT_PAGE_SIZE, cursor: cursor ?? null });
      return { items: page.items.map(present), nextCursor: page.nextCursor };
    });

    app.get('/deliveries/:id', { schema: { tags, summary: 'One delivery with every attempt', params: IdParams, response: { 200: DeliveryDetail, ...errorResponses } } }, async (request) => {
      const d = await deliveries.get(request.ctx, request.params.id);
      return { ...present(d), history: d.history.map(presentAttempt) };
    });

    app.post('/deliveries/:id/retry', { schema: { tags, summary: 'Try a failed delivery again now', params: IdParams, response: { 200: DeliveryResponse, ...errorResponses } } }, async (request) => {
      return present(await deliveries.retryNow(request.ctx, request.params.id));
    });
  };
}
