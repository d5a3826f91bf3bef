import { Type, type Static, type TObject, type TSchema, type TUnion } from '@sinclair/typebox';

/**
 * Union schemas that validate ONE branch. A plain `anyOf` makes ajv report the problems of every
 * branch, so a webhook executor with a short secret was told about the `record` branch's
 * "additional property url". These pick the branch first (by a discriminator property, or by the
 * value's shape) with `if`/`then`, so only that branch's problems are reported, at their own paths.
 * The error handler drops ajv's generic "must match then schema" lines (docs/decisions/0010).
 */

/** A union of objects told apart by `key` (e.g. `type`), each branch with `key` as a literal. */
export function Discriminated<T extends TObject[]>(key: string, branches: [...T], options: { description?: string } = {}) {
  const tags = branches.map((b) => {
    const tag = (b.properties[key] as { const?: unknown } | undefined)?.const;
    if (typeof tag !== 'string') throw new Error(`every branch needs a literal ${key}`);
    return tag;
  });
  return Type.Unsafe<Static<TUnion<T>>>({
    type: 'object',
    required: [key],
    properties: { [key]: { type: 'string', enum: tags, description: `one of ${tags.join(', ')}` } },
    allOf: branches.map((b, i) => ({ if: { properties: { [key]: { const: tags[i] } }, required: [key] }, then: b })),
    'x-discriminator': key,
    ...options,
  });
}

/**
 * A union whose branches are told apart by a test on the value (`when`), tried in order; a value
 * no test accepts is checked against `otherwise`. E.g. smoke checks: `{ http }` or `{ command }`.
 */
export function Switch<S>(cases: Array<{ when: Record<string, unknown>; then: TSchema }>, otherwise: TSchema, options: { description?: string } = {}) {
  let schema: Record<string, unknown> = otherwise as unknown as Record<string, unknown>;
  for (const c of [...cases].reverse()) schema = { if: c.when, then: c.then, else: schema };
  return Type.Unsafe<S>({ ...schema, ...options });
}
