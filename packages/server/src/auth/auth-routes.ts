import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, Nullable, PageOf, PageQuery, Timestamp } from '../http/schemas.js';
import { DEFAULT_PAGE_SIZE } from '../shared/page.js';
import type { RequestContext } from './actor.js';
import type { AuthService } from './auth-service.js';
import { CAPABILITY_NAMES, capabilitiesOf } from './role-capabilities.js';
import { ROLES, type Role } from './roles.js';
import type { ApiToken } from './token-store.js';
import type { User } from './user-store.js';

const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)), { description: `one of ${ROLES.join(' < ')}` });

export const TokenResponse = Type.Object(
  {
    id: Type.String(),
    userId: Type.String(),
    name: Type.String(),
    prefix: Type.String({ description: 'the first characters of the token, to tell tokens apart' }),
    role: Type.String(),
    expiresAt: Nullable(Type.String()),
    revokedAt: Nullable(Type.String()),
    lastUsedAt: Nullable(Type.String()),
    createdAt: Timestamp,
  },
);

export const UserResponse = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    displayName: Type.String(),
    email: Nullable(Type.String()),
    role: Type.String(),
    disabled: Type.Boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
);

/** Who is signed in, and what the web app needs to act for them. */
export const MeResponse = Type.Object({
  user: Nullable(UserResponse),
  username: Type.String(),
  role: Type.String(),
  tokenId: Nullable(Type.String()),
  session: Nullable(Type.Object({ id: Type.String(), expiresAt: Timestamp, idleExpiresAt: Timestamp })),
  csrfToken: Nullable(Type.String({ description: 'send it back in the x-slipway-csrf header with every change made with the session cookie' })),
  capabilities: Type.Object(Object.fromEntries(CAPABILITY_NAMES.map((name) => [name, Type.Boolean()])), {
    description: 'what this role may do, to hide buttons; the API checks again on every request',
  }),
});

export function presentMe(me: { user: User | null; role: Role; tokenId: string | null }, ctx: Pick<RequestContext, 'actor' | 'session'>) {
  return {
    user: me.user ? presentUser(me.user) : null,
    username: ctx.actor.username,
    role: me.role,
    tokenId: me.tokenId,
    session: ctx.session ? { id: ctx.session.id, expiresAt: ctx.session.expiresAt, idleExpiresAt: ctx.session.idleExpiresAt } : null,
    csrfToken: ctx.session?.csrfToken ?? null,
    capabilities: capabilitiesOf(me.role),
  };
}

const CreateTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    role: Type.Optional(RoleSchema),
    expiresAt: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
    userId: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

const Username = Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$' });
const Password = Type.String({ minLength: 10, maxLength: 200 });
const Email = Type.String({ format: 'email', maxLength: 200 });
const DisplayName = Type.String({ minLength: 1, maxLength: 100 });

const CreateUserBody = Type.Object(
  { username: Username, displayName: Type.Optional(DisplayName), email: Type.Optional(Nullable(Email)), role: RoleSchema, password: Type.Optional(Password) },
  { additionalProperties: false },
);
const UpdateUserBody = Type.Object(
  { displayName: Type.Optional(DisplayName), email: Type.Optional(Nullable(Email)), role: Type.Optional(RoleSchema), password: Type.Optional(Password), disabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

const presentToken = (t: ApiToken) => ({ ...t });
const presentUser = (u: User) => ({ ...u });

export function authRoutes(auth: AuthService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/tokens',
      {
        schema: {
          tags: ['auth'],
          summary: 'Create an API token (the secret is in the response, once)',
          body: CreateTokenBody,
          response: { 201: Type.Object({ token: Type.String({ description: 'shown once; store it now' }), record: TokenResponse }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const { token, record } = await auth.createToken(request.ctx, request.body);
        return reply.status(201).send({ token, record: presentToken(record) });
      },
    );

    app.get(
      '/tokens',
      {
        schema: {
          tags: ['auth'],
          summary: "Your tokens (admins: ?all=true for everyone's)",
          querystring: Type.Composite([PageQuery, Type.Object({ all: Type.Optional(Type.Boolean()) })], { additionalProperties: false }),
          response: { 200: PageOf(TokenResponse), ...errorResponses },
        },
      },
      async (request) => {
        const page = await auth.listTokens(request.ctx, { limit: request.query.limit ?? DEFAULT_PAGE_SIZE, cursor: request.query.cursor ?? null }, request.query.all ?? false);
        return { items: page.items.map(presentToken), nextCursor: page.nextCursor };
      },
    );

    app.delete('/tokens/:id', { schema: { tags: ['auth'], summary: 'Revoke a token', params: IdParams, response: { 200: TokenResponse, ...errorResponses } } }, async (request) => {
      return presentToken(await auth.revokeToken(request.ctx, request.params.id));
    });

    app.get(
      '/me',
      { schema: { tags: ['auth'], summary: 'Who this token or session belongs to (with the CSRF token of a session)', response: { 200: MeResponse, ...errorResponses } } },
      async (request) => presentMe(await auth.me(request.ctx), request.ctx),
    );

    app.post('/users', { schema: { tags: ['auth'], summary: 'Create a user (admin)', body: CreateUserBody, response: { 201: UserResponse, ...errorResponses } } }, async (request, reply) => {
      return reply.status(201).send(presentUser(await auth.createUser(request.ctx, request.body)));
    });

    app.get('/users', { schema: { tags: ['auth'], summary: 'List users (admin)', querystring: PageQuery, response: { 200: PageOf(UserResponse), ...errorResponses } } }, async (request) => {
      const page = await auth.listUsers(request.ctx, { limit: request.query.limit ?? DEFAULT_PAGE_SIZE, cursor: request.query.cursor ?? null });
      return { items: page.items.map(presentUser), nextCursor: page.nextCursor };
    });

    app.patch('/users/:id', { schema: { tags: ['auth'], summary: 'Change a user (admin)', params: IdParams, body: UpdateUserBody, response: { 200: UserResponse, ...errorResponses } } }, async (request) => {
      return presentUser(await auth.updateUser(request.ctx, request.params.id, request.body));
    });
  };
}
