import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorResponse, Slug } from '../http/schemas.js';
import { badgeScript, type BadgeService } from './badge.js';

const BadgeQuery = Type.Object(
  {
    project: Slug,
    environment: Slug,
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'an SDK key of the project and environment, for environments whose badge is `key`' })),
  },
  { additionalProperties: false },
);

/** GET /badge.js: no user token (a front-end includes it with a script tag). */
export function badgeRoutes(badges: BadgeService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/badge.js',
      {
        schema: {
          tags: ['web'],
          summary: 'The environment badge: a script (≤ 3 KB, no framework) drawing a border and a corner label in the environment colour with its name and running version; nothing in production-marked environments',
          security: [],
          querystring: BadgeQuery,
          response: {
            200: Type.String({ description: 'JavaScript' }),
            400: ErrorResponse,
            403: ErrorResponse,
            404: ErrorResponse,
          },
        },
      },
      async (request, reply) => {
        const data = await badges.data(request.query.project, request.query.environment, request.query.key ?? null);
        return reply
          .type('text/javascript; charset=utf-8')
          .header('cache-control', 'public, max-age=60')
          .header('x-content-type-options', 'nosniff')
          // Other origins include it with <script src>; nothing here needs their credentials.
          .header('cross-origin-resource-policy', 'cross-origin')
          .send(badgeScript(data));
      },
    );
  };
}
