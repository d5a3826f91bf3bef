import { Anchor, Button, ColorInput, Group, NumberInput, Stack, Switch, Table, TextInput } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { useApiMutation, useApiQuery } from '../../api/queries';
import { Can } from '../../api/session';
import type { Environment, EnvironmentCreate, Page } from '../../api/types';
import { EnvBadge, SolidBadge } from '../../components/badges';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';

export function EnvironmentsSettings() {
  const environments = useApiQuery<Page<Environment>>('/api/v1/environments', { limit: 200 });
  const [form, setForm] = useState({ key: '', name: '', rank: 10, protected: false, color: '#1971c2' });
  const create = useApiMutation(() => api.post('/api/v1/environments', { key: form.key.trim(), ...(form.name.trim() && { name: form.name.trim() }), rank: form.rank, protected: form.protected, color: form.color } satisfies EnvironmentCreate), {
    onSuccess: () => setForm({ ...form, key: '', name: '' }),
  });
  if (environments.isPending) return <Loading />;
  const items = [...(environments.data?.items ?? [])].sort((a, b) => a.rank - b.rank);
  return (
    <Stack>
      <ErrorAlert error={environments.error} />
      <Table withTableBorder striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Rank</Table.Th>
            <Table.Th>Environment</Table.Th>
            <Table.Th>Protected</Table.Th>
            <Table.Th>Sign-offs</Table.Th>
            <Table.Th>Approvals</Table.Th>
            <Table.Th>Windows / freezes</Table.Th>
            <Table.Th>Targets</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((e) => (
            <Table.Tr key={e.key}>
              <Table.Td>{e.rank}</Table.Td>
              <Table.Td>
                <Group gap="xs">
                  <EnvBadge name={e.name || e.key} color={e.color} />
                  <Anchor component={Link} to={`/settings/environments/${encodeURIComponent(e.key)}`}>
                    {e.key}
                  </Anchor>
                </Group>
              </Table.Td>
              <Table.Td>{e.protected ? <SolidBadge background="#f59f00">protected</SolidBadge> : 'no'}</Table.Td>
              <Table.Td>{e.requiredSignoffs.join(', ') || '—'}</Table.Td>
              <Table.Td>{e.approvals.map((g) => `${g.name}: ${g.required} × ${[...g.roles, ...g.users].join('/')}${g.kinds?.length ? ` (${g.kinds.join(', ')})` : ''}`).join('; ') || '—'}</Table.Td>
              <Table.Td>
                {e.windows.length} / {e.freezes.length}
              </Table.Td>
              <Table.Td>{e.targets.map((t) => t.key).join(', ') || 'default'}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Can capability="manageEnvironments">
        <Group align="flex-end" role="group" aria-label="New environment">
          <TextInput label="Key" value={form.key} onChange={(e) => setForm({ ...form, key: e.currentTarget.value })} required />
          <TextInput label="Name" value={form.name} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} />
          <NumberInput label="Rank" value={form.rank} onChange={(v) => setForm({ ...form, rank: Number(v) || 0 })} w={90} />
          <ColorInput label="Colour" value={form.color} onChange={(color) => setForm({ ...form, color })} w={140} format="hex" withEyeDropper={false} />
          <Switch label="Protected" checked={form.protected} onChange={(e) => setForm({ ...form, protected: e.currentTarget.checked })} />
          <Button onClick={() => create.mutate(undefined)} loading={create.isPending}>
            Create environment
          </Button>
        </Group>
        <ErrorAlert error={create.error} title="Refused" />
      </Can>
    </Stack>
  );
}
