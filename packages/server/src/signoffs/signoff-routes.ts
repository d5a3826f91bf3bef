import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, Nullable, Slug, Timestamp } from '../http/schemas.js';
import type { SignoffService } from './signoff-service.js';
import type { Signoff } from './signoff-store.js';

const SignoffSchema = Type.Object({
  id: Type.String(),
  project: Type.String(),
  version: Type.String(),
  environment: Nullable(Type.String({ description: 'the environment the decision is for; null: every environment' })),
  kind: Type.String(),
  decision: Type.String({ description: 'go or no-go' }),
  comment: Type.String(),
  createdBy: Type.String(),
  createdAt: Timestamp,
});

const Params = Type.Object({ project: Type.String({ maxLength: 200 }), version: Type.String({ minLength: 1, maxLength: 100 }) });
const Body = Type.Object(
  {
    kind: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$', description: 'qa, product, security, …' }),
    decision: Type.Union([Type.Literal('go'), Type.Literal('no-go')]),
    environment: Type.Optional(Slug),
    comment: Type.Optional(Type.String({ maxLength: 5000 })),
  },
  { additionalProperties: false },
);

export function signoffRoutes(signoffs: SignoffService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['signoffs'];
    const present = (project: string) => (s: Signoff) => ({ ...s, project, projectId: undefined });

    app.get(
      '/projects/:project/releases/:version/signoffs',
      { schema: { tags, summary: 'Sign-offs of a release: all of them, and the latest per kind and environment', params: Params, response: { 200: Type.Object({ items: Type.Array(SignoffSchema), latest: Type.Array(SignoffSchema) }), ...errorResponses } } },
      async (request) => {
        const list = await signoffs.list(request.params.project, request.params.version);
        const map = present(request.params.project);
        return { items: list.items.map(map), latest: list.latest.map(map) };
      },
    );

    app.post(
      '/projects/:project/releases/:version/signoffs',
      { schema: { tags, summary: 'Record a go/no-go (qa and above)', params: Params, body: Body, response: { 201: SignoffSchema, ...errorResponses } } },
      async (request, reply) => {
        const signoff = await signoffs.record(request.ctx, request.params.project, request.params.version, request.body);
        return reply.status(201).send(present(request.params.project)(signoff));
      },
    );
  };
}
