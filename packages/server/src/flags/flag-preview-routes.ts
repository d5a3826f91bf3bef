import type { EnvConfig } from '@slipway/flag-engine';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, Nullable, PageOf, PageQuery, Slug, Timestamp } from '../http/schemas.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import { checkContext, type FlagPreviewService } from './flag-preview.js';
import { EnvConfigSchema } from './flag-schemas.js';

const Key = Type.String({ maxLength: 200 });
const Problems = Type.Array(Type.Object({ path: Type.String(), message: Type.String() }));

const EvaluateBody = Type.Object(
  {
    context: Type.Record(Type.String({ maxLength: 200 }), Type.Unknown(), {
      maxProperties: 100,
      description: 'the evaluation context, e.g. { "targetingKey": "user-42", "company": "acme" }',
    }),
    environments: Type.Optional(Type.Array(Slug, { minItems: 1, maxItems: 50, description: 'only these environments (default: all, by rank)' })),
    flags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 500, description: 'only these flags (default: every active flag)' })),
  },
  { additionalProperties: false },
);

const EvaluateResponse = Type.Object({
  environments: Type.Array(Type.String()),
  flags: Type.Array(
    Type.Object({
      key: Type.String(),
      name: Type.String(),
      type: Type.String(),
      results: Type.Array(
        Type.Object({
          environment: Type.String(),
          value: Type.Unknown({ description: 'the served value; null when the caller’s default would be used' }),
          variant: Nullable(Type.String()),
          reason: Type.String({ description: 'STATIC, TARGETING_MATCH, SPLIT, DISABLED, DEFAULT, ERROR, …' }),
          errorCode: Nullable(Type.String()),
          overridden: Type.Boolean({ description: 'an individual target listing the context’s targetingKey decided this answer (a per-user override)' }),
        }),
      ),
    }),
  ),
});

const PreviewResponse = Type.Object({
  allowed: Type.Boolean({ description: 'saving this configuration would be accepted for you' }),
  problems: Problems,
  refusal: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
  environment: Type.Object({ key: Type.String(), protected: Type.Boolean(), production: Type.Boolean() }),
  requiredRole: Type.String({ description: 'who may change flags in this environment' }),
  before: EnvConfigSchema,
  after: EnvConfigSchema,
  summary: Type.String(),
  beforeSummary: Type.String(),
  afterSummary: Type.String(),
});

const HistoryEntry = Type.Object({
  id: Type.String(),
  at: Timestamp,
  actor: Type.String(),
  action: Type.String({ description: 'flag.created, flag.updated, flag.configured, flag.archived' }),
  environment: Nullable(Type.String()),
  summary: Type.String(),
  before: Type.Unknown(),
  after: Type.Unknown(),
});

export function flagPreviewRoutes(preview: FlagPreviewService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['flags'];
    app.post(
      '/projects/:project/flags/evaluate',
      {
        schema: {
          tags,
          summary: 'What every flag serves one context (a user) in every environment, by the flag engine on the live rule sets; changes nothing',
          params: Type.Object({ project: Key }),
          body: EvaluateBody,
          response: { 200: EvaluateResponse, ...errorResponses },
        },
      },
      async (request) => {
        checkContext(request.body.context);
        return preview.evaluate(request.ctx, request.params.project, request.body.context, {
          ...(request.body.environments && { environments: request.body.environments }),
          ...(request.body.flags && { flags: request.body.flags }),
        });
      },
    );

    app.post(
      '/projects/:project/flags/:flag/environments/:env/preview',
      {
        schema: {
          tags,
          summary: 'What saving this configuration would change (before, after, one-line summary) and whether it would be accepted, without saving',
          params: Type.Object({ project: Key, flag: Key, env: Key }),
          body: EnvConfigSchema,
          response: { 200: PreviewResponse, ...errorResponses },
        },
      },
      async (request) => preview.previewConfig(request.ctx, request.params.project, request.params.flag, request.params.env, request.body as EnvConfig),
    );

    app.get(
      '/projects/:project/flags/:flag/history',
      {
        schema: {
          tags,
          summary: "A flag's changes, newest first, each with a one-line summary (from the audit log)",
          params: Type.Object({ project: Key, flag: Key }),
          querystring: PageQuery,
          response: { 200: PageOf(HistoryEntry), ...errorResponses },
        },
      },
      async (request) => {
        const page = await preview.history(request.ctx, request.params.project, request.params.flag, { limit: request.query.limit ?? DEFAULT_PAGE_SIZE, cursor: request.query.cursor ?? null });
        return { items: page.items, nextCursor: page.nextCursor };
      },
    );
  };
}
