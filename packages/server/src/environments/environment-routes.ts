import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, IfMatchHeaders, PageOf, PageQuery, patchErrorResponses, Slug, Timestamp } from '../http/schemas.js';
import { entityTag } from '../shared/versions.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import type { EnvironmentService } from './environment-service.js';
import { presentSettings, readSettings, SettingsInputFields, SettingsResponseFields } from './deployment-settings.js';
import { BADGE_ACCESS, type Environment } from './environment-store.js';
import { changeRoleOf } from '../auth/permissions.js';

const Color = Type.String({ pattern: '^#[0-9a-fA-F]{6}$', description: 'a CSS hex colour for badges, e.g. #16a34a' });
const Name = Type.String({ minLength: 1, maxLength: 100 });
const Production = Type.Boolean({ description: 'production-marked: the environment badge draws nothing there (default: true for the keys production and prod)' });
const Badge = Type.Union(BADGE_ACCESS.map((b) => Type.Literal(b)), { description: 'who may load GET /badge.js for this environment: public (default), key (an SDK key of the project and environment as &key=) or off' });
const Rank = Type.Integer({ minimum: -1_000_000, maximum: 1_000_000, description: 'order of the environment; lower ranks come first' });

export const EnvironmentResponse = Type.Object(
  { key: Slug, name: Type.String(), rank: Type.Integer(), protected: Type.Boolean(), color: Type.String(), production: Type.Boolean(), badge: Type.String(),
    changeRole: Type.String({ description: 'the lowest role that may deploy here and change flag configurations here: release-manager when protected, else engineer' }),
    ...SettingsResponseFields,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
);

const CreateBody = Type.Object(
  { key: Slug, name: Type.Optional(Name), rank: Type.Optional(Rank), protected: Type.Optional(Type.Boolean()), color: Type.Optional(Color), production: Type.Optional(Production), badge: Type.Optional(Badge) },
  { additionalProperties: false },
);
const UpdateBody = Type.Object(
  { name: Type.Optional(Name), rank: Type.Optional(Rank), protected: Type.Optional(Type.Boolean()), color: Type.Optional(Color), production: Type.Optional(Production), badge: Type.Optional(Badge), ...SettingsInputFields },
  { additionalProperties: false, minProperties: 1 },
);
const KeyParams = Type.Object({ env: Type.String({ maxLength: 200 }) });

function present(env: Environment) {
  return { key: env.key, name: env.name, rank: env.rank, protected: env.protected, color: env.color, production: env.production ?? false, badge: env.badge ?? 'public', changeRole: changeRoleOf(env), ...presentSettings(readSettings(env.settings)), createdAt: env.createdAt, updatedAt: env.updatedAt };
}

export function environmentRoutes(environments: EnvironmentService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['environments'];
    app.get('/environments', { schema: { tags, summary: 'List environments by rank', querystring: PageQuery, response: { 200: PageOf(EnvironmentResponse), ...errorResponses } } }, async (request) => {
      const page = await environments.list({ limit: request.query.limit ?? DEFAULT_PAGE_SIZE, cursor: request.query.cursor ?? null });
      return { items: page.items.map(present), nextCursor: page.nextCursor };
    });

    app.post('/environments', { schema: { tags, summary: 'Create an environment', body: CreateBody, response: { 201: EnvironmentResponse, ...errorResponses } } }, async (request, reply) => {
      const env = await environments.create(request.ctx, request.body);
      return reply.status(201).send(present(env));
    });

    app.get('/environments/:env', { schema: { tags, summary: 'One environment (ETag: send it back as If-Match with PATCH)', params: KeyParams, response: { 200: EnvironmentResponse, ...errorResponses } } }, async (request, reply) => {
      const env = await environments.get(request.params.env);
      reply.header('etag', entityTag(env));
      return present(env);
    });

    app.patch(
      '/environments/:env',
      { schema: { tags, summary: 'Change an environment; with If-Match, only if it is still the version read (412 otherwise)', params: KeyParams, headers: IfMatchHeaders, body: UpdateBody, response: { 200: EnvironmentResponse, ...patchErrorResponses } } },
      async (request, reply) => {
        const env = await environments.update(request.ctx, request.params.env, request.body, { ifMatch: request.headers['if-match'] });
        reply.header('etag', entityTag(env));
        return present(env);
      },
    );

    app.delete('/environments/:env', { schema: { tags, summary: 'Delete an environment', params: KeyParams, response: { 204: Type.Null(), ...errorResponses } } }, async (request, reply) => {
      await environments.delete(request.ctx, request.params.env);
      return reply.status(204).send(null);
    });
  };
}
