import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, Nullable, PageOf, PageQuery, Slug, Timestamp } from '../http/schemas.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import type { Project, ProjectService } from './project-service.js';

const Name = Type.String({ minLength: 1, maxLength: 100 });
const Repository = Type.String({ minLength: 1, maxLength: 2000, description: 'a git URL or an absolute path to a local repository' });
const TagTemplate = Type.String({ minLength: 1, maxLength: 200, description: 'tag name template; must contain {version}, may contain {project}' });
const TicketPattern = Type.String({ minLength: 1, maxLength: 200, description: 'regular expression that finds ticket keys in commit messages' });
const TicketUrl = Type.String({ minLength: 10, maxLength: 500, description: 'link template for ticket keys, e.g. https://tracker.example.com/browse/{ticket}' });
const Lifecycle = Type.Array(Slug, { maxItems: 50, description: 'ordered environment keys' });
const Version = Type.String({ minLength: 5, maxLength: 100 });

export const ProjectResponse = Type.Object(
  {
    key: Slug,
    name: Type.String(),
    repository: Type.String(),
    tagTemplate: Type.String(),
    ticketPattern: Type.String(),
    lifecycle: Type.Array(Type.String()),
    hotfixLifecycle: Type.Array(Type.String()),
    lifecycleIsDefault: Type.Boolean({ description: 'true while the lifecycle follows every environment by rank' }),
    initialVersion: Type.String(),
    ticketUrl: Nullable(Type.String({ description: 'link template for ticket keys ({ticket} is replaced); null: no links' })),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
);

const CreateBody = Type.Object(
  {
    key: Slug,
    name: Type.Optional(Name),
    repository: Repository,
    tagTemplate: Type.Optional(TagTemplate),
    ticketPattern: Type.Optional(TicketPattern),
    lifecycle: Type.Optional(Lifecycle),
    hotfixLifecycle: Type.Optional(Lifecycle),
    initialVersion: Type.Optional(Version),
    ticketUrl: Type.Optional(Nullable(TicketUrl)),
  },
  { additionalProperties: false },
);

const UpdateBody = Type.Object(
  {
    name: Type.Optional(Name),
    repository: Type.Optional(Repository),
    tagTemplate: Type.Optional(TagTemplate),
    ticketPattern: Type.Optional(TicketPattern),
    lifecycle: Type.Optional(Nullable(Lifecycle)),
    hotfixLifecycle: Type.Optional(Nullable(Lifecycle)),
    initialVersion: Type.Optional(Version),
    ticketUrl: Type.Optional(Nullable(TicketUrl)),
  },
  { additionalProperties: false, minProperties: 1 },
);

const KeyParams = Type.Object({ project: Type.String({ maxLength: 200 }) });

function present(p: Project) {
  return {
    key: p.key,
    name: p.name,
    repository: p.repository,
    tagTemplate: p.tagTemplate,
    ticketPattern: p.ticketPattern,
    lifecycle: p.lifecycle,
    hotfixLifecycle: p.hotfixLifecycle,
    lifecycleIsDefault: p.lifecycleIsDefault,
    initialVersion: p.initialVersion,
    ticketUrl: p.ticketUrl,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

export function projectRoutes(projects: ProjectService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['projects'];
    app.get('/projects', { schema: { tags, summary: 'List projects by key', querystring: PageQuery, response: { 200: PageOf(ProjectResponse), ...errorResponses } } }, async (request) => {
      const page = await projects.list({ limit: request.query.limit ?? DEFAULT_PAGE_SIZE, cursor: request.query.cursor ?? null });
      return { items: page.items.map(present), nextCursor: page.nextCursor };
    });

    app.post('/projects', { schema: { tags, summary: 'Create a project', body: CreateBody, response: { 201: ProjectResponse, ...errorResponses } } }, async (request, reply) => {
      return reply.status(201).send(present(await projects.create(request.ctx, request.body)));
    });

    app.get('/projects/:project', { schema: { tags, summary: 'One project', params: KeyParams, response: { 200: ProjectResponse, ...errorResponses } } }, async (request) => {
      return present(await projects.get(request.params.project));
    });

    app.patch('/projects/:project', { schema: { tags, summary: 'Change a project', params: KeyParams, body: UpdateBody, response: { 200: ProjectResponse, ...errorResponses } } }, async (request) => {
      return present(await projects.update(request.ctx, request.params.project, request.body));
    });
  };
}
