import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, Nullable, PageOf, PageQuery, Timestamp } from '../http/schemas.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import type { AuditService } from './audit-service.js';

const AuditResponse = Type.Object(
  {
    id: Type.String(),
    at: Timestamp,
    actor: Type.Object({ id: Nullable(Type.String()), name: Type.String() }),
    action: Type.String(),
    resourceType: Type.String(),
    resourceId: Type.String(),
    before: Type.Unknown(),
    after: Type.Unknown(),
    requestId: Nullable(Type.String()),
  },
);

const Filter = Type.String({ minLength: 1, maxLength: 200 });
const AuditQuery = Type.Composite(
  [
    PageQuery,
    Type.Object({
      actor: Type.Optional(Filter),
      resourceType: Type.Optional(Filter),
      resourceId: Type.Optional(Filter),
      action: Type.Optional(Filter),
      since: Type.Optional(Type.String({ format: 'date-time' })),
      until: Type.Optional(Type.String({ format: 'date-time', description: 'records before this time; with since, a time range' })),
    }),
  ],
  { additionalProperties: false },
);

export function auditRoutes(audit: AuditService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/audit', { schema: { tags: ['audit'], summary: 'Audit records, newest first', querystring: AuditQuery, response: { 200: PageOf(AuditResponse), ...errorResponses } } }, async (request) => {
      const { limit, cursor, since, until, ...filters } = request.query;
      const page = await audit.list(
        request.ctx,
        { ...filters, ...(since !== undefined && { since: new Date(since).toISOString() }), ...(until !== undefined && { until: new Date(until).toISOString() }) },
        { limit: limit ?? DEFAULT_PAGE_SIZE, cursor: cursor ?? null },
      );
      return { items: page.items, nextCursor: page.nextCursor };
    });
  };
}
