import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, Nullable, PageOf, PageQuery, Slug, Timestamp } from '../http/schemas.js';
import { ValidationError } from '../shared/errors.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import type { RequestContext } from '../auth/actor.js';
import type { Project, ProjectService } from './project-service.js';

/** Requirements on other projects (compatibility, issue 14): the project routes show and take `requires`. */
export interface ProjectRequirements {
  get(projectKey: string): Promise<Array<{ project: string; range: string }>>;
  /** Throws (4xx) when `set` would refuse them; changes nothing. */
  validate(ctx: RequestContext, projectKey: string, requires: Array<{ project: string; range: string }>): Promise<unknown>;
  set(ctx: RequestContext, projectKey: string, requires: Array<{ project: string; range: string }>): Promise<Array<{ project: string; range: string }>>;
}

const Requires = Type.Array(Type.Object({ project: Slug, range: Type.String({ minLength: 1, maxLength: 200, description: 'semver range, e.g. ^2.3.0' }) }, { additionalProperties: false }), { maxItems: 50, description: 'versions of other projects this one works with' });

const Name = Type.String({ minLength: 1, maxLength: 100 });
const Repository = Type.String({ minLength: 1, maxLength: 2000, description: 'a git URL or an absolute path to a local repository' });
const TagTemplate = Type.String({ minLength: 1, maxLength: 200, description: 'tag name template; must contain {version}, may contain {project}' });
const TicketPattern = Type.String({ minLength: 1, maxLength: 200, description: 'regular expression that finds ticket keys in commit messages' });
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
    requires: Type.Optional(Type.Array(Type.Object({ project: Type.String(), range: Type.String() }))),
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
    requires: Type.Optional(Requires),
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
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

export function projectRoutes(projects: ProjectService, requirements?: ProjectRequirements): FastifyPluginAsyncTypebox {
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
      const project = present(await projects.get(request.params.project));
      return requirements ? { ...project, requires: await requirements.get(project.key) } : project;
    });

    app.patch('/projects/:project', { schema: { tags, summary: 'Change a project', params: KeyParams, body: UpdateBody, response: { 200: ProjectResponse, ...errorResponses } } }, async (request) => {
      const { requires, ...fields } = request.body;
      if (requires !== undefined && !requirements) throw new ValidationError('requires is not supported by this server.', { field: 'requires' });
      // Bad requirements refuse the whole PATCH before anything is written.
      if (requires !== undefined) await requirements!.validate(request.ctx, request.params.project, requires);
      const project = Object.keys(fields).length > 0 ? await projects.update(request.ctx, request.params.project, fields) : await projects.get(request.params.project);
      if (requires !== undefined) await requirements!.set(request.ctx, project.key, requires);
      return requirements ? { ...present(project), requires: await requirements.get(project.key) } : present(project);
    });
  };
}
