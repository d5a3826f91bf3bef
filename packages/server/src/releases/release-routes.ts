import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, Nullable, PageOf, PageQuery, Timestamp } from '../http/schemas.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import { releaseNotes, renderNotesMarkdown } from './changelog.js';
import type { ReleaseService } from './release-service.js';
import type { Release } from './release-store.js';
import { TicketLinksSchema, ticketLinksHook } from '../projects/ticket-links.js';

const ChangelogEntrySchema = Type.Object({
  sha: Type.String(),
  type: Type.String(),
  scope: Nullable(Type.String()),
  subject: Type.String(),
  breaking: Type.Boolean(),
  breakingNote: Type.Optional(Type.String()),
  author: Type.Object({ name: Type.String(), email: Type.String() }),
  time: Type.String(),
  tickets: Type.Array(Type.String()),
});

const ReleaseFields = {
  project: Type.String(),
  version: Type.String(),
  tag: Type.String(),
  commit: Type.String(),
  kind: Type.String({ description: 'major, minor, patch, prerelease or hotfix' }),
  parent: Nullable(Type.String({ description: 'for a hotfix: the release it was made from' })),
  previous: Nullable(Type.String({ description: 'the release the changelog counts from' })),
  ref: Type.String(),
  tickets: Type.Array(Type.String()),
  ticketLinks: Type.Optional(TicketLinksSchema),
  commitCount: Type.Integer(),
  createdBy: Type.String(),
  createdAt: Timestamp,
};

const ReleaseSummarySchema = Type.Object(ReleaseFields);
const ReleaseSchema = Type.Object({
  ...ReleaseFields,
  changelog: Type.Array(ChangelogEntrySchema),
  mergedBack: Type.Optional(Nullable(Type.Boolean({ description: 'hotfixes: whether every change is on the default branch (by patch id)' }))),
  unmergedCommits: Type.Optional(Type.Array(Type.String())),
  mergeCheckError: Type.Optional(Type.String()),
});

const Version = Type.String({ minLength: 1, maxLength: 100 });
const ProjectParams = Type.Object({ project: Type.String({ maxLength: 200 }) });
const ReleaseParams = Type.Object({ project: Type.String({ maxLength: 200 }), version: Version });
const IdempotencyKey = Type.String({ minLength: 1, maxLength: 200, description: 'resending the same key returns the first result' });

const CreateBody = Type.Object(
  {
    ref: Type.Optional(Type.String({ minLength: 1, maxLength: 250, description: "branch, tag or commit; default: the remote's default branch" })),
    bump: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('major'), Type.Literal('minor'), Type.Literal('patch')])),
    prerelease: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z-]{1,32}$', description: 'e.g. rc → X.Y.Z-rc.N' })),
    idempotencyKey: Type.Optional(IdempotencyKey),
  },
  { additionalProperties: false },
);

const HotfixBody = Type.Object(
  {
    commits: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9a-fA-F]{4,64}$' }), { minItems: 1, maxItems: 100 })),
    branch: Type.Optional(Type.String({ minLength: 1, maxLength: 250 })),
    idempotencyKey: Type.Optional(IdempotencyKey),
  },
  { additionalProperties: false },
);

function summary(r: Release) {
  return {
    project: r.projectKey,
    version: r.version,
    tag: r.tag,
    commit: r.commit,
    kind: r.kind,
    parent: r.parent,
    previous: r.previous,
    ref: r.ref,
    tickets: r.tickets,
    commitCount: r.changelog.length,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
  };
}

export function releaseRoutes(releases: ReleaseService, ticketUrlOf?: (project: string) => Promise<string | null>): FastifyPluginAsyncTypebox {
  return async (app) => {
    if (ticketUrlOf) app.addHook('preSerialization', ticketLinksHook(ticketUrlOf));
    const tags = ['releases'];
    const releaseResponse = { 200: ReleaseSchema, 201: ReleaseSchema, ...errorResponses };

    app.post('/projects/:project/releases', { schema: { tags, summary: 'Create a release: compute the version, tag and push', params: ProjectParams, body: CreateBody, response: releaseResponse } }, async (request, reply) => {
      const { release, created } = await releases.create(request.ctx, request.params.project, request.body);
      return reply.status(created ? 201 : 200).send({ ...summary(release), changelog: release.changelog });
    });

    app.get(
      '/projects/:project/releases',
      {
        schema: {
          tags,
          summary: 'Releases, newest first',
          params: ProjectParams,
          querystring: Type.Composite([PageQuery, Type.Object({ kind: Type.Optional(Type.Union(['major', 'minor', 'patch', 'prerelease', 'hotfix'].map((k) => Type.Literal(k)))) })], { additionalProperties: false }),
          response: { 200: PageOf(ReleaseSummarySchema), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor, kind } = request.query;
        const page = await releases.list(request.params.project, kind === undefined ? {} : { kind }, { limit: limit ?? DEFAULT_PAGE_SIZE, cursor: cursor ?? null });
        return { items: page.items.map(summary), nextCursor: page.nextCursor };
      },
    );

    app.get('/projects/:project/releases/:version', { schema: { tags, summary: 'One release with its changelog', params: ReleaseParams, response: { 200: ReleaseSchema, ...errorResponses } } }, async (request) => {
      const release = await releases.get(request.params.project, request.params.version);
      const merge = release.kind === 'hotfix' ? await releases.mergeStatus(release) : null;
      return {
        ...summary(release),
        changelog: release.changelog,
        ...(merge && { mergedBack: merge.mergedBack, unmergedCommits: merge.unmergedCommits, ...(merge.error !== undefined && { mergeCheckError: merge.error }) }),
      };
    });

    app.get(
      '/projects/:project/releases/:version/notes',
      {
        schema: {
          tags,
          summary: 'Release notes (Markdown or JSON)',
          params: ReleaseParams,
          querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('md'), Type.Literal('json')])) }, { additionalProperties: false }),
        },
      },
      async (request, reply) => {
        const r = await releases.get(request.params.project, request.params.version);
        const input = { project: r.projectKey, version: r.version, tag: r.tag, previousVersion: r.previous, date: r.createdAt, entries: r.changelog };
        if (request.query.format === 'json') return reply.type('application/json').send(releaseNotes(input));
        return reply.type('text/markdown; charset=utf-8').send(renderNotesMarkdown(input));
      },
    );

    app.get(
      '/projects/:project/compare',
      {
        schema: {
          tags,
          summary: 'Commits and tickets between two versions',
          params: ProjectParams,
          querystring: Type.Object({ from: Version, to: Version }, { additionalProperties: false }),
          response: { 200: Type.Object({ from: Type.String(), to: Type.String(), commits: Type.Array(ChangelogEntrySchema), tickets: Type.Array(Type.String()), ticketLinks: Type.Optional(TicketLinksSchema) }), ...errorResponses },
        },
      },
      async (request) => releases.compare(request.params.project, request.query.from, request.query.to),
    );

    app.post(
      '/projects/:project/releases/:version/hotfixes',
      { schema: { tags, summary: 'Hotfix: cherry-pick commits (or take a branch) and release the next patch of the line', params: ReleaseParams, body: HotfixBody, response: releaseResponse } },
      async (request, reply) => {
        const { release, created } = await releases.hotfix(request.ctx, request.params.project, request.params.version, request.body);
        return reply.status(created ? 201 : 200).send({ ...summary(release), changelog: release.changelog });
      },
    );
  };
}
