import { Anchor, Badge, Button, Code, Group, Stack, Tabs, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, seg } from '../../api/client';
import { useApiMutation, useApiQuery } from '../../api/queries';
import { Can } from '../../api/session';
import type { Flag, Page, Segment } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { PageHeader } from '../../components/PageHeader';
import { OnOffBadge } from '../../components/badges';
import { FlagEnvEditor } from './FlagEnvEditor';
import { FlagHistory } from './FlagHistory';

const enc = encodeURIComponent;

export function FlagPage() {
  const { project = '', flag: key = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const flag = useApiQuery<Flag>(`/api/v1/projects/${seg(project)}/flags/${seg(key)}`);
  const flags = useApiQuery<Page<Flag>>(`/api/v1/projects/${seg(project)}/flags`, { limit: 200 });
  const segments = useApiQuery<Page<Segment>>(`/api/v1/projects/${seg(project)}/segments`, { limit: 200 });
  const archive = useApiMutation(() => api.delete(`/api/v1/projects/${seg(project)}/flags/${seg(key)}`), {
    onSuccess: () => {
      notifications.show({ message: `Archived ${key}` });
      navigate(`/projects/${enc(project)}/flags`);
    },
  });
  if (flag.isPending) return <Loading />;
  if (flag.isError) return <ErrorAlert error={flag.error} title={`Flag ${key}`} />;
  const f = flag.data;
  const envs = [...f.environments].sort((a, b) => a.environment.rank - b.environment.rank);
  const active = params.get('env') ?? envs[0]?.environment.key ?? null;
  return (
    <Stack>
      <PageHeader
        title={f.name && f.name !== f.key ? `${f.name} (${f.key})` : f.key}
        subtitle={`${f.type} flag of ${project}${f.owner ? ` · owner ${f.owner}` : ''}${f.description ? ` · ${f.description}` : ''}`}
        actions={
          <>
            <Button component={Link} to={`/projects/${enc(project)}/rollouts?flag=${enc(f.key)}`} variant="default">
              Rollouts
            </Button>
            <Can capability="changeFlags">
              {!f.archived && (
                <Button variant="default" color="red" onClick={() => archive.mutate(undefined)} loading={archive.isPending}>
                  Archive
                </Button>
              )}
            </Can>
          </>
        }
      />
      <Anchor component={Link} to={`/projects/${enc(project)}/flags`} size="sm">
        ← all flags of {project}
      </Anchor>
      <ErrorAlert error={archive.error} />
      {f.archived && <Badge color="dark">archived</Badge>}
      <Group gap="xs">
        <Text size="sm">Variants:</Text>
        {f.variants.map((v) => (
          <Badge key={v.key} variant="outline" color="dark" tt="none">
            {v.key} = <Code fz="xs">{JSON.stringify(v.value)}</Code>
          </Badge>
        ))}
        {f.tags.map((t) => (
          <Badge key={t} variant="outline" color="dark" tt="none">
            #{t}
          </Badge>
        ))}
      </Group>
      <Tabs value={active} onChange={(v) => v && setParams({ env: v }, { replace: true })} keepMounted={false}>
        <Tabs.List aria-label="Environments">
          {envs.map((e) => {
            const on = (e.config as { enabled?: boolean } | null)?.enabled === true;
            return (
              <Tabs.Tab key={e.environment.key} value={e.environment.key} style={{ borderBottomColor: e.environment.color }}>
                <Group gap={6} wrap="nowrap">
                  <span>{e.environment.name || e.environment.key}</span>
                  <OnOffBadge on={on} />
                  {e.environment.protected && <Text span size="xs" c="dimmed">protected</Text>}
                </Group>
              </Tabs.Tab>
            );
          })}
        </Tabs.List>
        {envs.map((e) => (
          <Tabs.Panel key={e.environment.key} value={e.environment.key} pt="md">
            <FlagEnvEditor key={`${e.environment.key}:${e.updatedAt ?? ''}`} project={project} flag={f} env={e} flags={flags.data?.items ?? []} segments={(segments.data?.items ?? []).map((s) => s.key)} />
          </Tabs.Panel>
        ))}
      </Tabs>
      <FlagHistory project={project} flag={key} />
    </Stack>
  );
}

export default FlagPage;
