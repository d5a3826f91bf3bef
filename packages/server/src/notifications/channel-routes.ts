import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, PageOf, PageQuery, Slug, Timestamp, Nullable } from '../http/schemas.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import type { ChannelService } from './channel-service.js';
import { CHANNEL_TYPES, type Channel } from './channel-types.js';

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9 ._-]*$', description: 'unique; letters, digits, spaces, dots, dashes, underscores' });
const EventPattern = Type.String({ pattern: '^(\\*|[a-z][a-z0-9_.-]{0,98}\\*?)$', description: 'an event type, or a prefix ending in * (deployment.*), or * for every event' });
const Subscription = Type.Object(
  {
    events: Type.Array(EventPattern, { minItems: 1, maxItems: 50 }),
    projects: Type.Optional(Type.Array(Slug, { minItems: 1, maxItems: 200 })),
    environments: Type.Optional(Type.Array(Slug, { minItems: 1, maxItems: 50 })),
  },
  { additionalProperties: false },
);
const Subscriptions = Type.Array(Subscription, { maxItems: 50, description: 'which events go to the channel; an empty list sends nothing (tests still work)' });
const ChannelTypeSchema = Type.Union(CHANNEL_TYPES.map((t) => Type.Literal(t)));
const Config = Type.Object({}, { additionalProperties: true, description: 'per type: slack {url}; webhook {url, secret, headers?}; email {host, port, secure?, auth?: {user, pass}, from, to}; newrelic {apiKey, entityGuid, endpoint?}; datadog {apiKey, site?, endpoint?}; grafana {url, token, dashboardUid?}. Secrets are write-only.' });

export const ChannelResponse = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  enabled: Type.Boolean(),
  config: Type.Record(Type.String(), Type.Unknown(), { description: 'secrets show as "set"' }),
  subscriptions: Type.Array(Subscription),
  createdBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const CreateBody = Type.Object({ name: Name, type: ChannelTypeSchema, config: Config, subscriptions: Subscriptions, enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
const UpdateBody = Type.Object(
  { name: Type.Optional(Name), config: Type.Optional(Config), subscriptions: Type.Optional(Subscriptions), enabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200, description: 'the channel id or name' }) });
const TestResponse = Type.Object({ delivered: Type.Boolean(), statusCode: Nullable(Type.Integer()), error: Nullable(Type.String()), durationMs: Type.Integer() });

function present(c: Channel) {
  return { id: c.id, name: c.name, type: c.type, enabled: c.enabled, config: c.config, subscriptions: c.subscriptions, createdBy: c.createdBy, createdAt: c.createdAt, updatedAt: c.updatedAt };
}

export function channelRoutes(channels: ChannelService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['notifications'];
    app.get('/channels', { schema: { tags, summary: 'List notification channels', querystring: PageQuery, response: { 200: PageOf(ChannelResponse), ...errorResponses } } }, async (request) => {
      const page = await channels.list(request.ctx, { limit: request.query.limit ?? DEFAULT_PAGE_SIZE, cursor: request.query.cursor ?? null });
      return { items: page.items.map(present), nextCursor: page.nextCursor };
    });

    app.post('/channels', { schema: { tags, summary: 'Create a channel (slack, webhook, email, newrelic, datadog, grafana)', body: CreateBody, response: { 201: ChannelResponse, ...errorResponses } } }, async (request, reply) => {
      const created = await channels.create(request.ctx, request.body);
      return reply.status(201).send(present(created));
    });

    app.get('/channels/:id', { schema: { tags, summary: 'One channel', params: IdParams, response: { 200: ChannelResponse, ...errorResponses } } }, async (request) => {
      return present(await channels.get(request.ctx, request.params.id));
    });

    app.patch('/channels/:id', { schema: { tags, summary: 'Change a channel; config fields given replace the stored ones, secrets left out are kept', params: IdParams, body: UpdateBody, response: { 200: ChannelResponse, ...errorResponses } } }, async (request) => {
      return present(await channels.update(request.ctx, request.params.id, request.body));
    });

    app.delete('/channels/:id', { schema: { tags, summary: 'Delete a channel; its pending deliveries fail', params: IdParams, response: { 204: Type.Null(), ...errorResponses } } }, async (request, reply) => {
      await channels.delete(request.ctx, request.params.id);
      return reply.status(204).send(null);
    });

    app.post('/channels/:id/test', { schema: { tags, summary: 'Send a sample message now', params: IdParams, response: { 200: TestResponse, ...errorResponses } } }, async (request) => {
      return channels.test(request.ctx, request.params.id);
    });
  };
}
