import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { errorResponses, Nullable } from '../http/schemas.js';
import type { StatusService } from './status-service.js';

const Landed = Type.Object({ deploymentId: Type.String(), version: Type.String(), tag: Type.String(), commit: Type.String(), at: Type.String(), by: Type.String() });
const Cell = Type.Object({
  project: Type.String(),
  environment: Type.String(),
  current: Nullable(Landed),
  previous: Nullable(Landed),
  inFlight: Nullable(Type.Object({ deploymentId: Type.String(), version: Type.String(), status: Type.String(), requestedBy: Type.String(), since: Type.String() })),
  targets: Nullable(Type.Array(Type.Object({ key: Type.String(), deploymentId: Type.String(), version: Type.String(), tag: Type.String(), commit: Type.String(), at: Type.String(), by: Type.String() }))),
  instances: Type.Integer({ description: 'instances that sent a heartbeat in the last 10 minutes' }),
  drift: Nullable(
    Type.Array(Type.Object({ instance: Type.String(), target: Nullable(Type.String()), version: Type.String(), seenAt: Type.String(), expected: Nullable(Type.String()) }), {
      description: 'up to 20 drifting instances; driftCount and driftVersions summarise them all',
    }),
  ),
  driftCount: Type.Integer(),
  driftVersions: Type.Array(Type.Object({ version: Type.String(), instances: Type.Integer() })),
});

const StatusResponse = Type.Object({ environments: Type.Array(Type.String()), items: Type.Array(Cell), generatedAt: Type.String() });

export function statusRoutes(status: StatusService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/status',
      {
        schema: {
          tags: ['status'],
          summary: 'What runs where: current, previous and in-flight versions per project and environment, with drift',
          querystring: Type.Object({ project: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
          response: { 200: StatusResponse, ...errorResponses },
        },
      },
      // The service returns the JSON text (see StatusService): sent as it is, not re-serialised.
      async (request, reply) => {
        const json = await status.matrixJson(request.query.project === undefined ? {} : { project: request.query.project });
        // A string payload is written as it is; the schema above documents its shape.
        return reply.type('application/json; charset=utf-8').send(json as unknown as Static<typeof StatusResponse>);
      },
    );

    app.post(
      '/projects/:project/environments/:env/heartbeat',
      {
        config: { allowSdkKey: true },
        schema: {
          tags: ['status'],
          summary: 'A running instance reports its version (a token of engineer+, or a server SDK key of that project and environment)',
          params: Type.Object({ project: Type.String({ maxLength: 200 }), env: Type.String({ maxLength: 200 }) }),
          body: Type.Object(
            {
              version: Type.String({ minLength: 1, maxLength: 100 }),
              instance: Type.String({ minLength: 1, maxLength: 200 }),
              target: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' })),
            },
            { additionalProperties: false },
          ),
          response: { 202: Type.Object({ accepted: Type.Boolean() }), ...errorResponses },
        },
      },
      async (request, reply) => {
        await status.heartbeat(request.ctx, request.params.project, request.params.env, request.body);
        return reply.status(202).send({ accepted: true });
      },
    );
  };
}
