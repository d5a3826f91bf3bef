import type { EnvConfig } from '@slipway/flag-engine';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, IfMatchHeaders, PageOf, PageQuery, patchErrorResponses } from '../http/schemas.js';
import { entityTag } from '../shared/versions.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import { CreateFlagBody, EnvConfigSchema, FlagEnvironmentResponse, FlagResponse, UpdateFlagBody } from './flag-schemas.js';
import type { CreateFlagInput, FlagEnvironmentView, FlagService, FlagView, UpdateFlagInput } from './flag-service.js';

const Key = Type.String({ maxLength: 200 });
const ProjectParams = Type.Object({ project: Key });
const FlagParams = Type.Object({ project: Key, flag: Key });
const FlagEnvParams = Type.Object({ project: Key, flag: Key, env: Key });
const ListQuery = Type.Object(
  {
    ...PageQuery.properties,
    stale: Type.Optional(Type.Boolean({ description: 'only flags serving one variant to everyone in every environment, unchanged for 30 days' })),
    archived: Type.Optional(Type.Union([Type.Boolean(), Type.Literal('all')], { description: 'true: archived flags only; all: both' })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'words that must all appear in the key, name, description, owner or tags' })),
    type: Type.Optional(Type.String({ pattern: '^[a-z][a-z-]{0,31}$', description: 'release, experiment, kill-switch, operational or permission' })),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

export function presentEnvironment(e: FlagEnvironmentView) {
  return e;
}

export function presentFlag(f: FlagView) {
  return {
    project: f.projectKey,
    key: f.key,
    name: f.name,
    description: f.description,
    type: f.type,
    variants: f.variants,
    owner: f.owner,
    tags: f.tags,
    archived: f.archived,
    createdBy: f.createdBy,
    createdAt: f.createdAt,
    updatedAt: f.updatedAt,
    environments: f.environments.map(presentEnvironment),
    ...(f.usage && { usage: f.usage }),
  };
}

export function flagRoutes(flags: FlagService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['flags'];
    app.get(
      '/projects/:project/flags',
      { schema: { tags, summary: "List a project's flags by key", params: ProjectParams, querystring: ListQuery, response: { 200: PageOf(FlagResponse), ...errorResponses } } },
      async (request) => {
        const q = request.query;
        const page = await flags.list(request.params.project, {
          limit: q.limit ?? DEFAULT_PAGE_SIZE,
          cursor: q.cursor ?? null,
          stale: q.stale ?? false,
          archived: q.archived === 'all' ? null : (q.archived ?? false),
          ...(q.q !== undefined && { search: q.q }),
          ...(q.type !== undefined && { type: q.type }),
          ...(q.tag !== undefined && { tag: q.tag }),
        });
        return { items: page.items.map(presentFlag), nextCursor: page.nextCursor };
      },
    );

    app.post(
      '/projects/:project/flags',
      { schema: { tags, summary: 'Create a flag (disabled everywhere until configured)', params: ProjectParams, body: CreateFlagBody, response: { 201: FlagResponse, ...errorResponses } } },
      async (request, reply) => reply.status(201).send(presentFlag(await flags.create(request.ctx, request.params.project, request.body as CreateFlagInput))),
    );

    app.get(
      '/projects/:project/flags/:flag',
      { schema: { tags, summary: 'One flag with every environment side by side (ETag: send it back as If-Match with PATCH)', params: FlagParams, response: { 200: FlagResponse, ...errorResponses } } },
      async (request, reply) => {
        const flag = await flags.get(request.params.project, request.params.flag);
        reply.header('etag', entityTag(flag));
        return presentFlag(flag);
      },
    );

    app.patch(
      '/projects/:project/flags/:flag',
      {
        schema: {
          tags,
          summary: 'Change a flag definition; archived: false restores an archived flag; with If-Match, only if it is still the version read (412 otherwise)',
          params: FlagParams,
          headers: IfMatchHeaders,
          body: UpdateFlagBody,
          response: { 200: FlagResponse, ...patchErrorResponses },
        },
      },
      async (request, reply) => {
        const flag = await flags.update(request.ctx, request.params.project, request.params.flag, request.body as UpdateFlagInput, { ifMatch: request.headers['if-match'] });
        reply.header('etag', entityTag(flag));
        return presentFlag(flag);
      },
    );

    app.delete(
      '/projects/:project/flags/:flag',
      { schema: { tags, summary: 'Archive a flag: it leaves every rule set, its key and history stay', params: FlagParams, response: { 200: FlagResponse, ...errorResponses } } },
      async (request) => presentFlag(await flags.archive(request.ctx, request.params.project, request.params.flag)),
    );

    app.put(
      '/projects/:project/flags/:flag/environments/:env',
      {
        schema: {
          tags,
          summary: "Set a flag's configuration in one environment",
          params: FlagEnvParams,
          body: EnvConfigSchema,
          response: { 200: FlagEnvironmentResponse, ...errorResponses },
        },
      },
      async (request) =>
        presentEnvironment(await flags.configure(request.ctx, request.params.project, request.params.flag, request.params.env, request.body as EnvConfig)),
    );
  };
}
