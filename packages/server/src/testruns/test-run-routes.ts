import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { RequestContext } from '../auth/actor.js';
import type { AuthService } from '../auth/auth-service.js';
import { bearerToken } from '../http/request-context.js';
import { errorResponses, Nullable, PageOf, PageQuery, Slug, Timestamp } from '../http/schemas.js';
import type { Clock } from '../shared/clock.js';
import { ValidationError } from '../shared/errors.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import { MultipartTooLargeError, readMultipartReport, type MultipartReport } from './junit-multipart.js';
import { parseJunit } from './junit-parser.js';
import type { RecordedRun, TestRunService } from './test-run-service.js';
import { RUN_STATUSES, type TestRun } from './test-run-store.js';

/** JUnit reports of long E2E suites get big; 20 MB is the limit of this route only (the API's is 1 MiB). */
export const JUNIT_BODY_LIMIT = 20 * 1024 * 1024;

export const TestRunResponse = Type.Object({
  id: Type.String(),
  project: Type.String(),
  environment: Nullable(Type.String()),
  version: Nullable(Type.String()),
  suite: Type.String(),
  source: Type.String({ description: 'upload, schedule, smoke or callback' }),
  status: Type.String({ description: 'queued, running, passed, failed or error (could not run)' }),
  total: Type.Integer(),
  failed: Type.Integer(),
  errors: Type.Integer(),
  skipped: Type.Integer(),
  flaky: Type.Integer(),
  durationMs: Type.Integer(),
  message: Nullable(Type.String()),
  scheduleId: Nullable(Type.String()),
  deploymentId: Nullable(Type.String()),
  deadlineAt: Nullable(Timestamp),
  startedAt: Nullable(Timestamp),
  finishedAt: Nullable(Timestamp),
  createdBy: Type.String(),
  createdAt: Timestamp,
});

const Outcome = Type.Object({ key: Type.String(), suite: Type.String(), classname: Type.String(), name: Type.String(), kind: Type.String({ description: 'failed, error or flaky' }), message: Nullable(Type.String()), detail: Nullable(Type.String()), durationMs: Nullable(Type.Integer()) });
const RecordedResponse = Type.Composite([TestRunResponse, Type.Object({ newlyFailing: Type.Array(Type.String()), recovered: Type.Array(Type.String()), flakyTests: Type.Array(Type.String()) })]);

export function presentRun(r: TestRun) {
  const { projectId: _p, executor: _e, updatedAt: _u, ...rest } = r;
  return rest;
}

const presentRecorded = (r: RecordedRun) => ({ ...presentRun(r.run), newlyFailing: r.newlyFailing, recovered: r.recovered, flakyTests: r.flakyTests });

const UploadQuery = Type.Object(
  {
    version: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    environment: Type.Optional(Slug),
    suite: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$', description: 'e.g. e2e, unit; default "default"' })),
    run: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'the scheduled run these are the results of' })),
  },
  { additionalProperties: false },
);

/** JUnit XML bodies, in this plugin only, with their own limit; a too-large body says which limit. */
function acceptJunit(app: FastifyInstance): void {
  app.addContentTypeParser(['application/xml', 'text/xml', 'application/junit+xml'], { parseAs: 'string', bodyLimit: JUNIT_BODY_LIMIT }, (_req, body, done) => done(null, body));
  // `curl -F file=@report.xml`: the one file part. A streaming parser gets no `bodyLimit` from
  // Fastify; the multipart reader bounds the file (20 MB), the number and size of fields itself.
  app.addContentTypeParser('multipart/form-data', async (request: FastifyRequest, payload: Readable) => readMultipartReport(request.headers, payload, JUNIT_BODY_LIMIT));
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error instanceof MultipartTooLargeError) return reply.status(413).send({ error: { code: 'payload_too_large', message: 'The JUnit report is larger than 20 MB: split it (one upload per suite) or drop system-out.', details: { limit: JUNIT_BODY_LIMIT } } });
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.status(415).send({ error: { code: 'unsupported_media_type', message: 'Send the JUnit report as the body with content-type: application/xml, or as a file part of multipart/form-data.', details: {} } });
    // Everything else: the API's one error handler.
    throw error;
  });
}

function reportOf(body: unknown) {
  if (typeof body === 'object' && body !== null && (body as MultipartReport).multipart === true) body = (body as MultipartReport).xml;
  if (typeof body !== 'string' || body.trim() === '') throw new ValidationError('Send a JUnit XML report as the body (content-type: application/xml).', { field: 'body' });
  return parseJunit(body);
}

export function testRunRoutes(runs: TestRunService, clock: Clock): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['test runs'];
    acceptJunit(app);
    const ProjectParams = Type.Object({ project: Type.String({ maxLength: 200 }) });

    app.post(
      '/projects/:project/test-runs',
      {
        schema: { tags, summary: 'Upload a JUnit XML report (application/xml, or a file part of multipart/form-data; ≤ 20 MB), tagged with version, environment and suite', params: ProjectParams, querystring: UploadQuery, response: { 201: RecordedResponse, 413: errorResponses[400], 415: errorResponses[400], ...errorResponses } },
      },
      async (request, reply) => {
        const { run, ...rest } = request.query;
        const recorded = await runs.upload(request.ctx, request.params.project, { ...rest, ...(run !== undefined && { run }) }, reportOf(request.body));
        return reply.status(201).send(presentRecorded(recorded));
      },
    );

    app.get(
      '/projects/:project/test-runs',
      {
        schema: {
          tags,
          summary: 'Test runs of a project, newest first',
          params: ProjectParams,
          querystring: Type.Composite([PageQuery, Type.Object({ environment: Type.Optional(Slug), version: Type.Optional(Type.String({ maxLength: 100 })), suite: Type.Optional(Type.String({ maxLength: 63 })), status: Type.Optional(Type.Union(RUN_STATUSES.map((s) => Type.Literal(s)))) })], { additionalProperties: false }),
          response: { 200: PageOf(TestRunResponse), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor, ...filter } = request.query;
        const page = await runs.list(request.params.project, filter, { limit: limit ?? DEFAULT_PAGE_SIZE, cursor: cursor ?? null });
        return { items: page.items.map(presentRun), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/test-runs/:id',
      { schema: { tags, summary: 'One run with the tests that failed, errored or were flaky', params: Type.Object({ id: Type.String({ maxLength: 100 }) }), response: { 200: Type.Composite([TestRunResponse, Type.Object({ outcomes: Type.Array(Outcome) })]), ...errorResponses } } },
      async (request) => {
        const run = await runs.get(request.params.id);
        const outcomes = await runs.outcomes(run.id);
        return { ...presentRun(run), outcomes: outcomes.map(({ id: _i, runId: _r, ...o }) => o) };
      },
    );

    app.get(
      '/projects/:project/tests/flaky',
      {
        schema: {
          tags,
          summary: 'Flaky tests: failed then passed on the same version (or passed after a rerun), most frequent first',
          params: ProjectParams,
          querystring: Type.Object({ since: Type.Optional(Type.String({ format: 'date-time' })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }, { additionalProperties: false }),
          response: { 200: Type.Object({ items: Type.Array(Type.Object({ key: Type.String(), suite: Type.String(), name: Type.String(), count: Type.Integer(), lastSeen: Timestamp, versions: Type.Array(Type.String()) })) }), ...errorResponses },
        },
      },
      async (request) => {
        const since = request.query.since ?? new Date(clock.now().getTime() - 30 * 86_400_000).toISOString();
        return { items: await runs.flaky(request.params.project, new Date(since).toISOString(), request.query.limit ?? 50) };
      },
    );

    app.get(
      '/projects/:project/tests/failing',
      {
        schema: {
          tags,
          summary: 'Tests failing now (each opened one tracker task when it started failing)',
          params: ProjectParams,
          querystring: Type.Object({ environment: Type.Optional(Slug) }, { additionalProperties: false }),
          response: { 200: Type.Object({ items: Type.Array(Type.Object({ key: Type.String(), suite: Type.String(), name: Type.String(), message: Nullable(Type.String()), sinceRunId: Type.String(), sinceAt: Timestamp, lastRunId: Type.String() })) }), ...errorResponses },
        },
      },
      async (request) => ({ items: await runs.failing(request.params.project, request.query.environment ?? null) }),
    );
  };
}

/** Results of a scheduled run from its executor: the run's callback token (or an API token) authenticates. */
export function testRunCallbackRoutes(runs: TestRunService, auth: AuthService): FastifyPluginAsync {
  const authenticate = async (request: FastifyRequest, runId: string): Promise<RequestContext> => {
    const token = bearerToken(request);
    if (token.startsWith('slwtr_')) {
      runs.verifyRunToken(runId, token);
      return { actor: { userId: null, username: `test-run:${runId}`, role: 'engineer', tokenId: null }, requestId: String(request.id) };
    }
    return { actor: await auth.authenticate(token), requestId: String(request.id) };
  };
  return async (app) => {
    acceptJunit(app);
    const tags = ['test runs'];
    const params = { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] } as const;
    app.post('/test-runs/:id/results', { schema: { tags, summary: 'JUnit results of a scheduled run (callback token or API token)', params, response: { 201: RecordedResponse, ...errorResponses } } }, async (request: FastifyRequest, reply: FastifyReply) => {
      const { id } = request.params as { id: string };
      const ctx = await authenticate(request, id);
      const run = await runs.get(id);
      const q = (request.query ?? {}) as { version?: string };
      return reply.status(201).send(presentRecorded(await runs.complete(ctx, run, reportOf(request.body), typeof q.version === 'string' ? { version: q.version } : {})));
    });
    app.post(
      '/test-runs/:id/status',
      {
        schema: {
          tags,
          summary: 'Status of a scheduled run from its executor: running, or passed/failed with counts and failures',
          params,
          response: { 200: Type.Union([RecordedResponse, TestRunResponse]), ...errorResponses },
          body: {
            type: 'object',
            required: ['status'],
            additionalProperties: false,
            properties: {
              status: { enum: ['running', 'passed', 'failed'] },
              message: { type: 'string', maxLength: 2000 },
              total: { type: 'integer', minimum: 0, maximum: 10_000_000 },
              failed: { type: 'integer', minimum: 0, maximum: 10_000_000 },
              skipped: { type: 'integer', minimum: 0, maximum: 10_000_000 },
              durationMs: { type: 'integer', minimum: 0, maximum: 31_536_000_000 },
              failures: { type: 'array', maxItems: 5000, items: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 500 }, classname: { type: 'string', maxLength: 500 }, message: { type: 'string', maxLength: 2000 } } } },
            },
          },
        },
      },
      async (request: FastifyRequest) => {
        const { id } = request.params as { id: string };
        const ctx = await authenticate(request, id);
        const result = await runs.callback(ctx, id, request.body as never);
        return 'run' in result ? presentRecorded(result) : presentRun(result);
      },
    );
  };
}
