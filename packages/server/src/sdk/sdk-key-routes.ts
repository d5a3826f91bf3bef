import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, Nullable, PageOf, PageQuery, Timestamp } from '../http/schemas.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import type { SdkKeyService } from './sdk-key-service.js';
import type { SdkKeyRecord } from './sdk-key-store.js';

const Key = Type.String({ maxLength: 200 });
const EnvParams = Type.Object({ project: Key, env: Key });
const KeyParams = Type.Object({ project: Key, env: Key, id: Type.String({ maxLength: 100 }) });

const SdkKeyResponse = Type.Object({
  id: Type.String(),
  project: Type.String(),
  environment: Type.String(),
  kind: Type.String({ description: 'server: reads the whole rule set; client: evaluates through OFREP only' }),
  name: Type.String(),
  prefix: Type.String({ description: 'the first characters of the key, to tell keys apart' }),
  createdBy: Type.String(),
  createdAt: Timestamp,
  revokedAt: Nullable(Timestamp),
});

const CreatedResponse = Type.Object({ ...SdkKeyResponse.properties, key: Type.String({ description: 'the secret, shown this once' }) });

const CreateBody = Type.Object(
  {
    kind: Type.Union([Type.Literal('server'), Type.Literal('client')]),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

function present(k: SdkKeyRecord) {
  return { id: k.id, project: k.projectKey, environment: k.environmentKey, kind: k.kind, name: k.name, prefix: k.prefix, createdBy: k.createdBy, createdAt: k.createdAt, revokedAt: k.revokedAt };
}

export function sdkKeyRoutes(keys: SdkKeyService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['sdk'];
    const base = '/projects/:project/environments/:env/sdk-keys';
    app.get(base, { schema: { tags, summary: 'List SDK keys (never their secrets)', params: EnvParams, querystring: PageQuery, response: { 200: PageOf(SdkKeyResponse), ...errorResponses } } }, async (request) => {
      const page = await keys.list(request.params.project, request.params.env, { limit: request.query.limit ?? DEFAULT_PAGE_SIZE, cursor: request.query.cursor ?? null });
      return { items: page.items.map(present), nextCursor: page.nextCursor };
    });
    app.post(base, { schema: { tags, summary: 'Create an SDK key; the key is shown once', params: EnvParams, body: CreateBody, response: { 201: CreatedResponse, ...errorResponses } } }, async (request, reply) => {
      const { key, secret } = await keys.create(request.ctx, request.params.project, request.params.env, request.body);
      return reply.status(201).send({ ...present(key), key: secret });
    });
    app.delete(`${base}/:id`, { schema: { tags, summary: 'Revoke an SDK key', params: KeyParams, response: { 200: SdkKeyResponse, ...errorResponses } } }, async (request) => {
      return present(await keys.revoke(request.ctx, request.params.project, request.params.env, request.params.id));
    });
  };
}
