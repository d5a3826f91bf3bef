import { Accordion, Group, Text } from '@mantine/core';
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
            <DiffView before={r.before} after={r.after} label={`Before and after of ${r.action}`} />
          </Accordion.Panel>
        </Accordion.Item>
      ))}
    </Accordion>
  );
}
