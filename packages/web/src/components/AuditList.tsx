import { Accordion, Anchor, Group, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { AuditRecord } from '../api/types';
import { DiffView } from './DiffView';
import { formatTime } from './time';

/** Audit records, newest first; each opens to its before/after diff. */
export function AuditList({ items }: { items: AuditRecord[] }) {
  if (items.length === 0) return <Text c="dimmed" size="sm">No record.</Text>;
  return (
    <Accordion variant="separated" multiple data-testid="audit-list">
      {items.map((r) => (
        <Accordion.Item key={r.id} value={r.id}>
          <Accordion.Control>
            <Group gap="sm" wrap="wrap">
              <Text size="sm" fw={600}>
                {r.action}
              </Text>
              <Text size="sm">
                {r.resourceType} {r.resourceId}
              </Text>
              <Text size="xs" c="dimmed">
                {formatTime(r.at)} by {r.actor.name}
              </Text>
            </Group>
          </Accordion.Control>
          <Accordion.Panel>
            {resourcePage(r) && (
              <Anchor component={Link} to={resourcePage(r)!} size="sm" mb="xs" display="inline-block">
                Open {r.resourceType} {r.resourceId}
              </Anchor>
            )}
            <DiffView before={r.before} after={r.after} label={`Before and after of ${r.action}`} />
          </Accordion.Panel>
        </Accordion.Item>
      ))}
    </Accordion>
  );
}

/** The page of the record's resource, when it has one. */
export function resourcePage(r: Pick<AuditRecord, 'resourceType' | 'resourceId'>): string | null {
  const enc = encodeURIComponent;
  if (r.resourceType === 'deployment') return `/deployments/${enc(r.resourceId)}`;
  if (r.resourceType === 'environment') return `/settings/environments/${enc(r.resourceId)}`;
  if (r.resourceType === 'project') return `/projects/${enc(r.resourceId)}`;
  const [project, rest] = r.resourceId.split(/[/@](.*)/s);
  if (r.resourceType === 'flag' && project && rest) return `/projects/${enc(project)}/flags/${enc(rest)}`;
  if (r.resourceType === 'release' && project && rest) return `/projects/${enc(project)}/releases/${enc(rest)}`;
  return null;
}
