import { Text } from '@mantine/core';
import { lazy, Suspense, useMemo } from 'react';
import type { ReleaseSummary } from '../../api/types';

const EChart = lazy(() => import('../../components/chart/EChart'));

/** Releases per ISO week (last 12 weeks with releases), by kind. */
export function ReleaseCadence({ releases }: { releases: ReleaseSummary[] }) {
  const option = useMemo(() => {
    const weeks = new Map<string, number>();
    for (const r of releases) {
      const d = new Date(r.createdAt);
      const monday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - ((d.getUTCDay() + 6) % 7)));
      const key = monday.toISOString().slice(0, 10);
      weeks.set(key, (weeks.get(key) ?? 0) + 1);
    }
    const keys = [...weeks.keys()].sort().slice(-12);
    return {
      grid: { left: 30, right: 10, top: 10, bottom: 24 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: keys },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', name: 'releases', data: keys.map((k) => weeks.get(k)), barMaxWidth: 36, itemStyle: { color: '#3b5bdb' } }],
    };
  }, [releases]);
  if (releases.length === 0) return null;
  return (
    <Suspense fallback={<div style={{ height: 120 }} />}>
      <Text size="xs" c="dimmed">
        Releases per week
      </Text>
      <EChart option={option} height={120} label={`Releases per week: ${releases.length} releases in the list`} />
    </Suspense>
  );
}
