import { Alert, Anchor, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { seg } from '../../api/client';
import { useApiQuery } from '../../api/queries';
import type { DeploymentList, Environment, Page, Project, Release } from '../../api/types';
import { Changelog, TicketLink } from '../../components/Changelog';
import { linkMap } from '../../components/changelog-groups';
import { EnvBadge, KindBadge, StatusBadge } from '../../components/badges';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { PageHeader } from '../../components/PageHeader';
import { formatTime } from '../../components/time';
import { DeployPanel } from './DeployPanel';
import { Signoffs } from './Signoffs';

const enc = encodeURIComponent;

export function ReleasePage() {
  const { project = '', version = '' } = useParams();
  const release = useApiQuery<Release>(`/api/v1/projects/${seg(project)}/releases/${seg(version)}`);
  const projectQuery = useApiQuery<Project>(`/api/v1/projects/${seg(project)}`);
  const deployments = useApiQuery<DeploymentList>(`/api/v1/projects/${seg(project)}/deployments`, { version, limit: 100 }, { refetchInterval: 5_000 });
  const environments = useApiQuery<Page<Environment>>('/api/v1/environments', { limit: 200 });
  const envByKey = new Map((environments.data?.items ?? []).map((e) => [e.key, e]));

  if (release.isPending) return <Loading />;
  if (release.isError) return <ErrorAlert error={release.error} title={`Release ${version} of ${project}`} />;
  const r = release.data;
  const links = linkMap(r.ticketLinks);
  return (
    <Stack>
      <PageHeader
        title={`${project} ${r.version}`}
        subtitle={
          <>
            tag <Code>{r.tag}</Code> at <Code>{r.commit.slice(0, 12)}</Code> · created {formatTime(r.createdAt)} by {r.createdBy}
            {r.previous && ` · after ${r.previous}`}
            {r.parent && ` · hotfix of ${r.parent}`}
          </>
        }
        actions={<KindBadge kind={r.kind} />}
      />
      <Anchor component={Link} to={`/projects/${enc(project)}`} size="sm">
        ← all releases of {project}
      </Anchor>
      {r.mergedBack === false && (
        <Alert color="orange" title="Not merged back" data-testid="not-merged-back">
          This hotfix's changes are not on the main branch{r.unmergedCommits?.length ? ` (${r.unmergedCommits.length} commits)` : ''}: merge them back, or the next release will not contain them.
        </Alert>
      )}
      {/* Only once every input is known: before its deployments load, the panel would suggest the first environment of the lifecycle (the wrong one), and before the environments load it would not say which are protected. */}
      {projectQuery.data && deployments.data && environments.data && (
        <DeployPanel project={projectQuery.data} release={r} deployments={deployments.data.items} environments={environments.data.items} />
      )}
      <ErrorAlert error={projectQuery.error ?? environments.error} title="Deploying from this page is unavailable" />
      <section aria-labelledby="changes">
        <Title order={2} fz="h4" id="changes" mb="xs">
          Changes
        </Title>
        {r.tickets.length > 0 && (
          <Group gap={6} mb="xs">
            <Text size="sm">Tickets:</Text>
            {r.tickets.map((t) => (
              <TicketLink key={t} ticket={t} links={links} />
            ))}
          </Group>
        )}
        <Changelog entries={r.changelog} links={links} headingLevel={3} />
      </section>
      <Signoffs project={project} version={r.version} environments={environments.data?.items ?? []} />
      <section aria-labelledby="deployments">
        <Title order={2} fz="h4" id="deployments" mb="xs">
          Deployments of {r.version}
        </Title>
        <ErrorAlert error={deployments.error} />
        {deployments.data && deployments.data.items.length === 0 ? (
          <Text c="dimmed">Not deployed anywhere yet.</Text>
        ) : (
          <Table striped withTableBorder>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Environment</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Requested</Table.Th>
                <Table.Th>Finished</Table.Th>
                <Table.Th>Deployment</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {(deployments.data?.items ?? []).map((d) => (
                <Table.Tr key={d.id}>
                  <Table.Td>
                    <EnvBadge name={envByKey.get(d.environment)?.name ?? d.environment} color={envByKey.get(d.environment)?.color} />
                  </Table.Td>
                  <Table.Td>
                    <StatusBadge status={d.status} />
                  </Table.Td>
                  <Table.Td>
                    {formatTime(d.createdAt)} by {d.requestedBy}
                  </Table.Td>
                  <Table.Td>{formatTime(d.finishedAt)}</Table.Td>
                  <Table.Td>
                    <Anchor component={Link} to={`/deployments/${enc(d.id)}`}>
                      {d.id.slice(0, 8)}
                    </Anchor>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </section>
    </Stack>
  );
}

export default ReleasePage;
