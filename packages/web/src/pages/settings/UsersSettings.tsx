import { Button, Group, PasswordInput, Select, Stack, Switch, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { api, seg } from '../../api/client';
import { useApiMutation, useApiQuery } from '../../api/queries';
import { useSession } from '../../api/session';
import type { Page, User, UserCreate, UserPatch } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { formatTime } from '../../components/time';

const ROLES = ['viewer', 'engineer', 'qa', 'release-manager', 'admin'];

export function UsersSettings() {
  const { can } = useSession();
  const admin = can('manageUsers');
  const users = useApiQuery<Page<User>>(admin ? '/api/v1/users' : null, { limit: 200 });
  const [form, setForm] = useState({ username: '', role: 'viewer', password: '' });
  const create = useApiMutation(() => api.post('/api/v1/users', { username: form.username.trim(), role: form.role as UserCreate['role'], ...(form.password && { password: form.password }) } satisfies UserCreate), {
    onSuccess: () => setForm({ username: '', role: 'viewer', password: '' }),
  });
  const update = useApiMutation(({ id, patch }: { id: string; patch: UserPatch }) => api.patch(`/api/v1/users/${seg(id)}`, patch));
  if (!admin) return <Text>Only admins manage users and roles.</Text>;
  if (users.isPending) return <Loading />;
  return (
    <Stack>
      <ErrorAlert error={users.error ?? update.error} />
      <Table withTableBorder striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>User</Table.Th>
            <Table.Th>Role</Table.Th>
            <Table.Th>Active</Table.Th>
            <Table.Th>Created</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(users.data?.items ?? []).map((u) => (
            <Table.Tr key={u.id}>
              <Table.Td>
                {u.username}
                {u.displayName && u.displayName !== u.username ? ` (${u.displayName})` : ''}
              </Table.Td>
              <Table.Td>
                <Select aria-label={`Role of ${u.username}`} data={ROLES} value={u.role} allowDeselect={false} onChange={(role) => role && update.mutate({ id: u.id, patch: { role: role as UserPatch['role'] } })} size="xs" w={170} />
              </Table.Td>
              <Table.Td>
                <Switch aria-label={`${u.username} may sign in`} checked={!u.disabled} onChange={(e) => update.mutate({ id: u.id, patch: { disabled: !e.currentTarget.checked } })} />
              </Table.Td>
              <Table.Td>{formatTime(u.createdAt)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Group align="flex-end" role="group" aria-label="New user">
        <TextInput label="Username" value={form.username} onChange={(e) => setForm({ ...form, username: e.currentTarget.value })} required />
        <Select label="Role" data={ROLES} value={form.role} onChange={(role) => setForm({ ...form, role: role ?? 'viewer' })} allowDeselect={false} w={170} />
        <PasswordInput label="Password" description="for signing in to the web app" value={form.password} onChange={(e) => setForm({ ...form, password: e.currentTarget.value })} autoComplete="new-password" />
        <Button onClick={() => create.mutate(undefined)} loading={create.isPending}>
          Add user
        </Button>
      </Group>
      <ErrorAlert error={create.error} title="Refused" />
    </Stack>
  );
}
