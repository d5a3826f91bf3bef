import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../auth/auth-service.js';
import { errorResponses, Nullable, Slug } from '../http/schemas.js';
import { sdkKeyFromHeaders } from '../sdk/sdk-auth.js';
import type { SdkKeyService } from '../sdk/sdk-key-service.js';
import { ForbiddenError, UnauthorizedError } from '../shared/errors.js';
import type { CompatibilityService } from './compatibility-service.js';

export const RequirementList = Type.Array(Type.Object({ project: Slug, range: Type.String({ minLength: 1, maxLength: 200, description: 'semver range, e.g. ^2.3.0' }) }, { additionalProperties: false }), { maxItems: 50 });

const ProblemSchema = Type.Object({ code: Type.String({ description: 'unsatisfied or not_deployed' }), direction: Type.String({ description: 'requires or required-by' }), project: Type.String(), version: Nullable(Type.String()), range: Type.String(), message: Type.String() });
const Answer = Type.Object({
  compatible: Type.Boolean(),
  project: Type.String(),
  version: Type.String(),
  environment: Type.String(),
  requires: Type.Array(Type.Object({ project: Type.String(), range: Type.String(), origin: Type.String({ description: 'release (set by API), file (declared in its commit), project or none' }), actual: Nullable(Type.String()), satisfied: Type.Boolean() })),
  requiredBy: Type.Array(Type.Object({ project: Type.String(), version: Type.String(), range: Type.String(), satisfied: Type.Boolean() })),
  problems: Type.Array(ProblemSchema),
});
/** What a running service learns: no requirement details beyond the problems. */
const RuntimeAnswer = Type.Object({ compatible: Type.Boolean(), project: Type.String(), version: Type.String(), environment: Type.String(), problems: Type.Array(ProblemSchema) });
const CheckQuery = Type.Object({ project: Slug, version: Type.String({ minLength: 1, maxLength: 100 }), environment: Type.Optional(Slug) }, { additionalProperties: false });

export function compatibilityRoutes(compatibility: CompatibilityService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['compatibility'];
    app.get('/compatibility', { schema: { tags, summary: 'Would this version fit the environment? Requirements both ways, with reasons', querystring: CheckQuery, response: { 200: Answer, ...errorResponses } } }, async (request) =>
      compatibility.check({ project: request.query.project, version: request.query.version, environment: request.query.environment ?? 'production' }),
    );
    app.get(
      '/compatibility/matrix',
      {
        schema: {
          tags,
          summary: 'For every environment, each running project and its incompatibilities with what runs beside it',
          querystring: Type.Object({ environment: Type.Optional(Slug) }, { additionalProperties: false }),
          response: { 200: Type.Object({ environments: Type.Array(Type.Object({ environment: Type.String(), projects: Type.Array(Type.Object({ project: Type.String(), version: Type.String(), compatible: Type.Boolean(), problems: Type.Array(ProblemSchema) })) })) }), ...errorResponses },
        },
      },
      async (request) => compatibility.matrix(request.query.environment),
    );
    const ReleaseParams = Type.Object({ project: Type.String({ maxLength: 200 }), version: Type.String({ minLength: 1, maxLength: 100 }) });
    const ReleaseRequirements = Type.Object({ project: Type.String(), version: Type.String(), origin: Type.String(), file: Nullable(Type.String()), requires: Type.Array(Type.Object({ project: Type.String(), range: Type.String() })) });
    app.get('/projects/:project/releases/:version/requires', { schema: { tags, summary: "A release's requirements and where they come from", params: ReleaseParams, response: { 200: ReleaseRequirements, ...errorResponses } } }, async (request) =>
      compatibility.release(request.params.project, request.params.version),
    );
    app.put(
      '/projects/:project/releases/:version/requires',
      { schema: { tags, summary: "Set a release's requirements (wins over its file and the project's)", params: ReleaseParams, body: Type.Object({ requires: RequirementList }, { additionalProperties: false }), response: { 200: ReleaseRequirements, ...errorResponses } } },
      async (request) => {
        await compatibility.setReleaseRequirements(request.ctx, request.params.project, request.params.version, request.body.requires);
        return compatibility.release(request.params.project, request.params.version);
      },
    );
  };
}

/**
 * The runtime check for services and front-ends: `GET /api/v1/compatibility/check?project=web&version=3.1.0&environment=production`
 * with an SDK key of that project and environment — a public client key works, so a browser app can ask
 * before it starts talking to its backend (`?key=` avoids a CORS preflight) — or an API token.
 */
export function compatibilityCheckRoutes(compatibility: CompatibilityService, keys: SdkKeyService, auth: AuthService): FastifyPluginAsync {
  return async (app) => {
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'authorization, x-api-key', 'access-control-allow-methods': 'GET, OPTIONS', 'access-control-max-age': '600' };
    app.options('/compatibility/check', { schema: { hide: true } }, async (_request, reply) => reply.headers(cors).status(204).send());
    app.get(
      '/compatibility/check',
      { schema: { tags: ['compatibility'], summary: 'Runtime check with a client or server SDK key of the project and environment', querystring: { type: 'object', required: ['project', 'version'], additionalProperties: false, properties: { project: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }, version: { type: 'string', minLength: 1, maxLength: 100 }, environment: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }, key: { type: 'string', maxLength: 512 } } }, response: { 200: RuntimeAnswer, ...errorResponses } } },
      async (request, reply) => {
        reply.headers(cors);
        const q = request.query as { project: string; version: string; environment?: string; key?: string };
        const environment = q.environment ?? 'production';
        const raw = q.key ?? sdkKeyFromHeaders(request.headers);
        if (raw === null) throw new UnauthorizedError('Send an SDK key of the project and environment: ?key=, X-API-Key or Authorization: Bearer.');
        if (raw.startsWith('sdk-')) {
          const id = await keys.authenticateSdkKey(raw);
          if (id === null) throw new UnauthorizedError('The SDK key is not valid or has been revoked.');
          if (id.projectKey !== q.project || id.environmentKey !== environment) throw new ForbiddenError(`This SDK key belongs to ${id.projectKey} in ${id.environmentKey}: check with a key of ${q.project} in ${environment}.`, { project: id.projectKey, environment: id.environmentKey });
        } else {
          await auth.authenticate(raw);
        }
        const a = await compatibility.check({ project: q.project, version: q.version, environment });
        return { compatible: a.compatible, project: a.project, version: a.version, environment: a.environment, problems: a.problems };
      },
    );
  };
}
