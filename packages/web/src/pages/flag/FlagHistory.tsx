import { Accordion, Group, Text, Title } from '@mantine/core';
import { seg } from '../../api/client';
import { useApiQuery } from '../../api/queries';
import type { ResponseOf } from '../../api/types';
import { DiffView } from '../../components/DiffView';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatTime } from '../../components/time';

type History = ResponseOf<'/api/v1/projects/{project}/flags/{flag}/history', 'get'>;

/** Every change of the flag, newest first, each with its one-line summary and its before/after. */
export function FlagHistory({ project, flag }: { project: string; flag: string }) {
  const history = useApiQuery<History>(`/api/v1/projects/${seg(project)}/flags/${seg(flag)}/history`, { limit: 50 });
  const items = history.data?.items ?? [];
  return (
    <section aria-labelledby="history">
      <Title order={2} fz="h4" id="history" mb="xs">
        Change history
      </Title>
      <ErrorAlert error={history.error} />
      {history.data && items.length === 0 && <Text c="dimmed">No change yet.</Text>}
      <Accordion variant="separated" multiple data-testid="flag-history">
        {items.map((h) => (
          <Accordion.Item key={h.id} value={h.id}>
            <Accordion.Control>
              <Group gap="sm">
                <Text size="sm" fw={600}>
                  {h.environment ?? 'all environments'}
                </Text>
                <Text size="sm">{h.summary}</Text>
                <Text size="xs" c="dimmed">
                  {h.action} · {formatTime(h.at)} by {h.actor}
                </Text>
              </Group>
            </Accordion.Control>
            <Accordion.Panel>
              <DiffView before={h.before} after={h.after} label={`Before and after of ${h.action}`} />
            </Accordion.Panel>
          </Accordion.Item>
        ))}
      </Accordion>
    </section>
  );
}
