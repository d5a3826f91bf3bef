import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, Nullable, PageOf, PageQuery, Slug, Timestamp } from '../http/schemas.js';
import { ImportReportSchema, RuleSchema } from '../releases/release-schemas.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import type { Project, ProjectChange, ProjectService } from './project-service.js';
import { ValidationError } from '../shared/errors.js';
import type { RequestContext } from '../auth/actor.js';

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
const TicketUrl = Type.String({ minLength: 10, maxLength: 500, description: 'link template for ticket keys, e.g. https://tracker.example.com/browse/{ticket}' });
const Lifecycle = Type.Array(Slug, { maxItems: 50, description: 'ordered environment keys' });
const Version = Type.String({ minLength: 5, maxLength: 100 });
const ReleaseRules = Type.Array(RuleSchema, {
  maxItems: 50,
  description: 'which commits make which release, first match wins; default (semantic-release): breaking → major, feat → minor, fix/perf → patch, anything else → none. Add { "release": "patch" } last to release every commit',
});
const Verify = Type.Boolean({ description: 'default true: fetch the repository first (422 repository_unreachable with git\'s message when it cannot be read) and import its existing tags as releases; false skips both' });

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
    releaseRules: Type.Array(RuleSchema, { description: 'the rules in force (the defaults while releaseRulesAreDefault)' }),
    releaseRulesAreDefault: Type.Boolean(),
    requires: Type.Optional(Type.Array(Type.Object({ project: Type.String(), range: Type.String() }))),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
);

const ProjectChangeResponse = Type.Composite([
  ProjectResponse,
  Type.Object({ import: Type.Optional(ImportReportSchema) }),
]);

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
    releaseRules: Type.Optional(ReleaseRules),
    verify: Type.Optional(Verify),
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
    releaseRules: Type.Optional(Nullable(ReleaseRules)),
    verify: Type.Optional(Verify),
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
    ticketUrl: p.ticketUrl,
    releaseRules: p.releaseRules,
    releaseRulesAreDefault: p.releaseRulesAreDefault,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

function presentChange(change: ProjectChange) {
  return { ...present(change.project), ...(change.import !== null && { import: change.import }) };
}

export function projectRoutes(projects: ProjectService, requirements?: ProjectRequirements): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['projects'];
    app.get('/projects', { schema: { tags, summary: 'List projects by key', querystring: PageQuery, response: { 200: PageOf(ProjectResponse), ...errorResponses } } }, async (request) => {
      const page = await projects.list({ limit: request.query.limit ?? DEFAULT_PAGE_SIZE, cursor: request.query.cursor ?? null });
      return { items: page.items.map(present), nextCursor: page.nextCursor };
    });

    app.post(
      '/projects',
      { schema: { tags, summary: "Create a project (checks the repository and imports its existing tags as releases, unless verify is false)", body: CreateBody, response: { 201: ProjectChangeResponse, ...errorResponses } } },
      async (request, reply) => reply.status(201).send(presentChange(await projects.create(request.ctx, request.body))),
    );

    app.get('/projects/:project', { schema: { tags, summary: 'One project', params: KeyParams, response: { 200: ProjectResponse, ...errorResponses } } }, async (request) => {
      const project = present(await projects.get(request.params.project));
      return requirements ? { ...project, requires: await requirements.get(project.key) } : project;
    });

    app.patch(
      '/projects/:project',
      { schema: { tags, summary: 'Change a project (a new repository or tag template imports the matching tags, unless verify is false)', params: KeyParams, body: UpdateBody, response: { 200: ProjectChangeResponse, ...errorResponses } } },
      async (request) => {
        const { requires, ...fields } = request.body;
        if (requires !== undefined && !requirements) throw new ValidationError('requires is not supported by this server.', { field: 'requires' });
        // Bad requirements refuse the whole PATCH before anything is written.
        if (requires !== undefined) await requirements!.validate(request.ctx, request.params.project, requires);
        const change: ProjectChange =
          Object.keys(fields).length > 0 ? await projects.update(request.ctx, request.params.project, fields) : { project: await projects.get(request.params.project), import: null };
        if (requires !== undefined) await requirements!.set(request.ctx, change.project.key, requires);
        const body = presentChange(change);
        return requirements ? { ...body, requires: await requirements.get(change.project.key) } : body;
      },
    );
  };
}
