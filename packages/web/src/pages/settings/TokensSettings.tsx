import { Button, Checkbox, Group, Select, Stack, Table, TextInput } from '@mantine/core';
import { useState } from 'react';
import { api, seg } from '../../api/client';
import { useApiMutation, useApiQuery } from '../../api/queries';
import { useSession } from '../../api/session';
import type { ApiToken, Page, TokenCreated } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { formatTime } from '../../components/time';
import { ShownOnce } from './ShownOnce';

const ROLES = ['viewer', 'engineer', 'qa', 'release-manager', 'admin'];

export function TokensSettings() {
  const { can, me } = useSession();
  const [all, setAll] = useState(false);
  const tokens = useApiQuery<Page<ApiToken>>('/api/v1/tokens', { limit: 200, all: all || undefined });
  const [name, setName] = useState('');
  const [role, setRole] = useState<string>(me.role);
  const [created, setCreated] = useState<TokenCreated | null>(null);
  const create = useApiMutation(() => api.post<TokenCreated>('/api/v1/tokens', { name: name.trim(), role }), { onSuccess: (t) => (setCreated(t), setName('')) });
  const revoke = useApiMutation((id: string) => api.delete(`/api/v1/tokens/${seg(id)}`));
  return (
    <Stack>
      {created && <ShownOnce label={`Token ${created.record.name}`} value={created.token} onDone={() => setCreated(null)} />}
      <Group align="flex-end" role="group" aria-label="New token">
        <TextInput label="Name" description="what uses it, e.g. CI" value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <Select label="Role" description="never above yours" data={ROLES} value={role} onChange={(r) => setRole(r ?? 'viewer')} allowDeselect={false} w={170} />
        <Button onClick={() => create.mutate(undefined)} loading={create.isPending}>
          Create token
        </Button>
        {can('seeAllTokens') && <Checkbox label="Everyone's tokens" checked={all} onChange={(e) => setAll(e.currentTarget.checked)} />}
      </Group>
      <ErrorAlert error={create.error ?? revoke.error ?? tokens.error} title="Refused" />
      {tokens.isPending ? (
        <Loading />
      ) : (
        <Table withTableBorder striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Prefix</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Last used</Table.Th>
              <Table.Th>Expires</Table.Th>
              <Table.Th>State</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(tokens.data?.items ?? []).map((t) => (
              <Table.Tr key={t.id}>
                <Table.Td>{t.name}</Table.Td>
                <Table.Td>
                  <code>{t.prefix}…</code>
                </Table.Td>
                <Table.Td>{t.role}</Table.Td>
                <Table.Td>{formatTime(t.lastUsedAt)}</Table.Td>
                <Table.Td>{formatTime(t.expiresAt)}</Table.Td>
                <Table.Td>
                  {t.revokedAt ? (
                    `revoked ${formatTime(t.revokedAt)}`
                  ) : (
                    <Button size="xs" color="red.9" variant="outline" onClick={() => revoke.mutate(t.id)} aria-label={`Revoke ${t.name}`}>
                      Revoke
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
