import { Anchor, Button, Card, Code, Group, Modal, Progress, SimpleGrid, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, seg } from '../../api/client';
import type { Rollout, RolloutDecision, RolloutMetric } from '../../api/more-types';
import { useApiMutation, useApiQuery } from '../../api/queries';
import { useSession } from '../../api/session';
import type { Environment } from '../../api/types';
import { EnvBadge, SolidBadge, StatusBadge } from '../../components/badges';
import { EChart } from '../../components/chart/EChart';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { PageHeader } from '../../components/PageHeader';
import { formatTime } from '../../components/time';
import { metricChartOption, PHASE_COLORS, thresholdLines } from './metric-chart';
import { commandsFor, describeStep, formatDuration, mayCommand, type RolloutButton } from './steps';

const enc = encodeURIComponent;
const LIVE = new Set(['running', 'paused']);

const LABELS: Record<RolloutButton, string> = { pause: 'Pause', resume: 'Resume', promote: 'Promote', 'promote-full': 'Promote full', abort: 'Abort', retry: 'Retry' };
const CONFIRM: Partial<Record<RolloutButton, string>> = {
  'promote-full': 'Go to 100 % now, skipping every remaining step and analysis?',
  abort: 'Stop the rollout and put the weight back to 0 %?',
};

/** Counts down between two polls, so "time left" moves every second. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

function RolloutActions({ rollout: r }: { rollout: Rollout }) {
  const { me } = useSession();
  const env = useApiQuery<Environment>(`/api/v1/environments/${seg(r.environment)}`);
  const [confirm, setConfirm] = useState<RolloutButton | null>(null);
  const command = useApiMutation((cmd: RolloutButton) => api.post<Rollout>(`/api/v1/rollouts/${seg(r.id)}/${cmd}`), {
    onSuccess: (after, cmd) => {
      setConfirm(null);
      notifications.show({ message: `${LABELS[cmd]}: the rollout is ${after.status.replace(/_/g, ' ')}` });
    },
  });
  if (!mayCommand(me.capabilities, env.data?.protected ?? (env.isError ? undefined : false)) || env.isPending) return null;
  const buttons = commandsFor(r.status);
  if (buttons.length === 0) return null;
  const run = (cmd: RolloutButton) => (CONFIRM[cmd] ? setConfirm(cmd) : command.mutate(cmd));
  return (
    <Stack gap="xs">
      <Group gap="xs" data-testid="rollout-actions">
        {buttons.map((cmd) => (
          <Button key={cmd} size="sm" variant={cmd === 'abort' ? 'outline' : cmd === 'pause' || cmd === 'resume' ? 'filled' : 'default'} color={cmd === 'abort' ? 'red.9' : undefined} loading={command.isPending && command.variables === cmd} onClick={() => run(cmd)}>
            {LABELS[cmd]}
          </Button>
        ))}
      </Group>
      {!confirm && <ErrorAlert error={command.error} />}
      <Modal opened={confirm !== null} onClose={() => (setConfirm(null), command.reset())} title={confirm ? LABELS[confirm] : ''}>
        <Stack>
          <Text size="sm">{confirm ? CONFIRM[confirm] : ''}</Text>
          {env.data?.protected && <Text size="sm">{r.environment} is protected: this needs the release-manager role or above.</Text>}
          <ErrorAlert error={command.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirm(null)}>
              Cancel
            </Button>
            <Button color={confirm === 'abort' ? 'red.9' : undefined} loading={command.isPending} onClick={() => confirm && command.mutate(confirm)}>
              {confirm ? LABELS[confirm] : ''}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

function Steps({ rollout: r }: { rollout: Rollout }) {
  const finished = !LIVE.has(r.status);
  return (
    <Card withBorder>
      <Title order={2} fz="h4" mb="xs">
        Steps
      </Title>
      <ol className="steps" data-testid="rollout-steps">
        {r.steps.map((step, i) => {
          const current = i === r.stepIndex && !finished;
          const done = i < r.stepIndex || (finished && r.status === 'succeeded');
          return (
            <li key={i} className={current ? 'current' : done ? 'done' : undefined} aria-current={current ? 'step' : undefined} data-testid={current ? 'current-step' : undefined}>
              <Text size="sm" fw={current ? 700 : 400}>
                {describeStep(step)}
                {current && <VisuallyHidden> (current step)</VisuallyHidden>}
              </Text>
            </li>
          );
        })}
      </ol>
    </Card>
  );
}

function MetricChart({ metric, rollout }: { metric: RolloutMetric; rollout: Rollout }) {
  const option = useMemo(() => metricChartOption(metric, rollout.measurements), [metric, rollout.measurements]);
  const points = rollout.measurements.filter((m) => m.metric === metric.name);
  const last = points.at(-1);
  const lines = thresholdLines(metric);
  return (
    <Card withBorder data-testid={`metric-${metric.name}`}>
      <Group justify="space-between" align="flex-start" gap="xs">
        <Stack gap={0}>
          <Title order={3} fz="h5">
            {metric.name}
          </Title>
          <Text size="xs" c="dimmed">
            {metric.template} · {metric.where} · {metric.provider}
            {metric.interval ? ` every ${metric.interval}` : ''}
          </Text>
        </Stack>
        {last && (
          <SolidBadge background={PHASE_COLORS[last.phase] ?? '#495057'} size="sm">
            last: {last.value === null ? 'no data' : round(last.value)} {last.phase}
          </SolidBadge>
        )}
      </Group>
      <Text size="xs" mt={4}>
        {metric.failureCondition && (
          <>
            Fails when <Code>{metric.failureCondition}</Code>{' '}
          </>
        )}
        {metric.successCondition && (
          <>
            Succeeds when <Code>{metric.successCondition}</Code>
          </>
        )}
        {lines.length === 0 && (metric.failureCondition || metric.successCondition) && <Text span size="xs" c="dimmed"> (no line: the condition is not a simple comparison)</Text>}
      </Text>
      {points.length === 0 ? (
        <Text size="sm" c="dimmed" mt="sm" data-testid="no-measurements">
          No measurement yet.
        </Text>
      ) : (
        <EChart option={option} height={200} label={`${metric.name}: ${points.length} measurements${lines.length > 0 ? `, thresholds ${lines.map((l) => l.threshold.source).join(', ')}` : ''}`} />
      )}
    </Card>
  );
}

const round = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3));

const DECISION_COLORS: Record<string, string> = {
  analysis_failed: '#c92a2a',
  rolled_back: '#e8590c',
  aborted: '#c92a2a',
  completed: '#2b8a3e',
  analysis_successful: '#2b8a3e',
  analysis_inconclusive: '#e67700',
  paused: '#e67700',
};

function DecisionData({ data }: { data: unknown }) {
  if (data === null || data === undefined) return null;
  const d = data as { phase?: string; failureCondition?: string; successCondition?: string; breach?: string; values?: Array<{ value: number | null; phase: string }>; counts?: Record<string, number>; limits?: Record<string, number> };
  const verdict = d.phase ?? null;
  return (
    <details>
      <summary>
        <Text span size="xs">
          {verdict ? `verdict ${verdict}` : 'data'}
          {d.failureCondition ? ` · failure: ${d.failureCondition}` : ''}
          {d.successCondition ? ` · success: ${d.successCondition}` : ''}
        </Text>
      </summary>
      {d.breach && (
        <Text size="xs" mt={4}>
          {d.breach}
        </Text>
      )}
      {d.values && d.values.length > 0 && (
        <Text size="xs" mt={4}>
          Measurements: {d.values.map((v) => (v.value === null ? v.phase : `${round(v.value)} (${v.phase})`)).join(', ')}
        </Text>
      )}
      <Code block fz="xs" mt={4} style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
        {JSON.stringify(data, null, 2)}
      </Code>
    </details>
  );
}

function Decisions({ decisions }: { decisions: RolloutDecision[] }) {
  const ordered = [...decisions].reverse();
  return (
    <Card withBorder>
      <Title order={2} fz="h4" mb="xs">
        Decisions
      </Title>
      <Table striped data-testid="rollout-decisions" fz="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>When</Table.Th>
            <Table.Th>Decision</Table.Th>
            <Table.Th>Step</Table.Th>
            <Table.Th>Weight</Table.Th>
            <Table.Th>By</Table.Th>
            <Table.Th>What and why</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {ordered.map((d) => (
            <Table.Tr key={d.id} data-decision={d.type}>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatTime(d.at)}</Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap', minWidth: 170 }}>
                <SolidBadge background={DECISION_COLORS[d.type] ?? '#495057'} size="sm">
                  {d.type.replace(/_/g, ' ')}
                </SolidBadge>
              </Table.Td>
              <Table.Td>{d.stepIndex + 1}</Table.Td>
              <Table.Td>{d.weight} %</Table.Td>
              <Table.Td>{d.actor}</Table.Td>
              <Table.Td style={{ overflowWrap: 'anywhere' }}>
                <Text size="sm">{d.message}</Text>
                <DecisionData data={d.data} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Card>
  );
}

export function RolloutPage() {
  const { id = '' } = useParams();
  // Live: poll every 2 s while the rollout can still move, then stop.
  const query = useApiQuery<Rollout>(`/api/v1/rollouts/${seg(id)}`, undefined, { refetchInterval: (q) => (q.state.data && !LIVE.has((q.state.data as Rollout).status) ? false : 2000) });
  const r = query.data;
  const now = useNow(r?.status === 'running' && r.timeLeftMs !== null);
  const [fetchedAt, setFetchedAt] = useState(() => Date.now());
  useEffect(() => setFetchedAt(Date.now()), [query.dataUpdatedAt]);

  if (query.isPending) return <Loading />;
  if (query.isError || !r) return <ErrorAlert error={query.error} title={`Rollout ${id}`} />;
  const timeLeft = r.timeLeftMs === null ? null : r.status === 'running' ? r.timeLeftMs - (now - fetchedAt) : r.timeLeftMs;
  const what = r.target.kind === 'flag' ? `${r.target.flag} → ${r.target.variant}` : r.target.kind === 'deployment' ? `canary ${r.target.canaryVersion ?? ''} over ${r.target.stableVersion ?? ''}` : r.target.kind;
  const flagKey = r.target.kind === 'flag' ? r.target.flag : undefined;
  const deploymentId = r.target.kind === 'deployment' ? r.target.deploymentId : undefined;
  return (
    <Stack>
      <PageHeader
        title={`Rollout of ${what}`}
        subtitle={
          <>
            {r.project} · {r.environment} · plan {r.plan ?? 'inline'} · started {formatTime(r.createdAt)} by {r.createdBy}
            {r.finishedAt ? ` · ended ${formatTime(r.finishedAt)}` : ''}
          </>
        }
        actions={
          <>
            <Button component={Link} to={`/projects/${enc(r.project)}/rollouts`} variant="default" size="sm">
              All rollouts of {r.project}
            </Button>
            {flagKey !== undefined && (
              <Button component={Link} to={`/projects/${enc(r.project)}/flags/${enc(flagKey)}?env=${enc(r.environment)}`} variant="default" size="sm">
                Flag {flagKey}
              </Button>
            )}
            {deploymentId !== undefined && (
              <Button component={Link} to={`/deployments/${enc(deploymentId)}`} variant="default" size="sm">
                Deployment
              </Button>
            )}
          </>
        }
      />
      <ErrorAlert error={query.error} />
      <Card withBorder>
        <Group gap="lg" align="flex-start" wrap="wrap">
          <Stack gap={4}>
            <Text size="xs" c="dimmed">
              Status
            </Text>
            <span data-testid="rollout-status">
              <StatusBadge status={r.status} />
            </span>
          </Stack>
          <Stack gap={4}>
            <Text size="xs" c="dimmed">
              Environment
            </Text>
            <EnvBadge name={r.environment} />
          </Stack>
          <Stack gap={4} miw={220}>
            <Text size="xs" c="dimmed">
              Weight of {r.target.variant || (r.target.canaryVersion ? `canary ${r.target.canaryVersion}` : 'the canary')}
            </Text>
            <Group gap="xs" wrap="nowrap">
              <Progress value={r.weight} w={160} size="lg" aria-label={`Weight ${r.weight} %`} />
              <Text fw={700} data-testid="rollout-weight">
                {r.weight} %
              </Text>
            </Group>
          </Stack>
          <Stack gap={4}>
            <Text size="xs" c="dimmed">
              Step
            </Text>
            <Text fw={600}>
              {Math.min(r.stepIndex + 1, r.steps.length)} of {r.steps.length}: {r.currentStep}
            </Text>
          </Stack>
          {timeLeft !== null && LIVE.has(r.status) && (
            <Stack gap={4}>
              <Text size="xs" c="dimmed">
                Time left in this pause
              </Text>
              <Text fw={600} data-testid="time-left">
                {formatDuration(timeLeft)}
                {r.status === 'paused' ? ' (frozen while paused)' : ''}
              </Text>
            </Stack>
          )}
        </Group>
        {r.pause && (
          <Text size="sm" mt="sm" data-testid="pause-reason">
            Paused ({r.pause.reason}) since {formatTime(r.pause.since)}
            {r.pause.message ? `: ${r.pause.message}` : ''}
          </Text>
        )}
        {r.lastError && (
          <Text size="sm" mt="sm" c="red.9">
            Last error: {r.lastError}
          </Text>
        )}
        <div style={{ marginTop: 12 }}>
          <RolloutActions rollout={r} />
        </div>
      </Card>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <Steps rollout={r} />
        <Stack style={{ gridColumn: 'span 2' }}>
          <Title order={2} fz="h4">
            Metrics
          </Title>
          {r.metrics.length === 0 ? (
            <Text size="sm" c="dimmed">
              This rollout has no analysis: it moves on by its pauses alone.
            </Text>
          ) : (
            r.metrics.map((m) => <MetricChart key={`${m.where}-${m.name}`} metric={m} rollout={r} />)
          )}
          {r.analysis.length > 0 && (
            <Text size="xs" c="dimmed">
              Analysis runs:{' '}
              {r.analysis.map((a) => `${a.id} ${a.phase} (${a.metrics.map((m) => `${m.name}: ${m.successful} ok, ${m.failed} failed, ${m.inconclusive} inconclusive, ${m.error} errors`).join('; ')})`).join(' · ')}
            </Text>
          )}
        </Stack>
      </SimpleGrid>
      <Decisions decisions={r.decisions} />
      {flagKey !== undefined && (
        <Text size="xs">
          <Anchor component={Link} to={`/projects/${enc(r.project)}/rollouts?flag=${enc(flagKey)}`}>
            Other rollouts of {flagKey}
          </Anchor>
        </Text>
      )}
    </Stack>
  );
}

export default RolloutPage;
