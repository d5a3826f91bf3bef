import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { errorResponses, Nullable } from '../http/schemas.js';
import type { OutboxBus } from '../outbox/outbox-bus.js';
import type { StatusService } from './status-service.js';
import { streamStatus } from './status-stream.js';

const Landed = Type.Object({ deploymentId: Type.String(), version: Type.String(), tag: Type.String(), commit: Type.String(), at: Type.String(), by: Type.String() });
const Cell = Type.Object({
  project: Type.String(),
  environment: Type.String(),
  current: Nullable(Landed),
  previous: Nullable(Landed),
  inFlight: Nullable(
    Type.Object({
      deploymentId: Type.String(),
      version: Type.String(),
      status: Type.String(),
      requestedBy: Type.String(),
      since: Type.String(),
      canary: Type.Optional(
        Type.Object(
          { rolloutId: Type.String(), stableVersion: Type.String(), weight: Type.Number(), status: Type.String() },
          { description: 'a canary deployment: `version` serves `weight` % beside `stableVersion`; status is its rollout\'s (running, paused, …)' },
        ),
      ),
    }),
  ),
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

const EnvironmentStateSchema = Type.Object({
  key: Type.String(),
  name: Type.String(),
  rank: Type.Integer(),
  color: Type.String(),
  protected: Type.Boolean(),
  production: Type.Boolean(),
  frozen: Nullable(Type.Object({ reason: Type.String(), from: Type.String(), to: Type.String() })),
  inWindow: Type.Boolean({ description: 'inside one of its deploy windows now (true when it has none)' }),
  open: Type.Boolean({ description: 'neither frozen nor outside its windows: deployments may go there now' }),
  opensAt: Nullable(Type.String({ description: 'when closed: when it opens next (after the freeze, in the next window); null when open or nothing opens within two weeks' })),
  opensAtLocal: Nullable(Type.String({ description: 'the opening as the window wall clock shows it, e.g. "mon 2026-01-12 09:00 America/New_York"' })),
});

const StatusResponse = Type.Object({
  environments: Type.Array(Type.String()),
  environmentStates: Type.Array(EnvironmentStateSchema, { description: 'each environment by rank: colour, frozen or outside its window, and when it opens' }),
  items: Type.Array(Cell),
  generatedAt: Type.String(),
});

export interface StatusRouteOptions {
  /** The in-process outbox, whose deployment and environment events wake the SSE stream. */
  outbox: OutboxBus;
  /** How often a stream looks for changes it was not woken for (other replicas, instance reports, windows). */
  pollMs: number;
}

export function statusRoutes(status: StatusService, options?: StatusRouteOptions): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/status',
      {
        schema: {
          tags: ['status'],
          summary:
            'What runs where: current, previous and in-flight versions per project and environment, with drift and each environment\'s freeze/window state. ETag / If-None-Match → 304 for cheap polling; Accept: text/event-stream streams a `status` event on every change',
          querystring: Type.Object({ project: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
          response: { 200: StatusResponse, ...errorResponses },
        },
      },
      // The service returns the JSON text (see StatusService): sent as it is, not re-serialised.
      async (request, reply) => {
        const filter = request.query.project === undefined ? {} : { project: request.query.project };
        if (options && (request.headers.accept ?? '').includes('text/event-stream')) {
          await status.matrix(filter); // an unknown project is a 404 before the stream starts
          return streamStatus(request, reply, status, options.outbox, filter, options.pollMs);
        }
        const matrix = await status.matrix(filter);
        reply.header('etag', matrix.etag).header('cache-control', 'no-cache');
        if (request.headers['if-none-match'] === matrix.etag) return reply.status(304).send(undefined as never);
        // Bytes are written as they are; the schema above documents their shape.
        return reply.type('application/json; charset=utf-8').send(matrix.body() as unknown as Static<typeof StatusResponse>);
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
