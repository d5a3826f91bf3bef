import { Text, Timeline, Title } from '@mantine/core';
import { useApiQuery } from '../../api/queries';
import type { AuditRecord, Deployment, Page } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatTime } from '../../components/time';

/** What happened to the deployment, oldest first: every transition writes an audit record. */
export function DeploymentTimeline({ deployment }: { deployment: Deployment }) {
  const events = useApiQuery<Page<AuditRecord>>('/api/v1/audit', { resourceType: 'deployment', resourceId: deployment.id, limit: 200 }, { refetchInterval: 5_000 });
  const items = [...(events.data?.items ?? [])].reverse();
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
            <Timeline.Item key={e.id} title={e.action.replace(/^deployment\./, '').replace(/_/g, ' ')}>
              <Text size="xs" c="dimmed">
                {formatTime(e.at)} by {e.actor.name}
              </Text>
              {describe(e) && <Text size="sm">{describe(e)}</Text>}
            </Timeline.Item>
          ))}
        </Timeline>
      )}
    </section>
  );
}

function describe(e: AuditRecord): string | null {
  const after = (e.after ?? null) as Record<string, unknown> | null;
  if (!after || typeof after !== 'object') return null;
  const parts: string[] = [];
  if (typeof after.status === 'string') parts.push(`status ${after.status.replace(/_/g, ' ')}`);
  if (typeof after.comment === 'string') parts.push(`“${after.comment}”`);
  if (typeof after.reason === 'string') parts.push(`“${after.reason}”`);
  if (typeof after.target === 'string') parts.push(`target ${after.target}`);
  if (typeof after.message === 'string') parts.push(after.message);
  return parts.length ? parts.join(' · ') : null;
}
