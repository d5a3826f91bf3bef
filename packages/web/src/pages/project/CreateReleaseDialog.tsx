import { Alert, Button, Code, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, seg } from '../../api/client';
import { useApiMutation } from '../../api/queries';
import type { Release, ReleaseCreate, ReleasePreview } from '../../api/types';
import { Changelog } from '../../components/Changelog';
import { linkMap } from '../../components/changelog-groups';
import { KindBadge } from '../../components/badges';
import { ErrorAlert } from '../../components/ErrorAlert';

/** The bump rule that decided the version, in words: "rule 2 (feat → minor)". */
export function ruleText(decision: ReleasePreview['decision']): string | null {
  const rule = decision?.rule;
  if (!rule) return null;
  const what = [rule.type ?? 'any type', rule.scope !== undefined && `(${rule.scope})`, rule.breaking === true && 'breaking', rule.breaking === false && 'not breaking', rule.revert && 'revert']
    .filter(Boolean)
    .join(' ');
  return `rule ${rule.index + 1} (${what} → ${rule.release})`;
}

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
  const previewing = useApiMutation(() => api.post<ReleasePreview>(`/api/v1/projects/${seg(project)}/releases`, { ...body, dryRun: true }), { onSuccess: setPreview });
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
            {preview.version !== null ? (
              <Alert color="blue" variant="light" title="Nothing is tagged until you confirm">
                <Group gap="xs">
                  <Text fw={700}>{preview.version}</Text>
                  {preview.kind && <KindBadge kind={preview.kind} />}
                  {preview.tag && (
                    <Text size="sm">
                      tag <Code>{preview.tag}</Code>
                    </Text>
                  )}
                  <Text size="sm" c="dimmed">
                    {preview.previous ? `after ${preview.previous}` : 'first release'} · {preview.commitCount} commit{preview.commitCount === 1 ? '' : 's'}
                  </Text>
                </Group>
                {preview.decision && (
                  <Text size="sm" mt={4} data-testid="bump-rule">
                    Why this version: {preview.decision.reason}
                    {ruleText(preview.decision) && ` — ${ruleText(preview.decision)}`}
                    {preview.decision.commit && (
                      <>
                        {' '}
                        matched <Code>{preview.decision.commit.sha.slice(0, 8)}</Code> “{preview.decision.commit.subject}”
                      </>
                    )}
                  </Text>
                )}
                {preview.tickets.length > 0 && <Text size="sm">Tickets: {preview.tickets.join(', ')}</Text>}
              </Alert>
            ) : (
              <Text size="sm">No version can be computed.</Text>
            )}
            {preview.problems.length > 0 && (
              <Alert color="red" title="This release would be refused" data-testid="release-problems">
                <Stack gap={4}>
                  {preview.problems.map((p) => (
                    <Text size="sm" key={p.code}>
                      <Code>{p.code}</Code> {p.message}
                    </Text>
                  ))}
                </Stack>
              </Alert>
            )}
            {preview.notices.map((n) => (
              <Text size="sm" c="dimmed" key={n}>
                {n}
              </Text>
            ))}
            {preview.changelog.length > 0 && <Changelog entries={preview.changelog} links={linkMap(preview.ticketLinks)} headingLevel={3} />}
            <ErrorAlert error={creating.error} title="The release was refused" />
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              {preview.wouldRelease && preview.version !== null && (
                <Button onClick={() => creating.mutate(undefined)} loading={creating.isPending}>
                  Create {preview.version}
                </Button>
              )}
            </Group>
          </Stack>
        )}
      </Stack>
    </Modal>
  );
}
