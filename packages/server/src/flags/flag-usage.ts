import { Type } from '@sinclair/typebox';
import { Nullable } from '../http/schemas.js';
import type { FlagEvaluationRecord } from './flag-evaluation-store.js';

/** No change and no evaluation for this long: the flag is marked stale. */
export const STALE_USAGE_DAYS = 30;

/** How much a flag is used, as far as the server knows, and whether it looks forgotten. */
export interface FlagUsage {
  /** The last change to the definition or any environment's configuration. */
  lastChangedAt: string;
  /** The last evaluation the server answered (OFREP), in any environment; null if none was seen. */
  lastEvaluatedAt: string | null;
  evaluations: number;
  /** No change and no evaluation seen in 30 days. SDKs evaluating locally do not report evaluations. */
  stale: boolean;
  environments: Array<{ environment: string; lastEvaluatedAt: string; evaluations: number }>;
}

export const FlagUsageSchema = Type.Object(
  {
    lastChangedAt: Type.String(),
    lastEvaluatedAt: Nullable(Type.String()),
    evaluations: Type.Integer(),
    stale: Type.Boolean({ description: 'no change and no evaluation seen by the server (OFREP) in 30 days; local SDK evaluations are not seen' }),
    environments: Type.Array(Type.Object({ environment: Type.String(), lastEvaluatedAt: Type.String(), evaluations: Type.Integer() })),
  },
  { description: 'evaluations counted by the server (flushed about once a minute) and the stale mark' },
);

export function flagUsage(flag: { updatedAt: string }, records: FlagEvaluationRecord[], now: Date): FlagUsage {
  const cutoff = new Date(now.getTime() - STALE_USAGE_DAYS * 86_400_000).toISOString();
  let lastEvaluatedAt: string | null = null;
  let evaluations = 0;
  for (const r of records) {
    evaluations += r.evaluations;
    if (lastEvaluatedAt === null || r.lastEvaluatedAt > lastEvaluatedAt) lastEvaluatedAt = r.lastEvaluatedAt;
  }
  return {
    lastChangedAt: flag.updatedAt,
    lastEvaluatedAt,
    evaluations,
    stale: flag.updatedAt <= cutoff && (lastEvaluatedAt === null || lastEvaluatedAt <= cutoff),
    environments: records.map((r) => ({ environment: r.environment, lastEvaluatedAt: r.lastEvaluatedAt, evaluations: r.evaluations })).sort((a, b) => (a.environment < b.environment ? -1 : 1)),
  };
}
