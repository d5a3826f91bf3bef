import { Type } from '@sinclair/typebox';
import { Nullable, Slug, Timestamp } from '../http/schemas.js';
import { FlagUsageSchema } from './flag-usage.js';

// Structural schemas of the flag JSON contract. They check shapes and sizes; the meaning
// (variants exist, weights add up to 100, operators take the right values) is checked by the
// engine's validateFlagConfig, whose problems come back as a 400 too.

const Text = (max: number) => Type.String({ maxLength: max });
const Primitive = Type.Union([Type.String({ maxLength: 2000 }), Type.Number(), Type.Boolean()]);

export const FlagKindSchema = Type.Union(
  [Type.Literal('release'), Type.Literal('experiment'), Type.Literal('kill-switch'), Type.Literal('operational'), Type.Literal('permission')],
  { description: 'what the flag is for' },
);

export const VariantSchema = Type.Object(
  { key: Type.String({ minLength: 1, maxLength: 100 }), value: Type.Unknown({ description: 'boolean, string, number or JSON; every variant of a flag has the same type' }) },
  { additionalProperties: false },
);

export const ConditionSchema = Type.Object(
  {
    attribute: Type.Optional(Text(200)),
    operator: Type.String({ maxLength: 40, description: 'in, not_in, eq, neq, contains, starts_with, ends_with, matches, lt, lte, gt, gte, semver_eq, semver_lt, semver_gt, semver_range, in_segment, exists' }),
    values: Type.Optional(Type.Array(Primitive, { maxItems: 10_000 })),
  },
  { additionalProperties: false },
);

const SplitEntrySchema = Type.Object({ variant: Text(100), weight: Type.Number() }, { additionalProperties: false });

export const ServeSchema = Type.Object(
  {
    variant: Type.Optional(Text(100)),
    split: Type.Optional(Type.Array(SplitEntrySchema, { maxItems: 100 })),
    stickiness: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false, description: '{ "variant": … } or { "split": [ { "variant", "weight" } ], "stickiness"? }' },
);

export const EnvConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    offVariant: Type.Optional(Text(100)),
    targets: Type.Optional(
      Type.Array(Type.Object({ variant: Text(100), values: Type.Array(Text(500), { maxItems: 10_000 }) }, { additionalProperties: false }), { maxItems: 100 }),
    ),
    rules: Type.Optional(
      Type.Array(
        Type.Object(
          { id: Type.Optional(Text(100)), conditions: Type.Array(ConditionSchema, { maxItems: 100 }), serve: ServeSchema },
          { additionalProperties: false },
        ),
        { maxItems: 500 },
      ),
    ),
    defaultServe: ServeSchema,
    prerequisites: Type.Optional(Type.Array(Type.Object({ flag: Text(100), variant: Text(100) }, { additionalProperties: false }), { maxItems: 50 })),
  },
  { additionalProperties: false },
);

const Variants = Type.Array(VariantSchema, { minItems: 1, maxItems: 100 });
const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 50 });

/** Flag keys also take underscores, as code names them (seed 002: new_query_ui). */
const FlagKey = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'lower-case letters, digits, dashes and underscores, 1–63 characters' });

export const CreateFlagBody = Type.Object(
  {
    key: FlagKey,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Text(2000)),
    type: Type.Optional(FlagKindSchema),
    variants: Variants,
    owner: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);

export const UpdateFlagBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Text(2000)),
    type: Type.Optional(FlagKindSchema),
    variants: Type.Optional(Variants),
    owner: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))),
    tags: Type.Optional(Tags),
    archived: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const FlagEnvironmentResponse = Type.Object({
  environment: Type.Object({
    key: Type.String(),
    name: Type.String(),
    rank: Type.Integer(),
    protected: Type.Boolean(),
    color: Type.String(),
    changeRole: Type.String({ description: 'the lowest role that may change flags here: release-manager when protected, else engineer' }),
  }),
  configured: Type.Boolean({ description: 'false while the environment uses the implicit configuration (disabled)' }),
  config: Type.Composite([EnvConfigSchema], { description: 'the environment configuration (same shape as the PUT body)' }),
  summary: Type.String(),
  updatedAt: Nullable(Timestamp),
  updatedBy: Nullable(Type.String()),
});

export const FlagResponse = Type.Object({
  project: Type.String(),
  key: Type.String(),
  name: Type.String(),
  description: Type.String(),
  type: Type.String(),
  variants: Type.Array(Type.Object({ key: Type.String(), value: Type.Unknown() })),
  owner: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  archived: Type.Boolean(),
  createdBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  environments: Type.Array(FlagEnvironmentResponse, { description: 'every environment side by side, by rank' }),
  usage: Type.Optional(FlagUsageSchema),
});

export const SegmentResponse = Type.Object({
  project: Type.String(),
  key: Type.String(),
  name: Type.String(),
  description: Type.String(),
  conditions: Type.Array(Type.Unknown()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const CreateSegmentBody = Type.Object(
  {
    key: Slug,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Text(2000)),
    conditions: Type.Array(ConditionSchema, { maxItems: 100 }),
  },
  { additionalProperties: false },
);

export const UpdateSegmentBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Text(2000)),
    conditions: Type.Optional(Type.Array(ConditionSchema, { maxItems: 100 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
