import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses } from '../http/schemas.js';
import { requireServerKey } from '../sdk/sdk-auth.js';
import type { SdkKeyAuthenticator } from '../sdk/sdk-key-service.js';
import type { MetricPointInput, MetricsIngestion } from './metrics-ingestion.js';
import { MAX_POINTS } from './metrics-ingestion.js';

const Count = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });
const Point = Type.Object(
  {
    version: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    flag: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$' })),
    variant: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    requests: Count,
    errors: Count,
    latencyMs: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 86_400_000 }), Type.Array(Type.Number({ minimum: 0, maximum: 86_400_000 }), { maxItems: 10_000 })])),
    latencyBuckets: Type.Optional(Type.Array(Count, { maxItems: 12 })),
    at: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

/** `POST /api/v1/metrics` — server SDK keys only (outside the user-token hook). */
export function metricsRoutes(ingestion: MetricsIngestion, authenticate: SdkKeyAuthenticator): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/metrics',
      {
        schema: {
          tags: ['rollouts'],
          summary: 'Report requests, errors and latencies per version and flag variant (server SDK key; aggregated per minute for rollout analysis)',
          security: [{ bearer: [] }],
          body: Type.Object({ points: Type.Array(Point, { maxItems: MAX_POINTS }) }, { additionalProperties: false }),
          response: { 202: Type.Object({ accepted: Type.Integer(), minutes: Type.Integer() }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const key = await requireServerKey(request.headers, authenticate);
        const result = await ingestion.ingest({ projectKey: key.projectKey, environmentKey: key.environmentKey }, request.body.points as MetricPointInput[]);
        return reply.status(202).send(result);
      },
    );
  };
}
