import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../auth/auth-service.js';
import { bearerToken } from '../http/request-context.js';
import { errorResponses, Nullable, PageOf, PageQuery, Slug, Timestamp } from '../http/schemas.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import { ValidationError } from '../shared/errors.js';
import type { BugService } from './bug-service.js';
import { SEVERITIES, STAGES, type Bug } from './bug-store.js';

const StageSchema = Type.Union(STAGES.map((s) => Type.Literal(s)), { description: 'where the bug was found' });
const SeveritySchema = Type.Union(SEVERITIES.map((s) => Type.Literal(s)));
const Ticket = Type.String({ minLength: 1, maxLength: 100 });
const Version = Type.String({ minLength: 1, maxLength: 100 });

export const BugResponse = Type.Object({
  id: Type.String(),
  project: Type.String(),
  title: Type.String(),
  ticket: Nullable(Type.String()),
  severity: Type.String(),
  foundIn: Type.String(),
  version: Nullable(Type.String()),
  regression: Type.Boolean(),
  foundAt: Timestamp,
  source: Type.String({ description: 'api, webhook or csv' }),
  fixedIn: Nullable(Type.String({ description: 'the first later release whose changelog names the ticket' })),
  fixedAt: Nullable(Timestamp),
  createdBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

/** A tracker event: ignored (with why), a duplicate of a bug already recorded, or a new bug. */
const WebhookAnswer = Type.Object({ ignored: Type.Boolean(), reason: Type.Optional(Type.String()), duplicate: Type.Optional(Type.Boolean()), bug: Type.Optional(Nullable(BugResponse)) });

const CreateBody = Type.Object(
  {
    project: Slug,
    title: Type.String({ minLength: 1, maxLength: 500 }),
    ticket: Type.Optional(Nullable(Ticket)),
    severity: SeveritySchema,
    foundIn: StageSchema,
    version: Type.Optional(Nullable(Version)),
    regression: Type.Optional(Type.Boolean()),
    foundAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

const PatchBody = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    ticket: Type.Optional(Nullable(Ticket)),
    severity: Type.Optional(SeveritySchema),
    foundIn: Type.Optional(StageSchema),
    version: Type.Optional(Nullable(Version)),
    regression: Type.Optional(Type.Boolean()),
    foundAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

const FieldSpec = Type.Union([
  Type.String({ maxLength: 300 }),
  Type.Object(
    {
      from: Type.Optional(Type.String({ maxLength: 300 })),
      map: Type.Optional(Type.Record(Type.String({ maxLength: 200 }), Type.String({ maxLength: 200 }), { maxProperties: 200 })),
      default: Type.Optional(Type.String({ maxLength: 200 })),
      contains: Type.Optional(Type.String({ maxLength: 200 })),
    },
    { additionalProperties: false },
  ),
]);
const MappingFields = ['project', 'title', 'ticket', 'severity', 'foundIn', 'version', 'regression', 'foundAt'] as const;
const Mapping = Type.Object(
  {
    events: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 20 })),
    eventField: Type.Optional(Type.String({ maxLength: 300 })),
    ...Object.fromEntries(MappingFields.map((f) => [f, Type.Optional(FieldSpec)])),
  },
  { additionalProperties: false },
);
const IntakeResponse = Type.Object({ enabled: Type.Boolean(), hasSecret: Type.Boolean(), mapping: Type.Record(Type.String(), Type.Unknown()) });

const present = (b: Bug) => {
  const { projectId: _p, ...rest } = b;
  return rest;
};

const CSV_LIMIT = 5 * 1024 * 1024;

export function bugRoutes(bugs: BugService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['bugs'];
    // CSV imports only, on this plugin's routes; everything else stays JSON.
    app.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string', bodyLimit: CSV_LIMIT }, (_req, body, done) => done(null, body));

    app.post('/bugs', { schema: { tags, summary: 'Record a bug', body: CreateBody, response: { 201: BugResponse, ...errorResponses } } }, async (request, reply) => {
      return reply.status(201).send(present(await bugs.create(request.ctx, request.body)));
    });

    app.get(
      '/bugs',
      {
        schema: {
          tags,
          summary: 'Bugs, newest first',
          querystring: Type.Composite([PageQuery, Type.Object({ project: Type.Optional(Slug), stage: Type.Optional(StageSchema), regression: Type.Optional(Type.Boolean()), from: Type.Optional(Type.String({ format: 'date-time' })), to: Type.Optional(Type.String({ format: 'date-time' })) })], { additionalProperties: false }),
          response: { 200: PageOf(BugResponse), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor, from, to, ...filter } = request.query;
        const page = await bugs.list(
          { ...filter, ...(from !== undefined && { from: new Date(from).toISOString() }), ...(to !== undefined && { to: new Date(to).toISOString() }) },
          { limit: limit ?? DEFAULT_PAGE_SIZE, cursor: cursor ?? null },
        );
        return { items: page.items.map(present), nextCursor: page.nextCursor };
      },
    );

    app.get('/bugs/intake', { schema: { tags, summary: 'The tracker webhook settings', response: { 200: IntakeResponse, ...errorResponses } } }, async () => bugs.presentIntake(await bugs.intake()));

    app.put(
      '/bugs/intake',
      {
        schema: {
          tags,
          summary: 'Configure the tracker webhook (mapping from its payload to bug fields; secret; on/off)',
          body: Type.Object({ enabled: Type.Optional(Type.Boolean()), mapping: Type.Optional(Mapping), secret: Type.Optional(Nullable(Type.String({ minLength: 16, maxLength: 500 }))) }, { additionalProperties: false }),
          response: { 200: IntakeResponse, ...errorResponses },
        },
      },
      async (request) => bugs.presentIntake(await bugs.setIntake(request.ctx, request.body as never)),
    );

    app.post(
      '/bugs/import',
      {
        schema: {
          tags,
          summary: 'Import bugs from CSV (text/csv; header project,title,ticket,severity,foundIn,version,regression,foundAt); all or nothing',
          querystring: Type.Object({ project: Type.Optional(Slug) }, { additionalProperties: false }),
          response: { 201: Type.Object({ created: Type.Integer(), skipped: Type.Array(Type.Object({ line: Type.Integer(), ticket: Type.String(), reason: Type.String() })), bugs: Type.Array(BugResponse) }), ...errorResponses },
        },
      },
      async (request, reply) => {
        if (typeof request.body !== 'string') throw new ValidationError('Send the CSV as the body with content-type: text/csv.', { field: 'body' });
        const result = await bugs.importCsv(request.ctx, request.body, request.query.project !== undefined ? { project: request.query.project } : {});
        return reply.status(201).send({ created: result.created.length, skipped: result.skipped, bugs: result.created.map(present) });
      },
    );

    app.get('/bugs/:id', { schema: { tags, summary: 'One bug', params: Type.Object({ id: Type.String({ maxLength: 100 }) }), response: { 200: BugResponse, ...errorResponses } } }, async (request) => present(await bugs.get(request.params.id)));

    app.patch(
      '/bugs/:id',
      { schema: { tags, summary: 'Change a bug', params: Type.Object({ id: Type.String({ maxLength: 100 }) }), body: PatchBody, response: { 200: BugResponse, ...errorResponses } } },
      async (request) => present(await bugs.update(request.ctx, request.params.id, request.body)),
    );
  };
}

const WEBHOOK_LIMIT = 1024 * 1024;

/**
 * The tracker's webhook, outside the user-token hook: trackers sign the body with a shared secret
 * (x-hub-signature) or pass it as ?token=; an API token works too. The raw body is kept for the signature.
 */
export function bugWebhookRoutes(bugs: BugService, auth: AuthService): FastifyPluginAsync {
  return async (app) => {
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: WEBHOOK_LIMIT }, (_req, body, done) => {
      try {
        done(null, { raw: body as string, json: JSON.parse(body as string) as unknown });
      } catch (error) {
        const e = new SyntaxError(`The body is not valid JSON: ${(error as Error).message}`);
        done(e as never, undefined);
      }
    });
    app.post('/bugs/webhook', { schema: { tags: ['bugs'], summary: 'Tracker webhook (Jira-shaped issue-created payload, mapped by PUT /bugs/intake)', querystring: { type: 'object', properties: { token: { type: 'string', maxLength: 500 } }, additionalProperties: false }, response: { 200: WebhookAnswer, 201: WebhookAnswer, ...errorResponses } } }, async (request, reply) => {
      const body = request.body as { raw: string; json: unknown } | undefined;
      if (!body || typeof body !== 'object' || !('raw' in body)) throw new ValidationError('Send the tracker event as a JSON body (content-type: application/json).', { field: 'body' });
      let ctx;
      if (request.headers.authorization !== undefined) {
        ctx = { actor: await auth.authenticate(bearerToken(request)), requestId: String(request.id) };
      } else {
        const signature = request.headers['x-hub-signature'] ?? request.headers['x-hub-signature-256'];
        await bugs.verifyWebhook(body.raw, typeof signature === 'string' ? signature : undefined, (request.query as { token?: string }).token);
        ctx = { actor: { userId: null, username: 'tracker-webhook', role: 'engineer' as const, tokenId: null }, requestId: String(request.id) };
      }
      const result = await bugs.fromWebhook(ctx, body.json);
      if (result.ignored !== null) return reply.status(200).send({ ignored: true, reason: result.ignored });
      return reply.status(result.duplicate ? 200 : 201).send({ ignored: false, duplicate: result.duplicate, bug: result.bug ? present(result.bug) : null });
    });
  };
}
