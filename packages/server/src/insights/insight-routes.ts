import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../http/schemas.js';
import type { Clock } from '../shared/clock.js';
import type { DoraService } from './dora-service.js';
import { DoraQuerySchema, DoraResponse, QualityQuerySchema, QualityResponse } from './insight-schemas.js';
import type { QualityService } from './quality-service.js';
import { parseRange, parseTimeZone } from './range.js';

export function insightRoutes(dora: DoraService, quality: QualityService, clock: Clock): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['insights'];
    app.get(
      '/insights/dora',
      { schema: { tags, summary: 'DORA metrics with performance bands and a trend (docs/insights.md says how each is computed)', querystring: DoraQuerySchema, response: { 200: DoraResponse, ...errorResponses } } },
      async (request) => {
        const q = request.query;
        const { from, to } = parseRange(q, clock.now());
        return dora.dora({ ...(q.project !== undefined && { project: q.project }), environment: q.environment ?? 'production', from, to, interval: q.interval ?? 'week', timezone: parseTimeZone(q.timezone) });
      },
    );

    app.get(
      '/insights/quality',
      { schema: { tags, summary: 'QA and bug statistics per week (or month), and bugs found after each release shipped', querystring: QualityQuerySchema, response: { 200: QualityResponse, ...errorResponses } } },
      async (request) => {
        const q = request.query;
        const { from, to } = parseRange(q, clock.now(), 56);
        return quality.quality({
          ...(q.project !== undefined && { project: q.project }),
          environment: q.environment ?? 'production',
          from,
          to,
          interval: q.interval ?? 'week',
          timezone: parseTimeZone(q.timezone),
          signoffKind: q.signoffKind ?? 'qa',
        });
      },
    );
  };
}
