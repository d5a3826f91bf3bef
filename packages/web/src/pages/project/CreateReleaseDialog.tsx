import { Alert, Button, Code, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, seg } from '../../api/client';
import { previewRelease, type ReleasePreview } from '../../api/pending-contracts';
import { useApiMutation } from '../../api/queries';
import type { Release, ReleaseCreate } from '../../api/types';
import { Changelog } from '../../components/Changelog';
import { linkMap } from '../../components/changelog-groups';
import { KindBadge } from '../../components/badges';
import { ErrorAlert } from '../../components/ErrorAlert';

/** Create a release: first a dry-run preview (version, the rule that decided it, changelog), then the real thing. */
export function CreateReleaseDialog({ project, onClose }: { project: string; onClose: () => void }) {
  const navigate = useNavigate();
  const [ref, setRef] = useState('');
  const [bump, setBump] = useState<string>('auto');
  const [prerelease, setPrerelease] = useState('');
  const [preview, setPreview] = useState<ReleasePreview | null>(null);
  const body: ReleaseCreate = {
    ...(ref.trim() && { ref: ref.trim() }),
    bump: bump as NonNullable<ReleaseCreate['bump']>,
    ...(prerelease.trim() && { prerelease: prerelease.trim() }),
  };
  const previewing = useApiMutation(() => previewRelease(project, body), { onSuccess: setPreview });
  const creating = useApiMutation(() => api.post<Release>(`/api/v1/projects/${seg(project)}/releases`, body), {
    onSuccess: (release) => {
      notifications.show({ color: 'green', message: `Released ${release.version} (tag ${release.tag})` });
      onClose();
      navigate(`/projects/${encodeURIComponent(project)}/releases/${encodeURIComponent(release.version)}`);
    },
  });
  const reset = () => setPreview(null);
  // The default (main branch, bump from the commits) is what most people release: preview it at once.
  useEffect(() => {
    previewing.mutate(undefined);
  }, []);

  return (
    <Modal opened onClose={onClose} title="Create a release" size="lg">
      <Stack>
        <Group grow align="flex-end">
          <TextInput label="Ref" description="branch, tag or commit (default: the main branch)" value={ref} onChange={(e) => (setRef(e.currentTarget.value), reset())} />
          <Select
            label="Bump"
            description="auto follows the commits; an explicit bump may only raise it"
            data={['auto', 'major', 'minor', 'patch']}
            value={bump}
            allowDeselect={false}
            onChange={(v) => (setBump(v ?? 'auto'), reset())}
          />
          <TextInput label="Prerelease" description='e.g. "rc"' value={prerelease} onChange={(e) => (setPrerelease(e.currentTarget.value), reset())} />
        </Group>
        <Button variant="default" onClick={() => previewing.mutate(undefined)} loading={previewing.isPending}>
          Preview
        </Button>
        <ErrorAlert error={previewing.error} title="Preview failed" />
        {preview && (
          <Stack gap="xs" data-testid="release-preview">
            <Alert color="blue" variant="light" title="Nothing is tagged until you confirm">
              <Group gap="xs">
                <Text fw={700}>{preview.version}</Text>
                <KindBadge kind={preview.kind} />
                <Text size="sm">
                  tag <Code>{preview.tag}</Code>
                </Text>
              </Group>
              {(preview.rule ?? preview.reason ?? preview.bump) && (
                <Text size="sm" mt={4} data-testid="bump-rule">
                  Why this version: {preview.rule ?? preview.reason ?? `bump ${preview.bump}`}
                </Text>
              )}
              {preview.tickets.length > 0 && <Text size="sm">Tickets: {preview.tickets.join(', ')}</Text>}
            </Alert>
            <Changelog entries={preview.changelog} links={linkMap(preview.ticketLinks)} headingLevel={3} />
            <ErrorAlert error={creating.error} title="The release was refused" />
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button onClick={() => creating.mutate(undefined)} loading={creating.isPending}>
                Create {preview.version}
              </Button>
            </Group>
          </Stack>
        )}
      </Stack>
    </Modal>
  );
}
