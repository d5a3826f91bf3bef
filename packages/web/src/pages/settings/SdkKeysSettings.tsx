import { Button, Group, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { api, seg } from '../../api/client';
import { useApiMutation, useApiQuery } from '../../api/queries';
import { Can } from '../../api/session';
import type { Environment, Page, Project, SdkKey, SdkKeyCreated } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatTime } from '../../components/time';
import { ShownOnce } from './ShownOnce';

export function SdkKeysSettings() {
  const projects = useApiQuery<Page<Project>>('/api/v1/projects', { limit: 200 });
  const environments = useApiQuery<Page<Environment>>('/api/v1/environments', { limit: 200 });
  const [project, setProject] = useState<string | null>(null);
  const [env, setEnv] = useState<string | null>(null);
  const [kind, setKind] = useState('server');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<SdkKeyCreated | null>(null);
  const path = project && env ? `/api/v1/projects/${seg(project)}/environments/${seg(env)}/sdk-keys` : null;
  const keys = useApiQuery<Page<SdkKey>>(path);
  const create = useApiMutation(() => api.post<SdkKeyCreated>(path!, { kind: kind as 'server' | 'client', ...(name.trim() && { name: name.trim() }) }), { onSuccess: (k) => (setCreated(k), setName('')) });
  const revoke = useApiMutation((id: string) => api.delete(`${path}/${seg(id)}`));
  return (
    <Stack>
      <Group align="flex-end">
        <Select label="Project" data={(projects.data?.items ?? []).map((p) => p.key)} value={project} onChange={setProject} searchable w={220} />
        <Select label="Environment" data={[...(environments.data?.items ?? [])].sort((a, b) => a.rank - b.rank).map((e) => e.key)} value={env} onChange={setEnv} w={200} />
      </Group>
      {created && <ShownOnce label={`${created.kind} key ${created.name}`} value={created.key} onDone={() => setCreated(null)} />}
      {!path ? (
        <Text c="dimmed">Pick a project and an environment.</Text>
      ) : (
        <>
          <Can capability="manageSdkKeys">
            <Group align="flex-end" role="group" aria-label="New SDK key">
              <Select label="Kind" description="server: whole rule set (secret); client: remote evaluation (public)" data={['server', 'client']} value={kind} onChange={(k) => setKind(k ?? 'server')} allowDeselect={false} w={140} />
              <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
              <Button onClick={() => create.mutate(undefined)} loading={create.isPending}>
                Create SDK key
              </Button>
            </Group>
          </Can>
          <ErrorAlert error={keys.error ?? create.error ?? revoke.error} />
          <Table withTableBorder striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Kind</Table.Th>
                <Table.Th>Prefix</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>State</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {(keys.data?.items ?? []).map((k) => (
                <Table.Tr key={k.id}>
                  <Table.Td>{k.name}</Table.Td>
                  <Table.Td>{k.kind}</Table.Td>
                  <Table.Td>
                    <code>{k.prefix}…</code>
                  </Table.Td>
                  <Table.Td>
                    {formatTime(k.createdAt)} by {k.createdBy}
                  </Table.Td>
                  <Table.Td>
                    {k.revokedAt ? (
                      `revoked ${formatTime(k.revokedAt)}`
                    ) : (
                      <Can capability="manageSdkKeys">
                        <Button size="xs" color="red.9" variant="outline" onClick={() => revoke.mutate(k.id)} aria-label={`Revoke ${k.name}`}>
                          Revoke
                        </Button>
                      </Can>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </>
      )}
    </Stack>
  );
}
