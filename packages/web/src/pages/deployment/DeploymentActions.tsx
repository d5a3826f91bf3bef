import { Alert, Button, Code, Group, List, Modal, Stack, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, seg } from '../../api/client';
import { readDeploymentApprovals, rejectDeployment, rollbackPreview, type RollbackPreview } from '../../api/pending-contracts';
import { useApiMutation } from '../../api/queries';
import { useSession } from '../../api/session';
import type { Deployment } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatTime } from '../../components/time';

type Dialog = 'approve' | 'reject' | 'cancel' | 'rollback' | null;

const versionOf = (v: RollbackPreview['from']) => (v === null ? '—' : typeof v === 'string' ? v : v.version);

/** Approve / Reject / Cancel / Rollback, each behind a dialog; shown only to roles that may act. */
export function DeploymentActions({ deployment: d }: { deployment: Deployment }) {
  const { me, can } = useSession();
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [text, setText] = useState('');
  const [textError, setTextError] = useState<string | null>(null);
  const [preview, setPreview] = useState<RollbackPreview | null>(null);
  const groups = readDeploymentApprovals(d.approvals);
  const close = () => {
    setDialog(null);
    setText('');
    setTextError(null);
    for (const m of [approve, reject, cancel, rollback, loadPreview]) m.reset();
  };
  const approve = useApiMutation(() => api.post<Deployment>(`/api/v1/deployments/${seg(d.id)}/approve`, text.trim() ? { comment: text.trim() } : {}), {
    onSuccess: () => (notifications.show({ color: 'green', message: 'Approved' }), close()),
  });
  const reject = useApiMutation(() => rejectDeployment(d.id, text.trim()), { onSuccess: () => (notifications.show({ color: 'red', message: 'Rejected' }), close()) });
  const cancel = useApiMutation(() => api.post<Deployment>(`/api/v1/deployments/${seg(d.id)}/cancel`, text.trim() ? { reason: text.trim() } : {}), {
    onSuccess: () => (notifications.show({ message: 'Cancelled' }), close()),
  });
  const rollback = useApiMutation(() => api.post<Deployment>(`/api/v1/deployments/${seg(d.id)}/rollback`, text.trim() ? { reason: text.trim() } : {}), {
    onSuccess: (created) => {
      close();
      navigate(`/deployments/${encodeURIComponent(created.id)}`);
    },
  });
  const loadPreview = useApiMutation(() => rollbackPreview(d.project, d.environment), { onSuccess: setPreview });

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
                {g.name}: {g.given.length} of {g.required} ({[...(g.roles ?? []), ...(g.users ?? [])].join(', ') || 'anyone'})
                {g.given.length > 0 && ` — approved by ${g.given.map((a) => a.username).join(', ')}`}
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
              {preview && (
                <Alert color="orange" title={`${d.environment} goes back from ${versionOf(preview.from)} to ${versionOf(preview.to)}`} data-testid="rollback-preview">
                  <Text size="sm">
                    Targets: {preview.targets.map((t) => (typeof t === 'string' ? t : `${t.key}${t.version ? ` (${t.version})` : ''}`)).join(', ') || '—'}
                  </Text>
                  {preview.notes !== undefined && preview.notes !== null && (
                    <Code block mt="xs" fz="xs">
                      {typeof preview.notes === 'string' ? preview.notes : JSON.stringify(preview.notes, null, 2)}
                    </Code>
                  )}
                </Alert>
              )}
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
