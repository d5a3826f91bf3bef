import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, Nullable, Timestamp } from '../http/schemas.js';
import type { DeploymentTimeline } from './deployment-timeline.js';

const TimelineEventSchema = Type.Object({
  id: Type.String(),
  at: Timestamp,
  type: Type.String({ description: 'requested, override_used, approved, started, target_reported, succeeded, failed, cancelled, rolled_back, …' }),
  actor: Type.String(),
  status: Nullable(Type.String({ description: 'the deployment status after this step' })),
  target: Nullable(Type.Object({ key: Type.String(), status: Type.String(), message: Nullable(Type.String()) })),
  message: Type.String(),
});

export function deploymentTimelineRoutes(timeline: DeploymentTimeline): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/deployments/:id/events',
      {
        schema: {
          tags: ['deployments'],
          summary: "A deployment's event timeline, oldest first: requested, approved by whom, started, target reports, ended",
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          response: { 200: Type.Object({ deploymentId: Type.String(), items: Type.Array(TimelineEventSchema) }), ...errorResponses },
        },
      },
      async (request) => ({ deploymentId: request.params.id, items: await timeline.events(request.params.id) }),
    );
  };
}
