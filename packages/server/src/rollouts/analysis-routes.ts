import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AnalysisTemplate, Plan } from '@slipway/rollout-engine';
import { errorResponses, Nullable } from '../http/schemas.js';
import type { AnalysisService, NamedView } from './analysis-service.js';
import { PlanSchema } from './rollout-routes.js';

const Key = Type.String({ maxLength: 200 });
const Name = Type.String({ maxLength: 100 });
const MetricSchema = Type.Object(
  {
    name: Type.String({ maxLength: 100 }),
    provider: Type.Unknown({ description: '{ slipway: { metric: "error-rate"|"latency-p95"|"requests", window? } } | { prometheus: { address, query, baselineQuery?, timeout? } } | { web: { url, jsonPath, baselineJsonPath?, headers?, timeout? } }' }),
    interval: Type.Optional(Type.String({ maxLength: 32 })),
    count: Type.Optional(Type.Integer()),
    initialDelay: Type.Optional(Type.String({ maxLength: 32 })),
    successCondition: Type.Optional(Type.String({ maxLength: 1000 })),
    failureCondition: Type.Optional(Type.String({ maxLength: 1000 })),
    failureLimit: Type.Optional(Type.Integer()),
    consecutiveFailureLimit: Type.Optional(Type.Integer()),
    inconclusiveLimit: Type.Optional(Type.Integer()),
    consecutiveErrorLimit: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
const TemplateBody = Type.Object({ name: Name, metrics: Type.Array(MetricSchema, { maxItems: 20 }) }, { additionalProperties: false });
const PlanBody = Type.Object({ name: Name, ...PlanSchema.properties }, { additionalProperties: false });

const View = (body: ReturnType<typeof Type.Unknown>) =>
  Type.Object({ name: Type.String(), builtIn: Type.Boolean(), createdBy: Nullable(Type.String()), createdAt: Nullable(Type.String()), updatedAt: Nullable(Type.String()), body });

function presentTemplate(v: NamedView<AnalysisTemplate>) {
  return { name: v.name, builtIn: v.builtIn, createdBy: v.createdBy, createdAt: v.createdAt, updatedAt: v.updatedAt, body: v.body };
}
function presentPlan(v: NamedView<Plan>) {
  return { name: v.name, builtIn: v.builtIn, createdBy: v.createdBy, createdAt: v.createdAt, updatedAt: v.updatedAt, body: v.body };
}

const TemplateView = Type.Object({ ...View(Type.Unknown()).properties, metrics: Type.Array(Type.Unknown()) });
const PlanView = Type.Object({ ...View(Type.Unknown()).properties, steps: Type.Array(Type.Unknown()), analysis: Nullable(Type.Unknown()) });

/** Templates answer `{ name, builtIn, metrics, … }` and plans `{ name, builtIn, steps, analysis, … }` (the body's fields at the top). */
const flatTemplate = (v: NamedView<AnalysisTemplate>) => ({ ...presentTemplate(v), metrics: v.body.metrics });
const flatPlan = (v: NamedView<Plan>) => ({ ...presentPlan(v), steps: v.body.steps, analysis: v.body.analysis ?? null });

export function analysisRoutes(analysis: AnalysisService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['rollouts'];
    const P = Type.Object({ project: Key });
    const PN = Type.Object({ project: Key, name: Name });
    app.get('/projects/:project/analysis-templates', { schema: { tags, summary: 'Analysis templates of a project, the shipped ones included (builtIn)', params: P, response: { 200: Type.Object({ items: Type.Array(TemplateView) }), ...errorResponses } } }, async (request) => ({
      items: (await analysis.listTemplates(request.params.project)).map(flatTemplate),
    }));
    app.post('/projects/:project/analysis-templates', { schema: { tags, summary: 'Create an analysis template (conditions are checked now, with the column of any error)', params: P, body: TemplateBody, response: { 201: TemplateView, ...errorResponses } } }, async (request, reply) =>
      reply.status(201).send(flatTemplate(await analysis.createTemplate(request.ctx, request.params.project, request.body as AnalysisTemplate))),
    );
    app.get('/projects/:project/analysis-templates/:name', { schema: { tags, summary: 'One analysis template', params: PN, response: { 200: TemplateView, ...errorResponses } } }, async (request) => flatTemplate(await analysis.getTemplate(request.params.project, request.params.name)));
    app.delete('/projects/:project/analysis-templates/:name', { schema: { tags, summary: 'Delete an analysis template (running rollouts keep their copy)', params: PN, response: { 204: Type.Null(), ...errorResponses } } }, async (request, reply) => {
      await analysis.delete(request.ctx, request.params.project, 'analysisTemplates', request.params.name);
      return reply.status(204).send(null);
    });

    app.get('/projects/:project/rollout-plans', { schema: { tags, summary: 'Rollout plans of a project, the shipped standard-canary included', params: P, response: { 200: Type.Object({ items: Type.Array(PlanView) }), ...errorResponses } } }, async (request) => ({
      items: (await analysis.listPlans(request.params.project)).map(flatPlan),
    }));
    app.post('/projects/:project/rollout-plans', { schema: { tags, summary: 'Create a named rollout plan', params: P, body: PlanBody, response: { 201: PlanView, ...errorResponses } } }, async (request, reply) =>
      reply.status(201).send(flatPlan(await analysis.createPlan(request.ctx, request.params.project, request.body as { name: string } & Plan))),
    );
    app.get('/projects/:project/rollout-plans/:name', { schema: { tags, summary: 'One rollout plan', params: PN, response: { 200: PlanView, ...errorResponses } } }, async (request) => flatPlan(await analysis.getPlan(request.params.project, request.params.name)));
    app.delete('/projects/:project/rollout-plans/:name', { schema: { tags, summary: 'Delete a rollout plan', params: PN, response: { 204: Type.Null(), ...errorResponses } } }, async (request, reply) => {
      await analysis.delete(request.ctx, request.params.project, 'rolloutPlans', request.params.name);
      return reply.status(204).send(null);
    });
  };
}
