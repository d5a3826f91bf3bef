import { Anchor, Group, Select, Stack, Table, Text } from '@mantine/core';
import { Link, useParams, useSearchParams } from 'react-router';
import { seg } from '../../api/client';
import type { RolloutList } from '../../api/more-types';
import { useApiQuery } from '../../api/queries';
import { StatusBadge } from '../../components/badges';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { PageHeader } from '../../components/PageHeader';
import { formatTime } from '../../components/time';

const enc = encodeURIComponent;
const STATUSES = ['running', 'paused', 'succeeded', 'aborted', 'rolled_back'];

/** A project's rollouts, newest first; `?flag=` narrows to one flag (the flag page links here). */
export function RolloutsPage() {
  const { project = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const flag = params.get('flag');
  const status = params.get('status');
  const list = useApiQuery<RolloutList>(`/api/v1/projects/${seg(project)}/rollouts`, { limit: 200, status }, { refetchInterval: 5000 });
  const items = (list.data?.items ?? []).filter((r) => !flag || r.target.flag === flag);
  const set = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  return (
    <Stack>
      <PageHeader
        title={`Rollouts of ${project}`}
        subtitle={flag ? `Flag ${flag} only` : 'Progressive rollouts, newest first'}
        actions={<Select aria-label="Status" placeholder="Any status" clearable size="xs" data={STATUSES} value={status} onChange={(v) => set('status', v)} />}
      />
      {flag && (
        <Text size="sm">
          Showing the rollouts of flag {flag}.{' '}
          <Anchor component="button" type="button" size="sm" onClick={() => set('flag', null)}>
            Show every flag
          </Anchor>
        </Text>
      )}
      <ErrorAlert error={list.error} />
      {list.isPending ? (
        <Loading />
      ) : items.length === 0 ? (
        <Text>No rollout yet. Start one from the API or the CLI: slipway rollout start.</Text>
      ) : (
        <Table striped data-testid="rollouts-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Rollout</Table.Th>
              <Table.Th>Environment</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Step</Table.Th>
              <Table.Th>Weight</Table.Th>
              <Table.Th>Started</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td>
                  <Group gap={6}>
                    <Anchor component={Link} to={`/rollouts/${enc(r.id)}`}>
                      {r.target.kind === 'flag' ? `${r.target.flag} → ${r.target.variant}` : r.target.kind === 'deployment' ? `canary ${r.target.canaryVersion ?? ''} over ${r.target.stableVersion ?? ''}` : r.id}
                    </Anchor>
                    <Text size="xs" c="dimmed">
                      {r.plan ?? 'inline plan'}
                    </Text>
                  </Group>
                </Table.Td>
                <Table.Td>{r.environment}</Table.Td>
                <Table.Td>
                  <StatusBadge status={r.status} />
                </Table.Td>
                <Table.Td>
                  {Math.min(r.stepIndex + 1, r.steps.length)}/{r.steps.length}: {r.currentStep}
                </Table.Td>
                <Table.Td>{r.weight} %</Table.Td>
                <Table.Td>
                  {formatTime(r.createdAt)} by {r.createdBy}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

export default RolloutsPage;
