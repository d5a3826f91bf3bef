import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, Nullable, PageOf, PageQuery, Slug } from '../http/schemas.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import { DeploymentSchema, LogLineSchema, presentDeployment } from './deployment-presenter.js';
import type { DeploymentApprovals } from './deployment-approvals.js';
import type { DeploymentRollbacks, RollbackPlan } from './deployment-rollbacks.js';
import type { DeploymentService } from './deployment-service.js';
import type { DeploymentSignals } from './deployment-signals.js';
import type { DeploymentStatus } from './deployment-store.js';
import { streamLogs } from './log-stream.js';
import type { Plan } from '@slipway/rollout-engine';
import { PlanSchema as RolloutPlanSchema } from '../rollouts/rollout-routes.js';

const STATUSES = ['pending_approval', 'pending', 'running', 'succeeded', 'failed', 'rolled_back', 'cancelled', 'rejected'] as const;
const EnvParams = Type.Object({ project: Type.String({ maxLength: 200 }), env: Type.String({ maxLength: 200 }) });
const Version = Type.String({ minLength: 1, maxLength: 100 });
const ProjectParams = Type.Object({ project: Type.String({ maxLength: 200 }) });
const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-z]{26}$' }) });
const Reason = Type.String({ minLength: 1, maxLength: 2000 });

const RequestBody = Type.Object(
  {
    version: Type.String({ minLength: 1, maxLength: 100 }),
    environment: Slug,
    reason: Type.Optional(Reason),
    override: Type.Optional(Type.Object({ reason: Reason }, { additionalProperties: false, description: 'release-manager+: deploy outside a window or during a freeze' })),
    dryRun: Type.Optional(Type.Boolean({ description: 'true: answer 200 with every guard that would refuse, creating nothing' })),
    strategy: Type.Optional(Type.Union([Type.Literal('all-at-once'), Type.Literal('canary')], { description: 'canary: a progressive rollout tells the executors each weight (docs/rollouts.md); default all-at-once' })),
    plan: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 100 }), RolloutPlanSchema], { description: 'canary: a rollout plan\'s name (default standard-canary) or { steps: [...] }' })),
    analysis: Type.Optional(Type.Object({ templates: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 20 }) }, { additionalProperties: false, description: 'canary: background analysis templates added to the plan\'s' })),
  },
  { additionalProperties: false },
);
const ReasonBody = Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false });
const RollbackBody = Type.Object({ version: Type.Optional(Version), reason: Type.Optional(Reason) }, { additionalProperties: false });
const ApproveBody = Type.Object({ comment: Type.Optional(Reason) }, { additionalProperties: false });
const RejectBody = Type.Object({ comment: Reason }, { additionalProperties: false });
const RefusalSchema = Type.Object({ code: Type.String(), message: Type.String(), details: Type.Record(Type.String(), Type.Unknown()) });
const PreflightSchema = Type.Object({
  allowed: Type.Boolean(),
  refusals: Type.Array(RefusalSchema, { description: 'every guard that refuses, not only the first' }),
  overridable: Type.Array(Type.String(), { description: 'codes an override with a reason (release-manager+) would set aside' }),
  approvals: Type.Array(Type.Object({ name: Type.String(), required: Type.Integer(), roles: Type.Array(Type.String()), users: Type.Array(Type.String()), description: Type.String() }), {
    description: 'approval groups the deployment would wait for',
  }),
  targets: Type.Array(Type.String()),
});
const PlanSchema = Type.Object({
  project: Type.String(),
  environment: Type.String(),
  from: Type.Object({ version: Type.String(), deploymentId: Type.String(), status: Type.String(), kind: Type.String() }),
  to: Type.Object({ version: Type.String(), tag: Type.String(), commit: Type.String(), kind: Type.String(), succeededIn: Type.String(), explicit: Type.Boolean() }),
  targets: Type.Array(Type.Object({ key: Type.String(), current: Nullable(Type.String()), to: Type.String(), rollsBack: Type.Boolean() })),
  notes: Type.Object({
    releases: Type.Array(Type.Object({ version: Type.String(), kind: Type.String(), tickets: Type.Array(Type.String()) })),
    tickets: Type.Array(Type.String()),
    hotfixes: Type.Array(Type.String()),
  }),
  failedRollback: Nullable(Type.Object({ deploymentId: Type.String(), version: Type.String(), failure: Nullable(Type.String()) })),
});
const present = (plan: RollbackPlan) => plan;
// These actions may be POSTed without a body: it then counts as {}.
const emptyBodyIsObject = async (request: { body: unknown }) => {
  request.body ??= {};
};

export interface DeploymentRouteServices {
  service: DeploymentService;
  approvals: DeploymentApprovals;
  rollbacks: DeploymentRollbacks;
  signals: DeploymentSignals;
}

export function deploymentRoutes(feature: DeploymentRouteServices): FastifyPluginAsyncTypebox {
  const { service: deployments, approvals, rollbacks, signals } = feature;
  return async (app) => {
    const tags = ['deployments'];
    const one = { 200: DeploymentSchema, 201: DeploymentSchema, ...errorResponses };

    app.post(
      '/projects/:project/deployments',
      { schema: { tags, summary: 'Request a deployment (every guardrail is checked); dryRun: every refusal, nothing created', params: ProjectParams, body: RequestBody, response: { ...one, 200: Type.Union([PreflightSchema, DeploymentSchema]) } } },
      async (request, reply) => {
        const { dryRun, plan, ...rest } = request.body;
        // The plan's steps are checked by the rollout engine (400 naming the step), not by the schema.
        const input = { ...rest, ...(plan !== undefined && { plan: plan as string | Plan }) };
        if (dryRun) return reply.status(200).send(await deployments.preflight(request.ctx, request.params.project, input));
        const { deployment, callbackToken } = await deployments.request(request.ctx, request.params.project, input);
        return reply.status(201).send(presentDeployment(deployment, callbackToken));
      },
    );

    app.get(
      '/projects/:project/environments/:env/rollback-preview',
      {
        schema: {
          tags,
          summary: 'What a rollback would do: from which version to which, per target, and what it removes (409/422 when an explicit version is needed)',
          params: EnvParams,
          querystring: Type.Object({ version: Type.Optional(Version) }, { additionalProperties: false }),
          response: { 200: PlanSchema, ...errorResponses },
        },
      },
      async (request) =>
        present(await rollbacks.preview(request.ctx, { project: request.params.project, environment: request.params.env, ...(request.query.version !== undefined && { version: request.query.version }) })),
    );

    app.post(
      '/projects/:project/environments/:env/rollback',
      { preValidation: emptyBodyIsObject, schema: { tags, summary: 'Roll the environment back to the last good version (or `version`), on the targets that changed', params: EnvParams, body: RollbackBody, response: one } },
      async (request, reply) => {
        const { deployment, callbackToken } = await rollbacks.rollback(request.ctx, { project: request.params.project, environment: request.params.env, ...request.body });
        return reply.status(201).send(presentDeployment(deployment, callbackToken));
      },
    );

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

    app.post('/deployments/:id/approve', { preValidation: emptyBodyIsObject, schema: { tags, summary: 'Approve (a member of a group still missing approvals, not the requester)', params: IdParams, body: ApproveBody, response: one } }, async (request) =>
      presentDeployment(await approvals.approve(request.ctx, request.params.id, request.body)),
    );

    app.post('/deployments/:id/reject', { schema: { tags, summary: 'Reject a request waiting for approval: it ends rejected', params: IdParams, body: RejectBody, response: one } }, async (request) =>
      presentDeployment(await approvals.reject(request.ctx, request.params.id, request.body)),
    );

    app.post('/deployments/:id/cancel', { preValidation: emptyBodyIsObject, schema: { tags, summary: 'Cancel: a pending deployment ends at once, a running one stops its targets', params: IdParams, body: ReasonBody, response: one } }, async (request) =>
      presentDeployment(await deployments.cancel(request.ctx, request.params.id, request.body)),
    );

    app.post('/deployments/:id/rollback', { preValidation: emptyBodyIsObject, schema: { tags, summary: 'Roll back the environment\'s latest deployment to the last good version (or `version`)', params: IdParams, body: RollbackBody, response: one } }, async (request, reply) => {
      const { deployment, callbackToken } = await rollbacks.rollback(request.ctx, { deploymentId: request.params.id, ...request.body });
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
