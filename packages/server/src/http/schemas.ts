import { Type, type TSchema } from '@sinclair/typebox';

/** `{"error": {"code", "message", "details"}}`: the one error shape of the API. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { description: 'An error; `code` is stable and machine-readable.' },
);

/** Error responses every authenticated route may give, for the OpenAPI document. */
export const errorResponses = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  422: ErrorResponse,
};

/** Error responses of a PATCH that honours `If-Match` (412 when the row changed since the client read it). */
/** `If-Match`: the ETag of the GET or PATCH the client's change is based on. */
export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ maxLength: 1000, description: 'the ETag this change is based on; 412 precondition_failed when the resource changed since' })),
});

export const patchErrorResponses = { ...errorResponses, 412: ErrorResponse };

export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 400 })),
  },
  { additionalProperties: false },
);

export function PageOf<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}

/** Lower-case slugs used as keys of environments, projects and flags. */
export const Slug = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'a slug: lower-case letters, digits and dashes, 1–63 characters' });

export const Timestamp = Type.String({ format: 'date-time' });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
