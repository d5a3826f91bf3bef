import { Button, Group, Select, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { seg } from '../../api/client';
import { useApiQuery } from '../../api/queries';
import type { Compare } from '../../api/types';
import { Changelog, TicketLink } from '../../components/Changelog';
import { linkMap } from '../../components/changelog-groups';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';

/** Compare any two versions: the commits and tickets between them. */
export function CompareVersions({ project, versions }: { project: string; versions: string[] }) {
  const [from, setFrom] = useState<string | null>(versions[1] ?? null);
  const [to, setTo] = useState<string | null>(versions[0] ?? null);
  const [asked, setAsked] = useState<{ from: string; to: string } | null>(null);
  const compare = useApiQuery<Compare>(asked ? `/api/v1/projects/${seg(project)}/compare` : null, asked ?? undefined);
  const links = linkMap(compare.data?.ticketLinks);
  return (
    <Stack gap="xs" mt="md">
      <Title order={2} fz="h4">
        Compare versions
      </Title>
      <Group align="flex-end">
        <Select label="From" data={versions} value={from} onChange={setFrom} searchable w={160} />
        <Select label="To" data={versions} value={to} onChange={setTo} searchable w={160} />
        <Button variant="default" disabled={!from || !to} onClick={() => from && to && setAsked({ from, to })}>
          Compare
        </Button>
      </Group>
      {asked && compare.isPending && <Loading />}
      <ErrorAlert error={compare.error} />
      {compare.data && (
        <Stack gap="xs" data-testid="compare-result">
          <Text size="sm">
            {compare.data.commits.length} commits from {compare.data.from} to {compare.data.to}
            {compare.data.tickets.length > 0 && ' · tickets '}
            {compare.data.tickets.map((t) => (
              <TicketLink key={t} ticket={t} links={links} />
            ))}
          </Text>
          <Changelog entries={compare.data.commits} links={links} headingLevel={3} />
        </Stack>
      )}
    </Stack>
  );
}
