import { Alert, Anchor, Button, Card, Group, Stack, Text, Title } from '@mantine/core';
import { useQueries } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, seg } from '../../api/client';
import { useApiQuery } from '../../api/queries';
import { Can } from '../../api/session';
import type { Environment, Page, Project, Release, ReleaseSummary, Status } from '../../api/types';
import { EnvBadge, KindBadge } from '../../components/badges';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { PageHeader } from '../../components/PageHeader';
import { formatTime } from '../../components/time';
import { TicketLink } from '../../components/Changelog';
import { linkMap } from '../../components/changelog-groups';
import { CompareVersions } from './CompareVersions';
import { CreateReleaseDialog } from './CreateReleaseDialog';
import { ReleaseCadence } from './ReleaseCadence';

const enc = encodeURIComponent;

function lineOf(version: string): string {
  const [major, minor] = version.split('.');
  return `${major}.${minor}.x`;
}

export function ProjectPage() {
  const { project = '' } = useParams();
  const [creating, setCreating] = useState(false);
  const projectQuery = useApiQuery<Project>(`/api/v1/projects/${seg(project)}`);
  const releases = useApiQuery<Page<ReleaseSummary>>(`/api/v1/projects/${seg(project)}/releases`, { limit: 200 });
  const status = useApiQuery<Status>('/api/v1/status', { project }, { refetchInterval: 10_000 });
  const environments = useApiQuery<Page<Environment>>('/api/v1/environments', { limit: 200 });
  const envByKey = useMemo(() => new Map((environments.data?.items ?? []).map((e) => [e.key, e])), [environments.data]);

  const items = releases.data?.items ?? [];
  const hotfixes = items.filter((r) => r.kind === 'hotfix');
  // The list says whether each hotfix was merged back (the last answer the server computed); a hotfix
  // it has not checked yet (null) is asked on its own page, which checks it.
  const unchecked = hotfixes.filter((h) => h.mergedBack === null);
  const hotfixDetails = useQueries({
    queries: unchecked.map((h) => ({
      queryKey: ['api', `/api/v1/projects/${seg(project)}/releases/${seg(h.version)}`],
      queryFn: () => api.get<Release>(`/api/v1/projects/${seg(project)}/releases/${seg(h.version)}`),
    })),
  });
  const notMergedBack = new Set([
    ...hotfixes.filter((h) => h.mergedBack === false).map((h) => h.version),
    ...hotfixDetails.flatMap((q) => (q.data && q.data.mergedBack === false ? [q.data.version] : [])),
  ]);

  const runsWhere = useMemo(() => {
    const map = new Map<string, string[]>();
    for (const cell of status.data?.items ?? []) {
      const versions = new Set([cell.current?.version, ...(cell.targets ?? []).map((t) => t.version)].filter((v): v is string => Boolean(v)));
      for (const v of versions) map.set(v, [...(map.get(v) ?? []), cell.environment]);
    }
    return map;
  }, [status.data]);

  const lines = useMemo(() => {
    const byLine = new Map<string, ReleaseSummary[]>();
    for (const h of hotfixes) byLine.set(lineOf(h.version), [...(byLine.get(lineOf(h.version)) ?? []), h]);
    return byLine;
  }, [hotfixes]);
  const mainline = items.filter((r) => r.kind !== 'hotfix');

  if (projectQuery.isError) return <ErrorAlert error={projectQuery.error} title={`Project ${project}`} />;
  const p = projectQuery.data;
  return (
    <Stack>
      <PageHeader
        title={p ? p.name || p.key : project}
        subtitle={p ? `${p.repository} · tags ${p.tagTemplate} · lifecycle ${p.lifecycle.join(' → ')}` : undefined}
        actions={
          <>
            <Button component={Link} to={`/projects/${enc(project)}/flags`} variant="default">
              Flags
            </Button>
            <Can capability="createReleases">
              <Button onClick={() => setCreating(true)}>Create release</Button>
            </Can>
          </>
        }
      />
      {creating && <CreateReleaseDialog project={project} onClose={() => setCreating(false)} />}
      <ErrorAlert error={releases.error} />
      {releases.isPending ? (
        <Loading />
      ) : items.length === 0 ? (
        <Text>No release yet.</Text>
      ) : (
        <>
          <ReleaseCadence releases={items} />
          <Title order={2} fz="h4">
            Releases
          </Title>
          <Stack gap="xs" component="ol" style={{ listStyle: 'none', padding: 0, margin: 0 }} aria-label="Release timeline">
            {mainline.map((r) => {
              const line = lines.get(lineOf(r.version));
              const isLineBase = line && mainline.find((m) => lineOf(m.version) === lineOf(r.version)) === r;
              return (
                <li key={r.version}>
                  <ReleaseRow project={project} release={r} runs={runsWhere.get(r.version) ?? []} envByKey={envByKey} />
                  {isLineBase && line && (
                    <Card withBorder ml="xl" mt={4} p="xs" bg="orange.0" aria-label={`Hotfix line ${lineOf(r.version)}`}>
                      <Text size="xs" fw={600} mb={4}>
                        Hotfix line hotfix/{lineOf(r.version)}
                      </Text>
                      <Stack gap={4}>
                        {line.map((h) => (
                          <div key={h.version}>
                            <ReleaseRow project={project} release={h} runs={runsWhere.get(h.version) ?? []} envByKey={envByKey} />
                            {notMergedBack.has(h.version) && (
                              <Alert color="orange" variant="light" p={6} mt={2} data-testid="not-merged-back">
                                {h.version} is not merged back: its changes are not on the main branch yet, so the next release would lose them.
                              </Alert>
                            )}
                          </div>
                        ))}
                      </Stack>
                    </Card>
                  )}
                </li>
              );
            })}
          </Stack>
          <CompareVersions project={project} versions={[...mainline, ...hotfixes].map((r) => r.version)} />
        </>
      )}
    </Stack>
  );
}

function ReleaseRow({ project, release: r, runs, envByKey }: { project: string; release: ReleaseSummary; runs: string[]; envByKey: Map<string, Environment> }) {
  const links = linkMap(r.ticketLinks);
  return (
    <Group gap="sm" wrap="wrap" data-testid={`release-${r.version}`}>
      <Anchor component={Link} to={`/projects/${enc(project)}/releases/${enc(r.version)}`} fw={600}>
        {r.version}
      </Anchor>
      <KindBadge kind={r.kind} />
      <Text size="xs" c="dimmed">
        {formatTime(r.createdAt)} by {r.createdBy} · {r.commitCount} commit{r.commitCount === 1 ? '' : 's'}
      </Text>
      {r.tickets.slice(0, 6).map((t) => (
        <TicketLink key={t} ticket={t} links={links} />
      ))}
      {r.tickets.length > 6 && <Text size="xs">+{r.tickets.length - 6} tickets</Text>}
      {runs.map((env) => (
        <EnvBadge key={env} name={`runs in ${envByKey.get(env)?.name ?? env}`} color={envByKey.get(env)?.color} />
      ))}
    </Group>
  );
}

export default ProjectPage;
