import { Alert, Button, Code, Group, List, Modal, Stack, Table, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, seg } from '../../api/client';
import { useApiMutation } from '../../api/queries';
import { useSession } from '../../api/session';
import type { Deployment, RollbackPreview } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatTime } from '../../components/time';

type Dialog = 'approve' | 'reject' | 'cancel' | 'rollback' | null;

/** Approve / Reject / Cancel / Rollback, each behind a dialog; shown only to roles that may act. */
export function DeploymentActions({ deployment: d }: { deployment: Deployment }) {
  const { me, can } = useSession();
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [text, setText] = useState('');
  const [textError, setTextError] = useState<string | null>(null);
  const [preview, setPreview] = useState<RollbackPreview | null>(null);
  const groups = d.approvals.groups;
  const close = () => {
    setDialog(null);
    setText('');
    setTextError(null);
    for (const m of [approve, reject, cancel, rollback, loadPreview]) m.reset();
  };
  const approve = useApiMutation(() => api.post<Deployment>(`/api/v1/deployments/${seg(d.id)}/approve`, text.trim() ? { comment: text.trim() } : {}), {
    onSuccess: () => (notifications.show({ color: 'green', message: 'Approved' }), close()),
  });
  const reject = useApiMutation(() => api.post<Deployment>(`/api/v1/deployments/${seg(d.id)}/reject`, { comment: text.trim() }), { onSuccess: () => (notifications.show({ color: 'red', message: 'Rejected' }), close()) });
  const cancel = useApiMutation(() => api.post<Deployment>(`/api/v1/deployments/${seg(d.id)}/cancel`, text.trim() ? { reason: text.trim() } : {}), {
    onSuccess: () => (notifications.show({ message: 'Cancelled' }), close()),
  });
  const rollback = useApiMutation(() => api.post<Deployment>(`/api/v1/deployments/${seg(d.id)}/rollback`, text.trim() ? { reason: text.trim() } : {}), {
    onSuccess: (created) => {
      close();
      navigate(`/deployments/${encodeURIComponent(created.id)}`);
    },
  });
  const loadPreview = useApiMutation(() => api.get<RollbackPreview>(`/api/v1/projects/${seg(d.project)}/environments/${seg(d.environment)}/rollback-preview`), {
    onSuccess: setPreview,
  });

  if (!can('deploy')) return null;
  const waiting = d.status === 'pending_approval';
  const mine = d.requestedBy === me.username;
  const cancellable = d.status === 'pending_approval' || d.status === 'pending';
  const rollbackable = d.status === 'succeeded' || d.status === 'failed';

  return (
    <>
      {waiting && groups.length > 0 && (
        <Alert color="yellow" title="Waiting for approval" data-testid="approval-status">
          <List size="sm">
            {groups.map((g) => (
              <List.Item key={g.name}>
                {g.name}: {g.approvedBy.length} of {g.required} ({[...g.roles, ...g.users].join(', ') || 'anyone'})
                {g.approvedBy.length > 0 && ` — approved by ${g.approvedBy.join(', ')}`}
              </List.Item>
            ))}
          </List>
          {mine && <Text size="xs">You requested it: your own approval does not count.</Text>}
        </Alert>
      )}
      <Group data-testid="deployment-actions">
        {waiting && !mine && <Button onClick={() => setDialog('approve')}>Approve</Button>}
        {waiting && !mine && (
          <Button color="red.9" variant="outline" onClick={() => setDialog('reject')}>
            Reject
          </Button>
        )}
        {cancellable && (
          <Button variant="default" onClick={() => setDialog('cancel')}>
            Cancel deployment
          </Button>
        )}
        {rollbackable && (
          <Button
            color="#a63a0b"
            variant="outline"
            onClick={() => {
              setPreview(null);
              setDialog('rollback');
              loadPreview.mutate(undefined);
            }}
          >
            Roll back {d.environment}
          </Button>
        )}
      </Group>
      <Modal opened={dialog !== null} onClose={close} title={dialog ? TITLES[dialog] : ''} size="lg">
        <Stack>
          {dialog === 'rollback' && (
            <>
              <ErrorAlert error={loadPreview.error} title="The rollback preview failed" />
              {preview && <RollbackPlan preview={preview} />}
              <Text size="sm">Rollback skips promotion, sign-off, window and approval gates, not permissions.</Text>
            </>
          )}
          {dialog === 'approve' && (
            <Text size="sm">
              Approve deploying {d.project} {d.version} to {d.environment}, requested {formatTime(d.createdAt)} by {d.requestedBy}.
            </Text>
          )}
          <Textarea
            label={dialog === 'reject' ? 'Comment (required)' : dialog === 'approve' ? 'Comment' : 'Reason'}
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
            error={textError}
            autosize
            minRows={2}
          />
          <ErrorAlert error={approve.error ?? reject.error ?? cancel.error ?? rollback.error} title="Refused" />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Close
            </Button>
            {dialog === 'approve' && (
              <Button onClick={() => approve.mutate(undefined)} loading={approve.isPending}>
                Approve deployment
              </Button>
            )}
            {dialog === 'reject' && (
              <Button
                color="red.9"
                loading={reject.isPending}
                onClick={() => (text.trim() ? reject.mutate(undefined) : setTextError('Say why you reject it.'))}
              >
                Reject deployment
              </Button>
            )}
            {dialog === 'cancel' && (
              <Button color="red.9" onClick={() => cancel.mutate(undefined)} loading={cancel.isPending}>
                Cancel deployment
              </Button>
            )}
            {dialog === 'rollback' && (
              <Button color="#a63a0b" onClick={() => rollback.mutate(undefined)} loading={rollback.isPending}>
                Roll back
              </Button>
            )}
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

const TITLES = { approve: 'Approve deployment', reject: 'Reject deployment', cancel: 'Cancel deployment', rollback: 'Roll back' } as const;

/** What a rollback would do: from which version to which, per target, and what it takes away. */
function RollbackPlan({ preview: p }: { preview: RollbackPreview }) {
  const removed = p.notes.releases;
  return (
    <Alert color="orange" title={`${p.environment} goes back from ${p.from.version} to ${p.to.version}`} data-testid="rollback-preview">
      <Stack gap={6}>
        <Text size="sm">
          {p.to.version} (tag <Code>{p.to.tag}</Code>) last succeeded in {p.environment}
          {p.to.explicit ? ', as asked' : ''}.
        </Text>
        <Table fz="sm" withRowBorders={false} verticalSpacing={2} data-testid="rollback-targets">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Target</Table.Th>
              <Table.Th>Runs now</Table.Th>
              <Table.Th>After the rollback</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {p.targets.map((t) => (
              <Table.Tr key={t.key}>
                <Table.Td>{t.key}</Table.Td>
                <Table.Td>{t.current ?? '—'}</Table.Td>
                <Table.Td>{t.rollsBack ? t.to : `${t.to} (unchanged)`}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <div data-testid="rollback-removes">
          <Text size="sm" fw={600}>
            It removes
          </Text>
          {removed.length === 0 ? (
            <Text size="sm">no release.</Text>
          ) : (
            <List size="sm">
              {removed.map((r) => (
                <List.Item key={r.version}>
                  {r.version} ({r.kind}){r.tickets.length > 0 && ` — ${r.tickets.join(', ')}`}
                </List.Item>
              ))}
            </List>
          )}
          {p.notes.hotfixes.length > 0 && <Text size="sm">Hotfixes it takes away: {p.notes.hotfixes.join(', ')}</Text>}
        </div>
        {p.failedRollback && (
          <Text size="sm" c="red.9">
            A rollback to {p.failedRollback.version} failed before{p.failedRollback.failure ? `: ${p.failedRollback.failure}` : ''}.
          </Text>
        )}
      </Stack>
    </Alert>
  );
}
