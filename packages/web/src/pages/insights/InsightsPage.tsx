import { Anchor, Card, Group, SegmentedControl, Select, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { seg } from '../../api/client';
import type { Dora, DoraTrendPoint, Quality, TestRunList } from '../../api/more-types';
import { useApiQuery } from '../../api/queries';
import type { Environment, Page, Project } from '../../api/types';
import { SolidBadge, StatusBadge } from '../../components/badges';
import { EChart } from '../../components/chart/EChart';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { PageHeader } from '../../components/PageHeader';
import { formatTime } from '../../components/time';
import { bandColor, bandLabel, hours, percent, rangeOf, short, STAGE_COLORS, STAGES } from './insights';

const enc = encodeURIComponent;
const RANGES = [
  { value: '28', label: 'Last 4 weeks' },
  { value: '84', label: 'Last 12 weeks' },
  { value: '182', label: 'Last 26 weeks' },
  { value: '365', label: 'Last year' },
];

type BandKey = keyof Dora['bands'];

interface MetricCard {
  key: BandKey;
  title: string;
  value: string;
  detail: string;
  /** The trend value of a period, in the unit the chart shows. */
  point: (p: DoraTrendPoint) => number | null;
  unit: string;
  bar?: boolean;
}

function TrendChart({ card, trend }: { card: MetricCard; trend: DoraTrendPoint[] }) {
  const option = useMemo(
    () => ({
      grid: { left: 44, right: 12, top: 12, bottom: 24 },
      tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (v === null || v === undefined ? '—' : `${Number(Number(v).toFixed(2))} ${card.unit}`) },
      xAxis: { type: 'category', data: trend.map((p) => p.start), axisLabel: { fontSize: 10 } },
      yAxis: { type: 'value', axisLabel: { fontSize: 10 } },
      series: [
        {
          name: card.title,
          type: card.bar ? 'bar' : 'line',
          connectNulls: true,
          symbolSize: 8,
          lineStyle: { color: '#495057' },
          // Each period's point in the colour of its own band.
          data: trend.map((p) => ({ value: card.point(p), itemStyle: { color: bandColor(p.bands[card.key]) } })),
        },
      ],
    }),
    [card, trend],
  );
  return <EChart option={option} height={130} label={`${card.title} per period: ${trend.map((p) => `${p.start} ${card.point(p) ?? 'no data'}`).join(', ')}`} />;
}

function DoraSection({ dora }: { dora: Dora }) {
  const cards: MetricCard[] = [
    {
      key: 'deploymentFrequency',
      title: 'Deployment frequency',
      value: dora.deploymentFrequency.perWeek === null ? '—' : `${Number(dora.deploymentFrequency.perWeek.toFixed(2))} / week`,
      detail: `${dora.deploymentFrequency.count} successful deployment${dora.deploymentFrequency.count === 1 ? '' : 's'}, ${dora.deploymentFrequency.rollbacks} rollback${dora.deploymentFrequency.rollbacks === 1 ? '' : 's'}`,
      point: (p) => p.deployments,
      unit: 'deployments',
      bar: true,
    },
    {
      key: 'leadTime',
      title: 'Lead time for changes',
      value: hours(dora.leadTime.medianHours),
      detail: `median; p90 ${hours(dora.leadTime.p90Hours)} over ${dora.leadTime.commits} commit${dora.leadTime.commits === 1 ? '' : 's'}`,
      point: (p) => p.leadTimeMedianHours,
      unit: 'h',
    },
    {
      key: 'changeFailureRate',
      title: 'Change failure rate',
      value: percent(dora.changeFailureRate),
      detail: `${dora.changeFailures.failures} of ${dora.changeFailures.of}: ${dora.changeFailures.failed} failed, ${dora.changeFailures.rolledBack} rolled back, ${dora.changeFailures.hotfixed} hotfixed, ${dora.changeFailures.incidents} with an incident`,
      point: (p) => (p.changeFailureRate === null ? null : p.changeFailureRate * 100),
      unit: '%',
    },
    {
      key: 'timeToRestore',
      title: 'Time to restore',
      value: hours(dora.timeToRestore.medianHours),
      detail: `median over ${dora.timeToRestore.incidents} incident${dora.timeToRestore.incidents === 1 ? '' : 's'}, ${dora.timeToRestore.unresolved} unresolved`,
      point: (p) => p.timeToRestoreMedianHours,
      unit: 'h',
    },
    {
      key: 'reworkRate',
      title: 'Deployment rework rate',
      value: percent(dora.reworkRate),
      detail: `${dora.rework.unplanned} unplanned of ${dora.rework.of}: ${dora.rework.hotfixes} hotfix${dora.rework.hotfixes === 1 ? '' : 'es'}, ${dora.rework.rollbacks} rollback${dora.rework.rollbacks === 1 ? '' : 's'}`,
      point: (p) => (p.reworkRate === null ? null : p.reworkRate * 100),
      unit: '%',
    },
  ];
  return (
    <Stack gap="sm">
      <Title order={2} fz="h3">
        DORA metrics in {dora.environment}
      </Title>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} data-testid="dora">
        {cards.map((c) => (
          <Card withBorder key={c.key} data-testid={`dora-${c.key}`}>
            <Group justify="space-between" align="flex-start" wrap="nowrap">
              <Stack gap={0}>
                <Title order={3} fz="sm">
                  {c.title}
                </Title>
                <Text fz={26} fw={700} data-testid="value">
                  {c.value}
                </Text>
              </Stack>
              <SolidBadge background={bandColor(dora.bands[c.key])} data-band={dora.bands[c.key] ?? 'none'}>
                {bandLabel(dora.bands[c.key])}
              </SolidBadge>
            </Group>
            <Text size="xs" c="dimmed" data-testid="detail">
              {c.detail}
            </Text>
            <TrendChart card={c} trend={dora.trend} />
            <Text size="xs" c="dimmed">
              Elite {dora.thresholds[c.key].higherIsBetter ? '≥' : '≤'} {short(dora.thresholds[c.key].elite)} {dora.thresholds[c.key].unit} · high {short(dora.thresholds[c.key].high)} · medium {short(dora.thresholds[c.key].medium)}
            </Text>
          </Card>
        ))}
      </SimpleGrid>
      {(dora.changeFailures.deployments.length > 0 || dora.incidents.length > 0) && (
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Card withBorder>
            <Title order={3} fz="sm" mb="xs">
              Deployments that failed or needed rework
            </Title>
            <Table fz="sm" data-testid="change-failures">
              <Table.Tbody>
                {dora.changeFailures.deployments.map((d) => (
                  <Table.Tr key={d.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/deployments/${enc(d.id)}`}>
                        {d.project} {d.version}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{d.reasons.join(', ')}</Table.Td>
                    <Table.Td>{formatTime(d.finishedAt)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Card>
          <Card withBorder>
            <Title order={3} fz="sm" mb="xs">
              Incidents
            </Title>
            <Table fz="sm" data-testid="incidents">
              <Table.Tbody>
                {dora.incidents.map((i) => (
                  <Table.Tr key={i.id}>
                    <Table.Td>{i.title}</Table.Td>
                    <Table.Td>{i.source}</Table.Td>
                    <Table.Td>{i.resolvedAt ? `restored in ${hours(i.restoreHours)}` : 'open'}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Card>
        </SimpleGrid>
      )}
    </Stack>
  );
}

function QualitySection({ quality }: { quality: Quality }) {
  const option = useMemo(
    () => ({
      grid: { left: 40, right: 40, top: 40, bottom: 28 },
      legend: { top: 0, textStyle: { fontSize: 11 } },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: quality.weeks.map((w) => w.weekStart) },
      yAxis: [{ type: 'value', name: 'bugs', minInterval: 1 }],
      series: [
        ...STAGES.map((stage) => ({ name: stage, type: 'bar', stack: 'bugs', itemStyle: { color: STAGE_COLORS[stage] }, data: quality.weeks.map((w) => w.bugsByStage[stage] ?? 0) })),
        { name: 'production regressions', type: 'line', symbolSize: 10, lineStyle: { color: '#c92a2a', width: 3 }, itemStyle: { color: '#c92a2a' }, data: quality.weeks.map((w) => w.productionRegressions) },
      ],
    }),
    [quality],
  );
  const t = quality.totals;
  return (
    <Stack gap="sm">
      <Title order={2} fz="h3">
        QA and bugs by stage
      </Title>
      <SimpleGrid cols={{ base: 2, md: 5 }} data-testid="quality-totals">
        {[
          ['QA tests performed', t.qaTestsPerformed, 'qaTestsPerformed'],
          ['QA tests pushed back', t.qaTestsPushedBack, 'qaTestsPushedBack'],
          ['Staging features pushed to production', t.stagingFeaturesPushedToProduction, 'stagingFeaturesPushedToProduction'],
          ['Regressions on production', t.productionRegressions, 'productionRegressions'],
          ['Bugs found', t.bugs, 'bugs'],
        ].map(([label, value, key]) => (
          <Card withBorder key={String(key)} p="sm" data-testid={`total-${key}`}>
            <Text size="xs" c="dimmed">
              {label}
            </Text>
            <Text fz={24} fw={700} c={key === 'productionRegressions' && Number(value) > 0 ? 'red.9' : undefined}>
              {value}
            </Text>
          </Card>
        ))}
      </SimpleGrid>
      <Card withBorder>
        <EChart option={option} height={260} label={`Bugs found per stage per ${quality.interval}, production regressions as a red line`} />
      </Card>
      {/* Focusable, so the table can be scrolled with the keyboard when it is wider than the page. */}
      <div style={{ overflowX: 'auto' }} tabIndex={0} role="region" aria-label={`QA and bugs per ${quality.interval}`}>
        <Table striped fz="xs" data-testid="quality-weeks">
          <Table.Caption>
            Per {quality.interval} from {formatTime(quality.from)} to {formatTime(quality.to)} ({quality.timezone})
          </Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{quality.interval === 'month' ? 'Month' : 'Week'} of</Table.Th>
              <Table.Th>QA tests</Table.Th>
              <Table.Th>Pushed back</Table.Th>
              <Table.Th>To production</Table.Th>
              {STAGES.map((s) => (
                <Table.Th key={s}>{s}</Table.Th>
              ))}
              <Table.Th>Regressions on production</Table.Th>
              <Table.Th>Other production bugs</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {quality.weeks.map((w) => (
              <Table.Tr key={w.weekStart} data-week={w.weekStart}>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  {w.weekStart}
                  {w.partial ? ' (partial)' : ''}
                </Table.Td>
                <Table.Td>{w.qaTestsPerformed}</Table.Td>
                <Table.Td>{w.qaTestsPushedBack}</Table.Td>
                <Table.Td>{w.stagingFeaturesPushedToProduction}</Table.Td>
                {STAGES.map((s) => (
                  <Table.Td key={s} data-stage={s}>
                    {w.bugsByStage[s] ?? 0}
                  </Table.Td>
                ))}
                <Table.Td data-testid="regressions" fw={w.productionRegressions > 0 ? 700 : undefined} c={w.productionRegressions > 0 ? 'red.9' : undefined}>
                  {w.productionRegressions}
                </Table.Td>
                <Table.Td>{w.otherBugs}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </div>
      {quality.releases.length > 0 && (
        <Card withBorder>
          <Title order={3} fz="sm" mb="xs">
            Bugs found after each release shipped
          </Title>
          <Table fz="sm" data-testid="quality-releases">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Release</Table.Th>
                <Table.Th>Shipped</Table.Th>
                <Table.Th>Bugs after</Table.Th>
                <Table.Th>Regressions after</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {quality.releases.map((r) => (
                <Table.Tr key={`${r.project}@${r.version}`}>
                  <Table.Td>
                    <Anchor component={Link} to={`/projects/${enc(r.project)}/releases/${enc(r.version)}`}>
                      {r.project} {r.version}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{formatTime(r.shippedAt)}</Table.Td>
                  <Table.Td>{r.bugsAfterShip}</Table.Td>
                  <Table.Td>{r.regressionsAfterShip}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      )}
    </Stack>
  );
}

function TestRunsSection({ project }: { project: string }) {
  const runs = useApiQuery<TestRunList>(`/api/v1/projects/${seg(project)}/test-runs`, { limit: 20 });
  if (runs.isPending) return <Loading />;
  if (runs.isError) return <ErrorAlert error={runs.error} />;
  const items = runs.data.items;
  return (
    <Stack gap="sm">
      <Title order={2} fz="h3">
        Test runs of {project}
      </Title>
      {items.length === 0 ? (
        <Text size="sm">No test run yet: upload JUnit XML with slipway test-run upload, or schedule E2E runs.</Text>
      ) : (
        <Table striped fz="sm" data-testid="test-runs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Suite</Table.Th>
              <Table.Th>Version</Table.Th>
              <Table.Th>Environment</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Tests</Table.Th>
              <Table.Th>Failed</Table.Th>
              <Table.Th>Skipped</Table.Th>
              <Table.Th>Flaky</Table.Th>
              <Table.Th>Duration</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td>{formatTime(r.finishedAt ?? r.createdAt)}</Table.Td>
                <Table.Td>
                  {r.suite} ({r.source})
                </Table.Td>
                <Table.Td>{r.version ?? '—'}</Table.Td>
                <Table.Td>{r.environment ?? '—'}</Table.Td>
                <Table.Td>
                  <StatusBadge status={r.status === 'passed' ? 'succeeded' : r.status} />
                </Table.Td>
                <Table.Td>{r.total}</Table.Td>
                <Table.Td>{r.failed + r.errors}</Table.Td>
                <Table.Td>{r.skipped}</Table.Td>
                <Table.Td>{r.flaky}</Table.Td>
                <Table.Td>{(r.durationMs / 1000).toFixed(1)} s</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

export function InsightsPage() {
  const [params, setParams] = useSearchParams();
  const project = params.get('project');
  const environment = params.get('environment') ?? 'production';
  const days = params.get('days') ?? '84';
  const interval = params.get('interval') === 'month' ? 'month' : 'week';
  const set = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const projects = useApiQuery<Page<Project>>('/api/v1/projects', { limit: 200 });
  const environments = useApiQuery<Page<Environment>>('/api/v1/environments', { limit: 200 });
  const range = useMemo(() => rangeOf(Number(days) || 84), [days]);
  const query = { project, environment, interval, from: range.from, to: range.to };
  const dora = useApiQuery<Dora>('/api/v1/insights/dora', query);
  const quality = useApiQuery<Quality>('/api/v1/insights/quality', query);
  return (
    <Stack>
      <PageHeader title="Insights" subtitle="How well we ship: DORA metrics, QA and bugs by stage, test runs" />
      <Group gap="sm" align="flex-end" wrap="wrap" data-testid="insights-filters">
        <Select
          label="Project"
          placeholder="All projects"
          clearable
          searchable
          size="xs"
          w={200}
          data={(projects.data?.items ?? []).map((p) => ({ value: p.key, label: p.name || p.key }))}
          value={project}
          onChange={(v) => set('project', v)}
        />
        <Select
          label="Environment"
          size="xs"
          w={180}
          allowDeselect={false}
          data={[...(environments.data?.items ?? [])].sort((a, b) => a.rank - b.rank).map((e) => ({ value: e.key, label: e.name || e.key }))}
          value={environment}
          onChange={(v) => set('environment', v)}
        />
        <Select label="Time range" size="xs" w={160} allowDeselect={false} data={RANGES} value={days} onChange={(v) => set('days', v)} />
        <Stack gap={2}>
          <Text size="xs" fw={500} id="interval-label">
            Interval
          </Text>
          <SegmentedControl
            size="xs"
            aria-labelledby="interval-label"
            data={[
              { value: 'week', label: 'Week' },
              { value: 'month', label: 'Month' },
            ]}
            value={interval}
            onChange={(v) => set('interval', v === 'week' ? null : v)}
          />
        </Stack>
      </Group>
      <ErrorAlert error={dora.error ?? quality.error} />
      {dora.isPending ? <Loading label="Computing DORA metrics" /> : dora.data ? <DoraSection dora={dora.data} /> : null}
      {quality.isPending ? <Loading label="Counting bugs and QA tests" /> : quality.data ? <QualitySection quality={quality.data} /> : null}
      {project ? (
        <TestRunsSection project={project} />
      ) : (
        <Text size="sm" c="dimmed">
          Choose a project to see its test runs.
        </Text>
      )}
    </Stack>
  );
}

export default InsightsPage;
