import { Button, Group, Select, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { api, seg } from '../../api/client';
import { useApiMutation, useApiQuery } from '../../api/queries';
import { Can } from '../../api/session';
import type { Environment, Signoff, SignoffCreate, Signoffs as SignoffList } from '../../api/types';
import { DecisionBadge } from '../../components/badges';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatTime } from '../../components/time';

/** Sign-off history with comments, and Go / No-go for qa and above (a no-go needs a comment). */
export function Signoffs({ project, version, environments }: { project: string; version: string; environments: Environment[] }) {
  const path = `/api/v1/projects/${seg(project)}/releases/${seg(version)}/signoffs`;
  const signoffs = useApiQuery<SignoffList>(path);
  const [kind, setKind] = useState('qa');
  const [environment, setEnvironment] = useState<string | null>(null);
  const [comment, setComment] = useState('');
  const [commentError, setCommentError] = useState<string | null>(null);
  const record = useApiMutation((decision: 'go' | 'no-go') => api.post<Signoff>(path, { kind, decision, ...(environment && { environment }), ...(comment.trim() && { comment: comment.trim() }) } satisfies SignoffCreate), {
    onSuccess: (s) => {
      notifications.show({ color: s.decision === 'go' ? 'green' : 'red', message: `Recorded ${s.kind} ${s.decision} on ${version}` });
      setComment('');
    },
  });
  const decide = (decision: 'go' | 'no-go') => {
    if (decision === 'no-go' && !comment.trim()) {
      setCommentError('A no-go needs a comment: say what is wrong so the team can fix it.');
      return;
    }
    setCommentError(null);
    record.mutate(decision);
  };
  return (
    <section aria-labelledby="signoffs">
      <Title order={2} fz="h4" id="signoffs" mb="xs">
        Sign-offs
      </Title>
      <Can capability="recordSignoffs">
        <Stack gap="xs" mb="sm" maw={640} data-testid="signoff-form">
          <Group grow>
            <Select label="Kind" data={['qa', 'product', 'security']} value={kind} onChange={(v) => setKind(v ?? 'qa')} allowDeselect={false} searchable />
            <Select
              label="Environment"
              placeholder="every environment"
              clearable
              data={environments.map((e) => ({ value: e.key, label: e.name || e.key }))}
              value={environment}
              onChange={setEnvironment}
            />
          </Group>
          <Textarea label="Comment" description="required for a no-go" value={comment} onChange={(e) => setComment(e.currentTarget.value)} error={commentError} autosize minRows={2} />
          <Group>
            <Button color="#1e6b30" onClick={() => decide('go')} loading={record.isPending && record.variables === 'go'}>
              Go
            </Button>
            <Button color="red.9" onClick={() => decide('no-go')} loading={record.isPending && record.variables === 'no-go'}>
              No-go
            </Button>
          </Group>
          <ErrorAlert error={record.error} title="The sign-off was refused" />
        </Stack>
      </Can>
      <ErrorAlert error={signoffs.error} />
      {signoffs.data && signoffs.data.items.length === 0 ? (
        <Text c="dimmed">No sign-off yet.</Text>
      ) : (
        <Table withTableBorder data-testid="signoff-history">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Kind</Table.Th>
              <Table.Th>Environment</Table.Th>
              <Table.Th>Decision</Table.Th>
              <Table.Th>By</Table.Th>
              <Table.Th>Comment</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(signoffs.data?.items ?? []).map((s) => (
              <Table.Tr key={s.id}>
                <Table.Td>{formatTime(s.createdAt)}</Table.Td>
                <Table.Td>{s.kind}</Table.Td>
                <Table.Td>{s.environment ?? 'all'}</Table.Td>
                <Table.Td>
                  <DecisionBadge decision={s.decision} />
                </Table.Td>
                <Table.Td>{s.createdBy}</Table.Td>
                <Table.Td>{s.comment}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </section>
  );
}
