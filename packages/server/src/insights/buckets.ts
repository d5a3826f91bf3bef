import { sql, type RawBuilder } from 'kysely';

/**
 * `case when col < b1 then 0 when col < b2 then 1 … else n end`: the period a timestamp falls in,
 * computed by the database so counts per week come back as a few grouped rows instead of one row per
 * bug or sign-off. Boundaries are the periods' ends (ISO strings, ascending); timestamps are ISO text,
 * which sorts as time in both dialects. Group by its position (`group by 1`): PostgreSQL does not
 * recognise a parameterised expression repeated in GROUP BY as the same one.
 */
export function bucketOf(column: string, ends: readonly string[]): RawBuilder<number> {
  if (ends.length === 0) return sql<number>`0`;
  const whens = ends.map((end, i) => sql`when ${sql.ref(column)} < ${end} then ${sql.lit(i)}`);
  return sql<number>`case ${sql.join(whens, sql` `)} else ${sql.lit(ends.length)} end`;
}
