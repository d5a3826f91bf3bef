import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AuthService } from '../auth/auth-service.js';
import { bearerToken } from '../http/request-context.js';
import { errorResponses } from '../http/schemas.js';
import { DeploymentSchema, presentDeployment } from './deployment-presenter.js';
import { CALLBACK_TOKEN_PREFIX, type DeploymentReports } from './deployment-reports.js';

const Body = Type.Object(
  {
    target: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    status: Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('cancelled')], { description: 'cancelled: the target stopped when told to (action cancel)' }),
    message: Type.Optional(Type.String({ maxLength: 5000 })),
  },
  { additionalProperties: false },
);

/**
 * `POST /deployments/{id}/status`: executors report with the deployment's callback token, people
 * and scripts with an API token (engineer+). Registered outside the API-token hook for that reason.
 */
export function deploymentCallbackRoutes(reports: DeploymentReports, auth: AuthService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/deployments/:id/status',
      {
        schema: {
          tags: ['deployments'],
          summary: 'Report progress or the result of one target (callback token or API token)',
          params: Type.Object({ id: Type.String({ pattern: '^[0-9a-z]{26}$' }) }),
          body: Body,
          response: { 200: DeploymentSchema, ...errorResponses },
        },
      },
      async (request) => {
        const token = bearerToken(request);
        const viaCallback = token.startsWith(CALLBACK_TOKEN_PREFIX);
        const actor = viaCallback ? await reports.callbackActor(request.params.id, token) : await auth.authenticate(token);
        const ctx = { actor, requestId: String(request.id) };
        return presentDeployment(await reports.report(ctx, request.params.id, request.body, viaCallback));
      },
    );
  };
}
