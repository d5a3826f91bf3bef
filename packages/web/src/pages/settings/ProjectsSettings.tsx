import { Anchor, Button, Group, Modal, MultiSelect, Stack, Table, TextInput } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, seg } from '../../api/client';
import { useApiMutation, useApiQuery } from '../../api/queries';
import { Can } from '../../api/session';
import type { Environment, Page, Project, ProjectCreate } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';

interface Form {
  key: string;
  name: string;
  repository: string;
  tagTemplate: string;
  ticketPattern: string;
  ticketUrl: string;
  lifecycle: string[];
  hotfixLifecycle: string[];
}

const empty: Form = { key: '', name: '', repository: '', tagTemplate: 'v{version}', ticketPattern: '', ticketUrl: '', lifecycle: [], hotfixLifecycle: [] };

function formOf(p: Project): Form {
  return {
    key: p.key,
    name: p.name,
    repository: p.repository,
    tagTemplate: p.tagTemplate,
    ticketPattern: p.ticketPattern,
    ticketUrl: p.ticketUrl ?? '',
    lifecycle: p.lifecycle,
    hotfixLifecycle: p.hotfixLifecycle,
  };
}

export function ProjectsSettings() {
  const projects = useApiQuery<Page<Project>>('/api/v1/projects', { limit: 200 });
  const environments = useApiQuery<Page<Environment>>('/api/v1/environments', { limit: 200 });
  const [editing, setEditing] = useState<{ form: Form; isNew: boolean } | null>(null);
  const envKeys = [...(environments.data?.items ?? [])].sort((a, b) => a.rank - b.rank).map((e) => e.key);
  const save = useApiMutation(
    () => {
      const f = editing!.form;
      const body = {
        ...(f.name.trim() && { name: f.name.trim() }),
        repository: f.repository.trim(),
        tagTemplate: f.tagTemplate.trim(),
        ...(f.ticketPattern.trim() && { ticketPattern: f.ticketPattern.trim() }),
        ticketUrl: f.ticketUrl.trim() || null,
        ...(f.lifecycle.length > 0 && { lifecycle: f.lifecycle }),
        ...(f.hotfixLifecycle.length > 0 && { hotfixLifecycle: f.hotfixLifecycle }),
      };
      return editing!.isNew ? api.post('/api/v1/projects', { key: f.key.trim(), ...body } as ProjectCreate) : api.patch(`/api/v1/projects/${seg(f.key)}`, body);
    },
    { onSuccess: () => setEditing(null) },
  );
  if (projects.isPending) return <Loading />;
  return (
    <Stack>
      <ErrorAlert error={projects.error} />
      <Table withTableBorder striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Project</Table.Th>
            <Table.Th>Repository</Table.Th>
            <Table.Th>Tags</Table.Th>
            <Table.Th>Lifecycle</Table.Th>
            <Table.Th>Hotfix lifecycle</Table.Th>
            <Table.Th>
              <span className="sr-only">Actions</span>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(projects.data?.items ?? []).map((p) => (
            <Table.Tr key={p.key}>
              <Table.Td>
                <Anchor component={Link} to={`/projects/${encodeURIComponent(p.key)}`}>
                  {p.key}
                </Anchor>
              </Table.Td>
              <Table.Td>{p.repository}</Table.Td>
              <Table.Td>{p.tagTemplate}</Table.Td>
              <Table.Td>{p.lifecycle.join(' → ')}</Table.Td>
              <Table.Td>{p.hotfixLifecycle.join(' → ')}</Table.Td>
              <Table.Td>
                <Can capability="manageProjects">
                  <Button size="xs" variant="default" onClick={() => setEditing({ form: formOf(p), isNew: false })} aria-label={`Edit ${p.key}`}>
                    Edit
                  </Button>
                </Can>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Can capability="manageProjects">
        <Button w="fit-content" onClick={() => setEditing({ form: empty, isNew: true })}>
          New project
        </Button>
      </Can>
      {editing && (
        <Modal opened onClose={() => setEditing(null)} title={editing.isNew ? 'New project' : `Edit ${editing.form.key}`} size="lg">
          <Stack>
            {(() => {
              const f = editing.form;
              const set = (patch: Partial<Form>) => setEditing({ ...editing, form: { ...f, ...patch } });
              return (
                <>
                  <TextInput label="Key" value={f.key} onChange={(e) => set({ key: e.currentTarget.value })} disabled={!editing.isNew} required />
                  <TextInput label="Name" value={f.name} onChange={(e) => set({ name: e.currentTarget.value })} />
                  <TextInput label="Repository" description="local path or git URL" value={f.repository} onChange={(e) => set({ repository: e.currentTarget.value })} required />
                  <TextInput label="Tag template" value={f.tagTemplate} onChange={(e) => set({ tagTemplate: e.currentTarget.value })} />
                  <TextInput label="Ticket pattern" placeholder="[A-Z][A-Z0-9]+-\d+" value={f.ticketPattern} onChange={(e) => set({ ticketPattern: e.currentTarget.value })} />
                  <TextInput label="Ticket URL" description="links ticket keys, e.g. https://tracker.example.com/browse/{ticket}" value={f.ticketUrl} onChange={(e) => set({ ticketUrl: e.currentTarget.value })} />
                  <MultiSelect label="Lifecycle (in order)" data={envKeys} value={f.lifecycle} onChange={(lifecycle) => set({ lifecycle })} />
                  <MultiSelect label="Hotfix lifecycle (in order)" data={envKeys} value={f.hotfixLifecycle} onChange={(hotfixLifecycle) => set({ hotfixLifecycle })} />
                </>
              );
            })()}
            <ErrorAlert error={save.error} title="Refused" />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setEditing(null)}>
                Cancel
              </Button>
              <Button onClick={() => save.mutate(undefined)} loading={save.isPending}>
                Save
              </Button>
            </Group>
          </Stack>
        </Modal>
      )}
    </Stack>
  );
}
