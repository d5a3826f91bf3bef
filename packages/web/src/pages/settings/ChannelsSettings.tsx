import { Alert, Button, Group, Select, Stack, Switch, Table, TagsInput, Text, Textarea, TextInput } from '@mantine/core';
import { useState } from 'react';
import { api, seg } from '../../api/client';
import { useApiMutation, useApiQuery } from '../../api/queries';
import { Can, useSession } from '../../api/session';
import type { Channel, ChannelCreate, ChannelTest, Page } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';

const TYPES = ['slack', 'webhook', 'email', 'newrelic', 'datadog', 'grafana'];
const EXAMPLES: Record<string, string> = {
  slack: '{ "url": "https://hooks.slack.com/services/…" }',
  webhook: '{ "url": "https://example.com/hook", "secret": "…" }',
  email: '{ "host": "smtp.example.com", "port": 587, "from": "slipway@example.com", "to": ["team@example.com"] }',
  newrelic: '{ "apiKey": "…", "entityGuid": "…" }',
  datadog: '{ "apiKey": "…" }',
  grafana: '{ "url": "https://grafana.example.com", "token": "…" }',
};

export function ChannelsSettings() {
  const { can } = useSession();
  const allowed = can('manageChannels');
  const channels = useApiQuery<Page<Channel>>(allowed ? '/api/v1/channels' : null, { limit: 200 });
  const [form, setForm] = useState({ name: '', type: 'slack', config: '', events: ['deployment.*'] as string[] });
  const [configError, setConfigError] = useState<string | null>(null);
  const [tested, setTested] = useState<{ name: string; result: ChannelTest } | null>(null);
  const create = useApiMutation(
    () => {
      let config: Record<string, unknown>;
      try {
        config = JSON.parse(form.config || '{}') as Record<string, unknown>;
      } catch (error) {
        setConfigError(`Not JSON: ${(error as Error).message}`);
        throw error;
      }
      setConfigError(null);
      return api.post('/api/v1/channels', { name: form.name.trim(), type: form.type, config, subscriptions: [{ events: form.events }] } as ChannelCreate);
    },
    { onSuccess: () => setForm({ ...form, name: '', config: '' }) },
  );
  const test = useApiMutation((c: Channel) => api.post<ChannelTest>(`/api/v1/channels/${seg(c.id)}/test`, {}), { onSuccess: (result, c) => setTested({ name: c.name, result }) });
  const toggle = useApiMutation((c: Channel) => api.patch(`/api/v1/channels/${seg(c.id)}`, { enabled: !c.enabled }));
  const remove = useApiMutation((c: Channel) => api.delete(`/api/v1/channels/${seg(c.id)}`));
  if (!allowed) return <Text>Release managers and admins manage notification channels.</Text>;
  if (channels.isPending) return <Loading />;
  return (
    <Stack>
      <ErrorAlert error={channels.error ?? test.error ?? toggle.error ?? remove.error} />
      {tested && (
        <Alert color={tested.result.delivered ? 'green' : 'red'} title={`Test of ${tested.name}: ${tested.result.delivered ? 'delivered' : 'not delivered'}`} data-testid="channel-test-result" withCloseButton onClose={() => setTested(null)}>
          {tested.result.statusCode !== null && `HTTP ${tested.result.statusCode} · `}
          {tested.result.durationMs} ms{tested.result.error && ` · ${tested.result.error}`}
        </Alert>
      )}
      <Table withTableBorder striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Type</Table.Th>
            <Table.Th>Events</Table.Th>
            <Table.Th>Enabled</Table.Th>
            <Table.Th>Actions</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(channels.data?.items ?? []).map((c) => (
            <Table.Tr key={c.id}>
              <Table.Td>{c.name}</Table.Td>
              <Table.Td>{c.type}</Table.Td>
              <Table.Td>{c.subscriptions.flatMap((s) => s.events).join(', ')}</Table.Td>
              <Table.Td>
                <Switch aria-label={`${c.name} enabled`} checked={c.enabled} onChange={() => toggle.mutate(c)} />
              </Table.Td>
              <Table.Td>
                <Group gap="xs">
                  <Button size="xs" variant="default" onClick={() => test.mutate(c)} loading={test.isPending && test.variables?.id === c.id}>
                    Send test
                  </Button>
                  <Button size="xs" color="red.9" variant="outline" onClick={() => window.confirm(`Delete channel ${c.name}?`) && remove.mutate(c)}>
                    Delete
                  </Button>
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Can capability="manageChannels">
        <Stack gap="xs" maw={720} role="group" aria-label="New channel">
          <Group align="flex-end">
            <TextInput label="Name" value={form.name} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} />
            <Select label="Type" data={TYPES} value={form.type} onChange={(type) => setForm({ ...form, type: type ?? 'slack' })} allowDeselect={false} w={150} />
            <TagsInput label="Events" description="a trailing * matches a prefix" value={form.events} onChange={(events) => setForm({ ...form, events })} w={280} />
          </Group>
          <Textarea label="Configuration (JSON)" placeholder={EXAMPLES[form.type]} value={form.config} onChange={(e) => setForm({ ...form, config: e.currentTarget.value })} error={configError} autosize minRows={3} ff="monospace" />
          <Button w="fit-content" onClick={() => create.mutate(undefined)} loading={create.isPending}>
            Create channel
          </Button>
          {!configError && <ErrorAlert error={create.error} title="Refused" />}
        </Stack>
      </Can>
    </Stack>
  );
}
