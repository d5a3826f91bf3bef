import { Button, Group, Select, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { api, seg } from '../../api/client';
import { useApiMutation, useApiQuery } from '../../api/queries';
import { useSession } from '../../api/session';
import type { Delivery, Page } from '../../api/types';
import { StatusBadge } from '../../components/badges';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { formatTime } from '../../components/time';

export function DeliveriesSettings() {
  const { can } = useSession();
  const allowed = can('manageChannels');
  const [status, setStatus] = useState<string | null>(null);
  const deliveries = useApiQuery<Page<Delivery>>(allowed ? '/api/v1/deliveries' : null, { status, limit: 100 }, { refetchInterval: 10_000 });
  const retry = useApiMutation((id: string) => api.post(`/api/v1/deliveries/${seg(id)}/retry`, {}));
  if (!allowed) return <Text>Release managers and admins see deliveries.</Text>;
  return (
    <Stack>
      <Group>
        <Select label="Status" placeholder="any" data={['pending', 'delivered', 'failed']} value={status} onChange={setStatus} clearable w={180} />
      </Group>
      <ErrorAlert error={deliveries.error ?? retry.error} />
      {deliveries.isPending ? (
        <Loading />
      ) : (
        <Table withTableBorder striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Event</Table.Th>
              <Table.Th>Channel</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Attempts</Table.Th>
              <Table.Th>Last error</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Retry</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(deliveries.data?.items ?? []).map((d) => (
              <Table.Tr key={d.id}>
                <Table.Td>
                  {d.event.type}
                  {d.event.project && ` · ${d.event.project}`}
                  {d.event.environment && `/${d.event.environment}`}
                </Table.Td>
                <Table.Td>{d.channel.name}</Table.Td>
                <Table.Td>
                  <StatusBadge status={d.status} />
                </Table.Td>
                <Table.Td>{d.attempts}</Table.Td>
                <Table.Td>
                  {d.lastStatusCode !== null && `HTTP ${d.lastStatusCode} `}
                  {d.lastError ?? ''}
                </Table.Td>
                <Table.Td>{formatTime(d.createdAt)}</Table.Td>
                <Table.Td>
                  {d.status !== 'delivered' && (
                    <Button size="xs" variant="default" onClick={() => retry.mutate(d.id)} aria-label={`Retry delivery ${d.id}`}>
                      Retry
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
