import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, IfMatchHeaders, PageOf, PageQuery, patchErrorResponses } from '../http/schemas.js';
import { entityTag } from '../shared/versions.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import { CreateSegmentBody, SegmentResponse, UpdateSegmentBody } from './flag-schemas.js';
import type { CreateSegmentInput, SegmentService, SegmentView, UpdateSegmentInput } from './segment-service.js';

const Key = Type.String({ maxLength: 200 });
const ProjectParams = Type.Object({ project: Key });
const SegmentParams = Type.Object({ project: Key, segment: Key });

function present(s: SegmentView) {
  return { project: s.projectKey, key: s.key, name: s.name, description: s.description, conditions: s.conditions, createdAt: s.createdAt, updatedAt: s.updatedAt };
}

export function segmentRoutes(segments: SegmentService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['flags'];
    app.get(
      '/projects/:project/segments',
      { schema: { tags, summary: "List a project's segments", params: ProjectParams, querystring: PageQuery, response: { 200: PageOf(SegmentResponse), ...errorResponses } } },
      async (request) => {
        const page = await segments.list(request.params.project, { limit: request.query.limit ?? DEFAULT_PAGE_SIZE, cursor: request.query.cursor ?? null });
        return { items: page.items.map(present), nextCursor: page.nextCursor };
      },
    );
    app.post(
      '/projects/:project/segments',
      { schema: { tags, summary: 'Create a segment', params: ProjectParams, body: CreateSegmentBody, response: { 201: SegmentResponse, ...errorResponses } } },
      async (request, reply) => reply.status(201).send(present(await segments.create(request.ctx, request.params.project, request.body as CreateSegmentInput))),
    );
    app.get(
      '/projects/:project/segments/:segment',
      { schema: { tags, summary: 'One segment (ETag: send it back as If-Match with PATCH)', params: SegmentParams, response: { 200: SegmentResponse, ...errorResponses } } },
      async (request, reply) => {
        const segment = await segments.get(request.params.project, request.params.segment);
        reply.header('etag', entityTag(segment));
        return present(segment);
      },
    );
    app.patch(
      '/projects/:project/segments/:segment',
      {
        schema: { tags, summary: 'Change a segment; with If-Match, only if it is still the version read (412 otherwise)', params: SegmentParams, headers: IfMatchHeaders, body: UpdateSegmentBody, response: { 200: SegmentResponse, ...patchErrorResponses } },
      },
      async (request, reply) => {
        const segment = await segments.update(request.ctx, request.params.project, request.params.segment, request.body as UpdateSegmentInput, { ifMatch: request.headers['if-match'] });
        reply.header('etag', entityTag(segment));
        return present(segment);
      },
    );
    app.delete(
      '/projects/:project/segments/:segment',
      { schema: { tags, summary: 'Delete a segment (409 naming the flags while one uses it)', params: SegmentParams, response: { 204: Type.Null(), ...errorResponses } } },
      async (request, reply) => {
        await segments.delete(request.ctx, request.params.project, request.params.segment);
        return reply.status(204).send(null);
      },
    );
  };
}
