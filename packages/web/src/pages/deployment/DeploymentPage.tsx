import { Alert, Anchor, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { seg } from '../../api/client';
import { useApiQuery } from '../../api/queries';
import type { Deployment, Environment, Page } from '../../api/types';
import { EnvBadge, StatusBadge } from '../../components/badges';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { PageHeader } from '../../components/PageHeader';
import { formatTime } from '../../components/time';
import { DeploymentActions } from './DeploymentActions';
import { DeploymentTimeline } from './DeploymentTimeline';
import { LiveLogs } from './LiveLogs';

const enc = encodeURIComponent;
const ACTIVE = new Set(['pending_approval', 'pending', 'running']);

export function DeploymentPage() {
  const { id = '' } = useParams();
  const deployment = useApiQuery<Deployment>(`/api/v1/deployments/${seg(id)}`, undefined, {
    refetchInterval: (query) => (query.state.data && ACTIVE.has(query.state.data.status) ? 3_000 : false),
  });
  const environments = useApiQuery<Page<Environment>>('/api/v1/environments', { limit: 200 });
  if (deployment.isPending) return <Loading />;
  if (deployment.isError) return <ErrorAlert error={deployment.error} title={`Deployment ${id}`} />;
  const d = deployment.data;
  const env = environments.data?.items.find((e) => e.key === d.environment);
  return (
    <Stack>
      <PageHeader
        title={`Deploy ${d.project} ${d.version} to ${env?.name || d.environment}`}
        subtitle={
          <>
            requested {formatTime(d.createdAt)} by {d.requestedBy}
            {d.reason && ` — “${d.reason}”`} · tag <Code>{d.tag}</Code>
            {d.rollbackOf && (
              <>
                {' '}
                · rollback of{' '}
                <Anchor component={Link} to={`/deployments/${enc(d.rollbackOf)}`}>
                  {d.rollbackOf.slice(0, 8)}
                </Anchor>
              </>
            )}
          </>
        }
        actions={
          <Group gap="xs">
            <EnvBadge name={env?.name || d.environment} color={env?.color} />
            <StatusBadge status={d.status} />
          </Group>
        }
      />
      <Anchor component={Link} to={`/projects/${enc(d.project)}/releases/${enc(d.version)}`} size="sm">
        ← release {d.version} of {d.project}
      </Anchor>
      {d.override && d.override.overridden.length > 0 && (
        <Text size="sm" c="#a63a0b">
          Overrode {d.override.overridden.join(', ')}: “{d.override.reason}”
        </Text>
      )}
      {d.rejection && (
        <Alert color="red" variant="light" title={`Rejected by ${d.rejection.by} ${formatTime(d.rejection.at)}`} data-testid="rejection">
          “{d.rejection.comment}”
        </Alert>
      )}
      {d.failure?.reason && (
        <ErrorAlert error={new Error(`${d.failure.reason}${d.failure.target ? ` (target ${d.failure.target})` : ''}`)} title="The deployment failed" />
      )}
      <DeploymentActions deployment={d} />
      <section aria-labelledby="targets">
        <Title order={2} fz="h4" id="targets" mb="xs">
          Targets
        </Title>
        <Table withTableBorder data-testid="targets">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Target</Table.Th>
              <Table.Th>Executor</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Started</Table.Th>
              <Table.Th>Finished</Table.Th>
              <Table.Th>Message</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {d.targets.map((t) => (
              <Table.Tr key={t.key}>
                <Table.Td>{t.key}</Table.Td>
                <Table.Td>{t.executor}</Table.Td>
                <Table.Td>
                  <StatusBadge status={t.status} />
                </Table.Td>
                <Table.Td>{formatTime(t.startedAt)}</Table.Td>
                <Table.Td>{formatTime(t.finishedAt)}</Table.Td>
                <Table.Td>{t.message ?? ''}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </section>
      <DeploymentTimeline deployment={d} />
      <LiveLogs id={d.id} />
    </Stack>
  );
}

export default DeploymentPage;
