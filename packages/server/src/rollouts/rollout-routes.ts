import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { describeStep, type Plan, type ResolvedMetric, type RolloutCommand, type RolloutSpec } from '@slipway/rollout-engine';
import { errorResponses, Nullable, PageOf, PageQuery } from '../http/schemas.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import type { Rollout, StoredDecision, StoredMeasurement } from './rollout-store.js';
import type { RolloutDetails, RolloutService } from './rollout-service.js';

const Key = Type.String({ maxLength: 200 });
const Json = Type.Unknown();
const StepSchema = Type.Unknown({ description: '{ setWeight } | { pause: { duration? } } | { analysis: { templates } }' });
export const PlanSchema = Type.Object(
  {
    steps: Type.Array(StepSchema, { minItems: 1, maxItems: 100 }),
    analysis: Type.Optional(Type.Object({ templates: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 20 }), startingStep: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

const RolloutSummary = Type.Object({
  id: Type.String(),
  project: Type.String(),
  environment: Type.String(),
  target: Type.Object({
    kind: Type.String({ description: 'flag or deployment' }),
    flag: Type.Optional(Type.String()),
    variant: Type.Optional(Type.String()),
    onFailure: Type.Optional(Type.String()),
    stable: Type.Optional(Type.Array(Type.Object({ variant: Type.String(), weight: Type.Number() }))),
    deploymentId: Type.Optional(Type.String({ description: 'kind deployment: the canary deployment' })),
    stableVersion: Type.Optional(Type.String()),
    canaryVersion: Type.Optional(Type.String()),
  }),
  plan: Nullable(Type.String()),
  status: Type.String(),
  stepIndex: Type.Integer(),
  weight: Type.Number(),
  currentStep: Type.String(),
  steps: Type.Array(Json),
  pause: Nullable(Type.Object({ reason: Type.String(), since: Type.String(), message: Nullable(Type.String()) })),
  pending: Nullable(Type.Object({ type: Type.String(), weight: Type.Number() })),
  analysis: Type.Array(
    Type.Object({
      id: Type.String(),
      kind: Type.String(),
      step: Nullable(Type.Integer()),
      phase: Type.String(),
      startedAt: Type.String(),
      metrics: Type.Array(Type.Object({ name: Type.String(), template: Type.String(), phase: Type.String(), count: Type.Integer(), successful: Type.Integer(), failed: Type.Integer(), inconclusive: Type.Integer(), error: Type.Integer(), consecutiveFailed: Type.Integer(), consecutiveError: Type.Integer(), lastAt: Nullable(Type.String()), message: Nullable(Type.String()) })),
    }),
  ),
  lastError: Nullable(Type.String()),
  createdBy: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  finishedAt: Nullable(Type.String()),
});

const Decision = Type.Object({ id: Type.String(), at: Type.String(), type: Type.String(), stepIndex: Type.Integer(), weight: Type.Number(), message: Type.String(), actor: Type.String(), data: Nullable(Json) });
const MeasurementSchema = Type.Object({ id: Type.String(), runId: Type.String(), metric: Type.String(), seq: Type.Integer(), at: Type.String(), phase: Type.String(), value: Nullable(Type.Number()), baseline: Nullable(Type.Number()), message: Nullable(Type.String()), data: Nullable(Json) });
const MetricSpecView = Type.Object({
  name: Type.String(),
  template: Type.String(),
  where: Type.String({ description: '"background" or "step N" (1-based) of the analysis step that measures it' }),
  provider: Type.String({ description: 'slipway, prometheus or web' }),
  interval: Nullable(Type.String()),
  successCondition: Nullable(Type.String()),
  failureCondition: Nullable(Type.String()),
});
const RolloutResponse = Type.Object({ ...RolloutSummary.properties, metrics: Type.Array(MetricSpecView, { description: 'every metric the rollout measures, with the conditions it judges them by (the copy taken when it started)' }), timeLeftMs: Nullable(Type.Number()), nextCheckAt: Nullable(Type.String()), decisions: Type.Array(Decision), measurements: Type.Array(MeasurementSchema) });

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export function presentRollout(r: Rollout) {
  const s = r.state;
  return {
    id: r.id,
    project: r.projectKey,
    environment: r.environment,
    target: r.target,
    plan: r.planName,
    status: s.status,
    stepIndex: s.stepIndex,
    weight: s.weight,
    currentStep: describeStep(r.spec.steps[s.stepIndex]),
    steps: r.spec.steps.map((step) => ('analysis' in step ? { analysis: { templates: step.analysis.templates } } : step)),
    pause: s.pause ? { reason: s.pause.reason, since: iso(s.pause.since)!, message: s.pause.message ?? null } : null,
    pending: s.pending ? { type: s.pending.type, weight: s.pending.weight } : null,
    analysis: s.runs.map((run) => ({ id: run.id, kind: run.kind, step: run.step, phase: run.phase, startedAt: iso(run.startedAt)!, metrics: run.metrics.map((m) => ({ ...m, lastAt: iso(m.lastAt) })) })),
    lastError: r.lastError,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    finishedAt: r.finishedAt,
  };
}

const presentDecision = (d: StoredDecision) => ({ id: d.id, at: iso(d.at)!, type: d.type, stepIndex: d.stepIndex, weight: d.weight, message: d.message, actor: d.actor, data: d.data ?? null });
const presentMeasurement = (m: StoredMeasurement) => ({ id: m.id, runId: m.runId, metric: m.metric, seq: m.seq, at: iso(m.at)!, phase: m.phase, value: m.value, baseline: m.baseline, message: m.message, data: m.data ?? null });

/** The metrics a rollout measures (its own copy of the templates), so a page can draw their thresholds. */
export function metricsOf(spec: RolloutSpec) {
  const view = (m: ResolvedMetric, where: string) => ({
    name: m.name,
    template: m.template,
    where,
    provider: Object.keys(m.provider)[0] ?? 'unknown',
    interval: m.interval ?? null,
    successCondition: m.successCondition ?? null,
    failureCondition: m.failureCondition ?? null,
  });
  return [
    ...(spec.background?.metrics ?? []).map((m) => view(m, 'background')),
    ...spec.steps.flatMap((step, i) => ('analysis' in step ? step.analysis.metrics.map((m) => view(m, `step ${i + 1}`)) : [])),
  ];
}

export function presentDetails(d: RolloutDetails) {
  return { ...presentRollout(d.rollout), metrics: metricsOf(d.rollout.spec), timeLeftMs: d.timeLeftMs, nextCheckAt: d.nextCheckAt, decisions: d.decisions.map(presentDecision), measurements: d.measurements.map(presentMeasurement) };
}

const COMMANDS: RolloutCommand[] = ['pause', 'resume', 'promote', 'promote-full', 'abort', 'retry'];

export function rolloutRoutes(rollouts: RolloutService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['rollouts'];
    app.post(
      '/projects/:project/flags/:flag/environments/:env/rollouts',
      {
        schema: {
          tags,
          summary: "Roll a flag variant out: move its share of the environment's default split through the plan's weights, judged by analysis",
          params: Type.Object({ project: Key, flag: Key, env: Key }),
          body: Type.Object(
            {
              variant: Type.String({ minLength: 1, maxLength: 100 }),
              plan: Type.Union([Type.String({ minLength: 1, maxLength: 100 }), PlanSchema], { description: 'a plan name (e.g. "standard-canary") or { steps, analysis? }' }),
              analysis: Type.Optional(Type.Object({ templates: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 20 }) }, { additionalProperties: false })),
              onFailure: Type.Optional(Type.Union([Type.Literal('zero'), Type.Literal('off')], { description: 'on failure or abort: the variant back to 0 % (default) or the flag off' })),
            },
            { additionalProperties: false },
          ),
          response: { 201: RolloutResponse, ...errorResponses },
        },
      },
      async (request, reply) => {
        const p = request.params;
        const body = request.body as { variant: string; plan: string | Plan; analysis?: { templates: string[] }; onFailure?: 'zero' | 'off' };
        const r = await rollouts.startFlagRollout(request.ctx, p.project, p.flag, p.env, body);
        return reply.status(201).send(presentDetails(await rollouts.get(r.id)));
      },
    );

    app.get(
      '/projects/:project/rollouts',
      {
        schema: {
          tags,
          summary: "A project's rollouts, newest first",
          params: Type.Object({ project: Key }),
          querystring: Type.Object({ ...PageQuery.properties, status: Type.Optional(Type.String({ maxLength: 40 })), environment: Type.Optional(Key) }, { additionalProperties: false }),
          response: { 200: PageOf(RolloutSummary), ...errorResponses },
        },
      },
      async (request) => {
        const q = request.query;
        const page = await rollouts.list(request.params.project, { limit: q.limit ?? DEFAULT_PAGE_SIZE, cursor: q.cursor ?? null, ...(q.status && { status: q.status }), ...(q.environment && { environment: q.environment }) });
        return { items: page.items.map(presentRollout), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/rollouts/:id',
      { schema: { tags, summary: 'One rollout: status, step, weight, analysis runs, every decision and the latest measurements', params: Type.Object({ id: Key }), response: { 200: RolloutResponse, ...errorResponses } } },
      async (request) => presentDetails(await rollouts.get(request.params.id)),
    );

    for (const cmd of COMMANDS) {
      app.post(
        `/rollouts/:id/${cmd}`,
        {
          schema: {
            tags,
            summary: {
              pause: 'Pause a running rollout (analysis keeps measuring)',
              resume: 'Resume a paused rollout (a pause step ends; an inconclusive analysis starts afresh)',
              promote: 'Skip the current step',
              'promote-full': 'Go to 100 % now, skipping the remaining steps',
              abort: 'Stop and put the weight back to 0 %',
              retry: 'Start an aborted or rolled-back rollout again from step 1',
            }[cmd],
            params: Type.Object({ id: Key }),
            response: { 200: RolloutResponse, ...errorResponses },
          },
        },
        async (request) => {
          await rollouts.command(request.ctx, request.params.id, cmd);
          return presentDetails(await rollouts.get(request.params.id));
        },
      );
    }
  };
}
