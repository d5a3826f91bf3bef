import { Anchor, Badge, Button, Group, MultiSelect, Select, Stack, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { seg } from '../../api/client';
import { useApiQuery } from '../../api/queries';
import { Can } from '../../api/session';
import type { Flag, Page } from '../../api/types';
import { OnOffBadge, SolidBadge } from '../../components/badges';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { PageHeader } from '../../components/PageHeader';
import { CreateFlagDialog } from './CreateFlagDialog';
import { UserFlagsPanel } from './UserFlagsPanel';

const enc = encodeURIComponent;

/** Whether the server marked the flag stale (no change and no evaluation for 30 days). */
export function isStale(flag: Flag): boolean {
  return flag.usage?.stale === true;
}

export function FlagsPage() {
  const { project = '' } = useParams();
  const flags = useApiQuery<Page<Flag>>(`/api/v1/projects/${seg(project)}/flags`, { limit: 200 });
  const [search, setSearch] = useState('');
  const [type, setType] = useState<string | null>(null);
  const [tags, setTags] = useState<string[]>([]);
  const [staleOnly, setStaleOnly] = useState(false);
  const [creating, setCreating] = useState(false);
  const items = flags.data?.items ?? [];
  const allTags = useMemo(() => [...new Set(items.flatMap((f) => f.tags))].sort(), [items]);
  const allTypes = useMemo(() => [...new Set(items.map((f) => f.type))].sort(), [items]);
  const envs = useMemo(() => [...(items[0]?.environments ?? [])].map((e) => e.environment).sort((a, b) => a.rank - b.rank), [items]);
  const needle = search.trim().toLowerCase();
  const visible = items.filter(
    (f) =>
      (!needle || f.key.toLowerCase().includes(needle) || f.name.toLowerCase().includes(needle) || f.description.toLowerCase().includes(needle)) &&
      (!type || f.type === type) &&
      tags.every((t) => f.tags.includes(t)) &&
      (!staleOnly || isStale(f)),
  );
  return (
    <Stack>
      <PageHeader
        title={`Flags of ${project}`}
        actions={
          <Can capability="changeFlags">
            <Button onClick={() => setCreating(true)}>Create flag</Button>
          </Can>
        }
      />
      {creating && <CreateFlagDialog project={project} onClose={() => setCreating(false)} />}
      <Group align="flex-end">
        <TextInput label="Search" placeholder="key, name or description" value={search} onChange={(e) => setSearch(e.currentTarget.value)} w={260} />
        <Select label="Type" placeholder="any type" data={allTypes} value={type} onChange={setType} clearable w={180} />
        <MultiSelect label="Tags" placeholder="any tag" data={allTags} value={tags} onChange={setTags} clearable w={240} />
        <Button variant={staleOnly ? 'filled' : 'default'} onClick={() => setStaleOnly((s) => !s)} aria-pressed={staleOnly}>
          Stale only
        </Button>
      </Group>
      <ErrorAlert error={flags.error} />
      {flags.isPending ? (
        <Loading />
      ) : items.length === 0 ? (
        <Text>No flag yet.</Text>
      ) : (
        <Table striped withTableBorder data-testid="flags-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Flag</Table.Th>
              <Table.Th>Type</Table.Th>
              {envs.map((e) => (
                <Table.Th key={e.key} style={{ borderTop: `4px solid ${e.color}` }}>
                  {e.name || e.key}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {visible.map((f) => (
              <Table.Tr key={f.key} data-testid={`flag-row-${f.key}`}>
                <Table.Td>
                  <Group gap={6}>
                    <Anchor component={Link} to={`/projects/${enc(project)}/flags/${enc(f.key)}`} fw={600}>
                      {f.key}
                    </Anchor>
                    {isStale(f) && (
                      <Tooltip label="No change and no evaluation in 30 days: remove it from the code, then archive it">
                        <span tabIndex={0}>
                          <SolidBadge background="#d9480f" data-testid="stale">
                            stale
                          </SolidBadge>
                        </span>
                      </Tooltip>
                    )}
                    {f.tags.map((t) => (
                      <Badge key={t} variant="outline" color="dark" size="xs" tt="none">
                        #{t}
                      </Badge>
                    ))}
                  </Group>
                  {f.name !== f.key && (
                    <Text size="xs" c="dimmed">
                      {f.name}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{f.type}</Table.Td>
                {envs.map((env) => {
                  const e = f.environments.find((x) => x.environment.key === env.key);
                  const on = (e?.config as { enabled?: boolean } | null)?.enabled === true;
                  return (
                    <Table.Td key={env.key}>
                      <OnOffBadge on={on} />
                      <Text size="xs">{e?.summary}</Text>
                    </Table.Td>
                  );
                })}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Can capability="manageUsers">
        <UserFlagsPanel project={project} flags={items} />
      </Can>
    </Stack>
  );
}

export default FlagsPage;
