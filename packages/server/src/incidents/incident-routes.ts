import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, Nullable, Slug, Timestamp } from '../http/schemas.js';
import type { IncidentView } from '../insights/dora-service.js';
import { parseRange } from '../insights/range.js';
import type { Clock } from '../shared/clock.js';
import type { IncidentRecord } from './incident-store.js';
import type { IncidentService } from './incident-service.js';

const IncidentResponse = Type.Object({
  id: Type.String(),
  source: Type.String({ description: 'deployment (derived from a failed or rolled-back deployment) or manual' }),
  project: Nullable(Type.String()),
  environment: Type.String(),
  title: Type.String(),
  severity: Nullable(Type.String()),
  openedAt: Timestamp,
  resolvedAt: Nullable(Timestamp),
  restoreHours: Nullable(Type.Number()),
  deployments: Type.Array(Type.String()),
  versions: Type.Array(Type.String()),
  resolvedBy: Nullable(Type.String({ description: 'the deployment that restored service' })),
});

function fromRecord(i: IncidentRecord): IncidentView {
  return {
    id: i.id,
    source: 'manual',
    project: i.projectKey,
    environment: i.environment,
    title: i.title,
    severity: i.severity,
    openedAt: i.openedAt,
    resolvedAt: i.resolvedAt,
    restoreHours: i.resolvedAt === null ? null : (Date.parse(i.resolvedAt) - Date.parse(i.openedAt)) / 3_600_000,
    deployments: i.deploymentId ? [i.deploymentId] : [],
    versions: i.version ? [i.version] : [],
    resolvedBy: null,
  };
}

export function incidentRoutes(incidents: IncidentService, clock: Clock): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['insights'];
    app.post(
      '/incidents',
      {
        schema: {
          tags,
          summary: 'Report an incident Slipway cannot see (counted in time to restore; in change failure rate when linked)',
          body: Type.Object(
            {
              project: Type.Optional(Slug),
              environment: Type.Optional(Slug),
              title: Type.String({ minLength: 1, maxLength: 500 }),
              severity: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
              openedAt: Type.Optional(Type.String({ format: 'date-time' })),
              resolvedAt: Type.Optional(Type.String({ format: 'date-time' })),
              deployment: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'the deployment that caused it' })),
              version: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: IncidentResponse, ...errorResponses },
        },
      },
      async (request, reply) => reply.status(201).send(fromRecord(await incidents.create(request.ctx, request.body))),
    );

    app.post(
      '/incidents/:id/resolve',
      {
        schema: {
          tags,
          summary: 'Resolve a reported incident',
          params: Type.Object({ id: Type.String({ maxLength: 200 }) }),
          body: Type.Optional(Type.Object({ resolvedAt: Type.Optional(Type.String({ format: 'date-time' })) }, { additionalProperties: false })),
          response: { 200: IncidentResponse, ...errorResponses },
        },
      },
      async (request) => fromRecord(await incidents.resolve(request.ctx, request.params.id, request.body ?? {})),
    );

    app.get(
      '/incidents',
      {
        schema: {
          tags,
          summary: 'Incidents opened in a range: derived from failed and rolled-back deployments, and reported ones',
          querystring: Type.Object({ project: Type.Optional(Slug), environment: Type.Optional(Slug), from: Type.Optional(Type.String({ maxLength: 40 })), to: Type.Optional(Type.String({ maxLength: 40 })) }, { additionalProperties: false }),
          response: { 200: Type.Object({ items: Type.Array(IncidentResponse), nextCursor: Nullable(Type.String()) }), ...errorResponses },
        },
      },
      async (request) => {
        const { from, to } = parseRange(request.query, clock.now());
        const items = await incidents.list({ ...(request.query.project !== undefined && { project: request.query.project }), environment: request.query.environment ?? 'production', from, to });
        return { items, nextCursor: null };
      },
    );
  };
}
