import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, Nullable, Slug, Timestamp } from '../http/schemas.js';
import type { TestScheduleService } from './schedule-service.js';
import { presentRun, TestRunResponse } from './test-run-routes.js';
import type { TestsGate } from './tests-gate.js';

const Executor = Type.Union([
  Type.Object({ type: Type.Literal('command'), command: Type.Array(Type.String({ minLength: 1, maxLength: 4000 }), { minItems: 1, maxItems: 100 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('webhook'), url: Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2000 }), secret: Type.Optional(Type.String({ minLength: 16, maxLength: 512, description: 'HMAC-SHA256 signing secret; write-only' })) }, { additionalProperties: false }),
]);
const Fields = {
  environment: Slug,
  cron: Type.String({ minLength: 9, maxLength: 100, description: 'five fields (minute hour day month weekday), e.g. "0 2 * * *"' }),
  timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  suite: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' })),
  executor: Executor,
  timeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 48 * 3_600_000 })),
  enabled: Type.Optional(Type.Boolean()),
};
const ScheduleResponse = Type.Object({
  id: Type.String(),
  project: Type.String(),
  environment: Type.String(),
  name: Type.String(),
  cron: Type.String(),
  timezone: Type.String(),
  suite: Type.String(),
  executor: Type.Object({ type: Type.String(), command: Type.Optional(Type.Array(Type.String())), url: Type.Optional(Type.String()), hasSecret: Type.Optional(Type.Boolean()) }),
  timeoutMs: Type.Integer(),
  enabled: Type.Boolean(),
  nextFireAt: Nullable(Timestamp),
  lastFiredAt: Nullable(Timestamp),
  createdBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
const GateResponse = Type.Object({ environment: Type.String(), suite: Type.String(), sourceEnvironment: Nullable(Type.String()), updatedBy: Type.String(), updatedAt: Timestamp });

export function scheduleRoutes(schedules: TestScheduleService, gate: TestsGate): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['test runs'];
    const ProjectParams = Type.Object({ project: Type.String({ maxLength: 200 }) });
    const NameParams = Type.Object({ project: Type.String({ maxLength: 200 }), name: Type.String({ maxLength: 100 }) });
    app.get('/projects/:project/test-schedules', { schema: { tags, summary: 'Scheduled test runs of a project', params: ProjectParams, response: { 200: Type.Object({ items: Type.Array(ScheduleResponse) }), ...errorResponses } } }, async (request) => ({
      items: (await schedules.list(request.params.project)).map((s) => schedules.present(s)),
    }));
    app.post(
      '/projects/:project/test-schedules',
      { schema: { tags, summary: 'Schedule a test run (cron in a time zone; command or webhook executor)', params: ProjectParams, body: Type.Object({ name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }), ...Fields }, { additionalProperties: false }), response: { 201: ScheduleResponse, ...errorResponses } } },
      async (request, reply) => reply.status(201).send(schedules.present(await schedules.create(request.ctx, request.params.project, request.body))),
    );
    app.get('/projects/:project/test-schedules/:name', { schema: { tags, summary: 'One test schedule', params: NameParams, response: { 200: ScheduleResponse, ...errorResponses } } }, async (request) => schedules.present(await schedules.get(request.params.project, request.params.name)));
    app.patch(
      '/projects/:project/test-schedules/:name',
      { schema: { tags, summary: 'Change a test schedule', params: NameParams, body: Type.Partial(Type.Object(Fields), { additionalProperties: false, minProperties: 1 }), response: { 200: ScheduleResponse, ...errorResponses } } },
      async (request) => schedules.present(await schedules.update(request.ctx, request.params.project, request.params.name, request.body)),
    );
    app.delete('/projects/:project/test-schedules/:name', { schema: { tags, summary: 'Remove a test schedule (its runs stay)', params: NameParams, response: { 204: Type.Null(), ...errorResponses } } }, async (request, reply) => {
      await schedules.delete(request.ctx, request.params.project, request.params.name);
      return reply.status(204).send(null);
    });
    app.post('/projects/:project/test-schedules/:name/run', { schema: { tags, summary: 'Start a run of the schedule now', params: NameParams, response: { 201: TestRunResponse, ...errorResponses } } }, async (request, reply) => {
      return reply.status(201).send(presentRun(await schedules.trigger(request.ctx, request.params.project, request.params.name)));
    });

    const EnvParams = Type.Object({ env: Type.String({ maxLength: 200 }) });
    app.get('/environments/:env/tests-gate', { schema: { tags, summary: 'The deploy gate "the last run of a suite on this version passed" (404 when off)', params: EnvParams, response: { 200: GateResponse, ...errorResponses } } }, async (request, reply) => {
      const g = await gate.get(request.params.env);
      if (!g) return reply.status(404).send({ error: { code: 'not_found', message: `${request.params.env} has no tests gate (deployments there do not wait for test runs).`, details: { environment: request.params.env } } });
      return g;
    });
    app.put(
      '/environments/:env/tests-gate',
      { schema: { tags, summary: 'Switch the tests gate on for an environment (refusal code tests_failing, overridable)', params: EnvParams, body: Type.Object({ suite: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' })), sourceEnvironment: Type.Optional(Nullable(Slug)) }, { additionalProperties: false }), response: { 200: GateResponse, ...errorResponses } } },
      async (request) => gate.set(request.ctx, request.params.env, request.body),
    );
    app.delete('/environments/:env/tests-gate', { schema: { tags, summary: 'Switch the tests gate off', params: EnvParams, response: { 204: Type.Null(), ...errorResponses } } }, async (request, reply) => {
      await gate.clear(request.ctx, request.params.env);
      return reply.status(204).send(null);
    });
  };
}
