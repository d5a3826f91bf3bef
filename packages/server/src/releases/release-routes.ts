import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, Nullable, PageOf, PageQuery } from '../http/schemas.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import { releaseNotes, renderNotesMarkdown } from './changelog.js';
import type { CreatedRelease, ReleaseService } from './release-service.js';
import {
  ChangelogEntrySchema,
  CreateBody,
  CreatedReleaseSchema,
  HotfixBody,
  ImportReportSchema,
  PreviewSchema,
  ProjectParams,
  ReleaseParams,
  ReleaseSchema,
  ReleaseListItemSchema,
  Version,
} from './release-schemas.js';
import type { Release } from './release-store.js';
import { TicketLinksSchema, ticketLinksHook } from '../projects/ticket-links.js';

export function summary(r: Release) {
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
    commitCount: new Set(r.changelog.map((e) => e.sha)).size,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    importedAt: r.importedAt,
  };
}

function created(result: CreatedRelease) {
  return {
    ...summary(result.release),
    changelog: result.release.changelog,
    ...(result.decision !== undefined && { decision: result.decision }),
    ...(result.notices !== undefined && { notices: result.notices }),
    ...(result.requestedFrom !== undefined && { requestedFrom: result.requestedFrom }),
  };
}

/**
 * Responses carrying whole changelogs (20,000 entries, 5 MB) are written with JSON.stringify: there
 * fast-json-stringify was 2–6× slower (150–590 ms against 40–90 ms, docs/benchmarks.md). The schemas stay
 * for validation of the shape in tests and for the OpenAPI document; what goes out is built field by
 * field by `summary`/`created` and the changelog parser, so nothing undeclared can leak.
 */
const plainJson = { serializerCompiler: () => (data: unknown) => JSON.stringify(data) };

export function releaseRoutes(releases: ReleaseService, ticketUrlOf?: (project: string) => Promise<string | null>): FastifyPluginAsyncTypebox {
  return async (app) => {
    if (ticketUrlOf) app.addHook('preSerialization', ticketLinksHook(ticketUrlOf));
    const tags = ['releases'];
    const createResponse = {
      201: CreatedReleaseSchema,
      200: Type.Union([PreviewSchema, CreatedReleaseSchema], { description: 'a dry run (dryRun: true), or the release an idempotency key already made' }),
      ...errorResponses,
    };

    app.post(
      '/projects/:project/releases',
      {
        ...plainJson,
        schema: {
          tags,
          summary: 'Create a release: compute the version, tag and push (or, with dryRun, answer what would be released)',
          params: ProjectParams,
          body: CreateBody,
          response: createResponse,
        },
      },
      async (request, reply) => {
        const { dryRun, ...input } = request.body;
        if (dryRun) return reply.status(200).send({ dryRun: true as const, ...(await releases.preview(request.ctx, request.params.project, input)) });
        const result = await releases.create(request.ctx, request.params.project, input);
        return reply.status(result.created ? 201 : 200).send(created(result));
      },
    );

    app.post(
      '/projects/:project/releases/import',
      {
        schema: {
          tags,
          summary: "Adopt the repository's existing tags that match the tag template as releases (idempotent)",
          params: ProjectParams,
          response: { 200: ImportReportSchema, ...errorResponses },
        },
      },
      async (request) => releases.importTags(request.ctx, request.params.project),
    );

    app.post(
      '/projects/:project/repository/refresh',
      {
        schema: {
          tags,
          summary: "Fetch the project's repository into the server's clone now (after a push); 202 at once, or 200 when done with ?wait=true",
          params: ProjectParams,
          querystring: Type.Object({ wait: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) }, { additionalProperties: false }),
          response: {
            200: Type.Object({ project: Type.String(), branch: Nullable(Type.String()), head: Nullable(Type.String()), durationMs: Type.Integer() }),
            202: Type.Object({ queued: Type.Literal(true) }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const result = await releases.refreshRepository(request.ctx, request.params.project, request.query.wait === 'true');
        return result ? reply.status(200).send(result) : reply.status(202).send({ queued: true as const });
      },
    );

    app.get(
      '/projects/:project/releases',
      {
        schema: {
          tags,
          summary: 'Releases, newest first',
          params: ProjectParams,
          querystring: Type.Composite([PageQuery, Type.Object({ kind: Type.Optional(Type.Union(['major', 'minor', 'patch', 'prerelease', 'hotfix'].map((k) => Type.Literal(k)))) })], { additionalProperties: false }),
          response: { 200: PageOf(ReleaseListItemSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor, kind } = request.query;
        const page = await releases.list(request.params.project, kind === undefined ? {} : { kind }, { limit: limit ?? DEFAULT_PAGE_SIZE, cursor: cursor ?? null });
        const merged = await releases.knownMergeStatus(request.params.project, page.items);
        return { items: page.items.map((r) => ({ ...summary(r), ...(merged.has(r.version) && { mergedBack: merged.get(r.version)! }) })), nextCursor: page.nextCursor };
      },
    );

    app.get('/projects/:project/releases/:version', { ...plainJson, schema: { tags, summary: 'One release with its changelog (hotfixes: whether they are merged back)', params: ReleaseParams, response: { 200: ReleaseSchema, ...errorResponses } } }, async (request) => {
      const release = await releases.get(request.params.project, request.params.version);
      const merge = release.kind === 'hotfix' ? await releases.mergeStatus(release) : null;
      return {
        ...summary(release),
        changelog: release.changelog,
        ...(merge && {
          mergedBack: merge.mergedBack,
          unmergedCommits: merge.unmergedCommits,
          mergeCommits: merge.commits,
          ...(merge.checkedAgainst !== undefined && { mergeCheckedAgainst: merge.checkedAgainst }),
          ...(merge.error !== undefined && { mergeCheckError: merge.error }),
        }),
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
        const input = { project: r.projectKey, version: r.version, tag: r.tag, previousVersion: r.previous, date: r.createdAt, entries: r.changelog, importedAt: r.importedAt };
        if (request.query.format === 'json') return reply.type('application/json').send(releaseNotes(input));
        return reply.type('text/markdown; charset=utf-8').send(renderNotesMarkdown(input));
      },
    );

    app.get(
      '/projects/:project/compare',
      {
        ...plainJson,
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
      {
        ...plainJson,
        schema: {
          tags,
          summary: 'Hotfix: the next patch of the line, built on its latest release, from cherry-picked commits or a branch (or, with dryRun, what it would be)',
          params: ReleaseParams,
          body: HotfixBody,
          response: createResponse,
        },
      },
      async (request, reply) => {
        const { dryRun, ...input } = request.body;
        if (dryRun) return reply.status(200).send({ dryRun: true as const, ...(await releases.previewHotfix(request.ctx, request.params.project, request.params.version, input)) });
        const result = await releases.hotfix(request.ctx, request.params.project, request.params.version, input);
        return reply.status(result.created ? 201 : 200).send(created(result));
      },
    );
  };
}
