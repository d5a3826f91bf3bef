import { Text, Timeline, Title } from '@mantine/core';
import { seg } from '../../api/client';
import { useApiQuery } from '../../api/queries';
import type { Deployment, ResponseOf } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatTime } from '../../components/time';

type Events = ResponseOf<'/api/v1/deployments/{id}/events', 'get'>;
const ACTIVE = new Set(['pending_approval', 'pending', 'running']);

/** What happened, oldest first: requested, approved by whom, started, each target's report, ended. */
export function DeploymentTimeline({ deployment }: { deployment: Deployment }) {
  // Refreshed while the deployment moves (the log stream's `deployment` events refresh it too).
  const events = useApiQuery<Events>(`/api/v1/deployments/${seg(deployment.id)}/events`, undefined, { refetchInterval: ACTIVE.has(deployment.status) ? 3_000 : false });
  const items = events.data?.items ?? [];
  return (
    <section aria-labelledby="timeline">
      <Title order={2} fz="h4" id="timeline" mb="xs">
        Timeline
      </Title>
      <ErrorAlert error={events.error} />
      {items.length === 0 ? (
        <Text c="dimmed" size="sm">
          No event yet.
        </Text>
      ) : (
        <Timeline bulletSize={14} lineWidth={2} active={items.length - 1} data-testid="timeline">
          {items.map((e) => (
            <Timeline.Item key={e.id} title={e.type.replace(/^deployment\./, '').replace(/_/g, ' ')}>
              <Text size="xs" c="dimmed">
                {formatTime(e.at)} by {e.actor}
                {e.target && ` · target ${e.target.key}: ${e.target.status}`}
              </Text>
              {e.message && <Text size="sm">{e.message}</Text>}
            </Timeline.Item>
          ))}
        </Timeline>
      )}
    </section>
  );
}
