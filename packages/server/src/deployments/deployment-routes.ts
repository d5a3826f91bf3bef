import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, PageOf, PageQuery, Slug } from '../http/schemas.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import { DeploymentSchema, LogLineSchema, presentDeployment } from './deployment-presenter.js';
import type { DeploymentService } from './deployment-service.js';
import type { DeploymentSignals } from './deployment-signals.js';
import type { DeploymentStatus } from './deployment-store.js';
import { streamLogs } from './log-stream.js';

const STATUSES = ['pending_approval', 'pending', 'running', 'succeeded', 'failed', 'rolled_back', 'cancelled'] as const;
const ProjectParams = Type.Object({ project: Type.String({ maxLength: 200 }) });
const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-z]{26}$' }) });
const Reason = Type.String({ minLength: 1, maxLength: 2000 });

const RequestBody = Type.Object(
  {
    version: Type.String({ minLength: 1, maxLength: 100 }),
    environment: Slug,
    reason: Type.Optional(Reason),
    override: Type.Optional(Type.Object({ reason: Reason }, { additionalProperties: false, description: 'release-manager+: deploy outside a window or during a freeze' })),
  },
  { additionalProperties: false },
);
const ReasonBody = Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false });
const ApproveBody = Type.Object({ comment: Type.Optional(Reason) }, { additionalProperties: false });
// These actions may be POSTed without a body: it then counts as {}.
const emptyBodyIsObject = async (request: { body: unknown }) => {
  request.body ??= {};
};

export function deploymentRoutes(deployments: DeploymentService, signals: DeploymentSignals): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['deployments'];
    const one = { 200: DeploymentSchema, 201: DeploymentSchema, ...errorResponses };

    app.post('/projects/:project/deployments', { schema: { tags, summary: 'Request a deployment (every guardrail is checked)', params: ProjectParams, body: RequestBody, response: one } }, async (request, reply) => {
      const { deployment, callbackToken } = await deployments.request(request.ctx, request.params.project, request.body);
      return reply.status(201).send(presentDeployment(deployment, callbackToken));
    });

    app.get(
      '/projects/:project/deployments',
      {
        schema: {
          tags,
          summary: 'Deployment history, newest first',
          params: ProjectParams,
          querystring: Type.Composite(
            [PageQuery, Type.Object({ environment: Type.Optional(Slug), status: Type.Optional(Type.Union(STATUSES.map((s) => Type.Literal(s)))), version: Type.Optional(Type.String({ maxLength: 100 })) })],
            { additionalProperties: false },
          ),
          response: { 200: PageOf(DeploymentSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor, environment, status, version } = request.query;
        const filter = { ...(environment !== undefined && { environment }), ...(status !== undefined && { status: status as DeploymentStatus }), ...(version !== undefined && { version }) };
        const page = await deployments.list(request.params.project, filter, { limit: limit ?? DEFAULT_PAGE_SIZE, cursor: cursor ?? null });
        return { items: page.items.map((d) => presentDeployment(d)), nextCursor: page.nextCursor };
      },
    );

    app.get('/deployments/:id', { schema: { tags, summary: 'One deployment with its targets', params: IdParams, response: one } }, async (request) => presentDeployment(await deployments.get(request.params.id)));

    app.post('/deployments/:id/approve', { preValidation: emptyBodyIsObject, schema: { tags, summary: 'Approve (a listed role, not the requester)', params: IdParams, body: ApproveBody, response: one } }, async (request) =>
      presentDeployment(await deployments.approve(request.ctx, request.params.id, request.body)),
    );

    app.post('/deployments/:id/cancel', { preValidation: emptyBodyIsObject, schema: { tags, summary: 'Cancel a deployment that has not started', params: IdParams, body: ReasonBody, response: one } }, async (request) =>
      presentDeployment(await deployments.cancel(request.ctx, request.params.id, request.body)),
    );

    app.post('/deployments/:id/rollback', { preValidation: emptyBodyIsObject, schema: { tags, summary: 'Deploy the version that succeeded there before', params: IdParams, body: ReasonBody, response: one } }, async (request, reply) => {
      const { deployment, callbackToken } = await deployments.rollback(request.ctx, request.params.id, request.body);
      return reply.status(201).send(presentDeployment(deployment, callbackToken));
    });

    app.get(
      '/deployments/:id/logs',
      {
        schema: {
          tags,
          summary: 'Logs: JSON, or an SSE stream (Accept: text/event-stream) that follows until the deployment ends',
          params: IdParams,
          querystring: Type.Object({ after: Type.Optional(Type.String({ pattern: '^[0-9a-z]{26}$' })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })) }, { additionalProperties: false }),
          response: { 200: Type.Object({ items: Type.Array(LogLineSchema), next: Type.Union([Type.String(), Type.Null()]), status: Type.String() }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        if ((request.headers.accept ?? '').includes('text/event-stream')) {
          await deployments.get(id);
          return streamLogs(request, reply, deployments, signals, id, request.query.after ?? null);
        }
        const limit = request.query.limit ?? 1000;
        const items = await deployments.logs(id, request.query.after ?? null, limit);
        const d = await deployments.get(id);
        return { items, next: items.length > 0 ? items[items.length - 1]!.id : (request.query.after ?? null), status: d.status };
      },
    );
  };
}
