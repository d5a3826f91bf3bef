import { useMemo } from 'react';
import type { CompatibilityMatrix, CompatibilityProblem } from '../../api/more-types';
import { useApiQuery } from '../../api/queries';

/**
 * What does not fit together in each environment, from `GET /api/v1/compatibility/matrix` (one
 * request for the whole grid), keyed `project/environment`.
 */
export function useCompatibilityProblems(): Map<string, CompatibilityProblem[]> {
  const matrix = useApiQuery<CompatibilityMatrix>('/api/v1/compatibility/matrix', undefined, { refetchInterval: 30_000 });
  return useMemo(() => {
    const map = new Map<string, CompatibilityProblem[]>();
    for (const env of matrix.data?.environments ?? []) for (const p of env.projects) if (!p.compatible && p.problems.length > 0) map.set(`${p.project}/${env.environment}`, p.problems);
    return map;
  }, [matrix.data]);
}

/** The warning in a cell of the matrix when what runs there breaks a declared requirement. */
export function CompatibilityWarning({ problems }: { problems: CompatibilityProblem[] | undefined }) {
  if (!problems || problems.length === 0) return null;
  return (
    <div className="warn" data-testid="incompatible" title={problems.map((p) => p.message).join('\n')}>
      Incompatible: {problems.map((p) => (p.direction === 'requires' ? `needs ${p.project} ${p.range}${p.version ? ` (runs ${p.version})` : ''}` : `${p.project} ${p.version ?? ''} needs ${p.range}`)).join('; ')}
    </div>
  );
}
