import { Alert, Button, Checkbox, Group, Modal, Select, Stack, Switch, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMemo, useState } from 'react';
import { api, ApiError, seg } from '../../api/client';
import { useApiMutation } from '../../api/queries';
import { useSession } from '../../api/session';
import type { Flag, FlagEnvConfig, FlagEnvironment, ResponseOf } from '../../api/types';

type Preview = ResponseOf<'/api/v1/projects/{project}/flags/{flag}/environments/{env}/preview', 'post'>;
import { DiffView } from '../../components/DiffView';
import { ErrorAlert } from '../../components/ErrorAlert';
import { cleanConfig, readConfig } from '../../components/flags/config';
import { PrerequisitesEditor } from '../../components/flags/PrerequisitesEditor';
import { RuleBuilder } from '../../components/flags/RuleBuilder';
import { ServeEditor } from '../../components/flags/ServeEditor';
import { TargetsEditor } from '../../components/flags/TargetsEditor';
import { diffValues, hasChanges } from '../../components/json-diff';
import { formatTime } from '../../components/time';

interface Props {
  project: string;
  flag: Flag;
  env: FlagEnvironment;
  flags: Flag[];
  segments: string[];
}

/** One environment's configuration of a flag; saving shows the diff first, and protected environments ask to confirm. */
export function FlagEnvEditor({ project, flag, env, flags, segments }: Props) {
  const { can } = useSession();
  const original = useMemo(() => cleanConfig(readConfig(env.config, flag.variants)), [env.config, flag.variants]);
  const [draft, setDraft] = useState<FlagEnvConfig>(() => readConfig(env.config, flag.variants));
  const [reviewing, setReviewing] = useState(false);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [confirmed, setConfirmed] = useState(false);
  const variants = flag.variants.map((v) => v.key);
  const mayEdit = env.environment.protected ? can('changeFlagsProtected') : can('changeFlags');
  const next = cleanConfig(draft);
  const changed = hasChanges(diffValues(original, next));
  const base = `/api/v1/projects/${seg(project)}/flags/${seg(flag.key)}/environments/${seg(env.environment.key)}`;
  // The server says what saving would change, whether it would be accepted and who may make it.
  const review = useApiMutation(() => api.post<Preview>(`${base}/preview`, next), { onSuccess: (p) => (setPreview(p), setReviewing(true)) });
  const save = useApiMutation(() => api.put(base, next), {
    onSuccess: () => {
      notifications.show({ color: 'green', message: `Saved ${flag.key} in ${env.environment.name || env.environment.key}` });
      setReviewing(false);
      setConfirmed(false);
    },
  });
  const set = (patch: Partial<FlagEnvConfig>) => setDraft((d) => ({ ...d, ...patch }));

  return (
    <Stack gap="md" data-testid={`flag-env-${env.environment.key}`}>
      <Text size="sm" c="dimmed">
        {env.summary}
        {env.updatedAt && ` · changed ${formatTime(env.updatedAt)} by ${env.updatedBy ?? 'someone'}`}
      </Text>
      {env.environment.protected && (
        <Alert color="yellow" variant="light" p="xs">
          {env.environment.name || env.environment.key} is protected: only {env.environment.changeRole} and above may change its flags{mayEdit ? '; saving asks you to confirm' : ' — you can read it, not change it'}.
        </Alert>
      )}
      {!mayEdit && !env.environment.protected && <Text size="sm">Your role may read this configuration, not change it.</Text>}
      <Group>
        <Switch label="Enabled" checked={draft.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} disabled={!mayEdit} />
        <Select
          label="When off, serve"
          data={variants}
          value={draft.offVariant ?? null}
          onChange={(v) => set(v ? { offVariant: v } : { offVariant: undefined })}
          clearable
          w={200}
          size="xs"
          disabled={!mayEdit}
        />
      </Group>
      <section aria-label="Individual targets">
        <Title order={3} fz="h6" mb={4}>
          Individual targets (win over every rule)
        </Title>
        <TargetsEditor targets={draft.targets ?? []} variants={variants} onChange={(targets) => set({ targets })} disabled={!mayEdit} />
      </section>
      <section aria-label="Rules">
        <Title order={3} fz="h6" mb={4}>
          Rules, in order (the first match wins)
        </Title>
        <RuleBuilder rules={draft.rules ?? []} variants={variants} segments={segments} onChange={(rules) => set({ rules })} disabled={!mayEdit} />
      </section>
      <section aria-label="Default">
        <Title order={3} fz="h6" mb={4}>
          Everyone else
        </Title>
        <ServeEditor serve={draft.defaultServe} variants={variants} onChange={(defaultServe) => set({ defaultServe })} label="Default" disabled={!mayEdit} />
      </section>
      <section aria-label="Prerequisites">
        <Title order={3} fz="h6" mb={4}>
          Prerequisites
        </Title>
        <PrerequisitesEditor prerequisites={draft.prerequisites ?? []} flags={flags} self={flag.key} onChange={(prerequisites) => set({ prerequisites })} disabled={!mayEdit} />
      </section>
      <ErrorAlert error={review.error} title="The preview failed" />
      {mayEdit && (
        <Group>
          <Button onClick={() => (setConfirmed(false), save.reset(), review.mutate(undefined))} disabled={!changed} loading={review.isPending}>
            Review changes
          </Button>
          <Button variant="default" onClick={() => setDraft(readConfig(env.config, flag.variants))} disabled={!changed}>
            Discard
          </Button>
        </Group>
      )}
      <Modal opened={reviewing} onClose={() => setReviewing(false)} title={`Save ${flag.key} in ${env.environment.name || env.environment.key}?`} size="lg">
        <Stack>
          {preview && (
            <>
              <Text size="sm" data-testid="preview-summary">
                {preview.beforeSummary} → <b>{preview.afterSummary}</b>
              </Text>
              <DiffView before={preview.before} after={preview.after} label="Configuration diff" />
              {preview.problems.length > 0 && (
                <Alert color="red" title="This configuration is not valid">
                  {preview.problems.map((p) => (
                    <Text key={p.path} size="sm">
                      <code>{p.path}</code> {p.message}
                    </Text>
                  ))}
                </Alert>
              )}
              {preview.refusal && <ErrorAlert error={new ApiError(403, preview.refusal.code, preview.refusal.message)} title="You may not save this" />}
              {env.environment.protected && (
                <Alert color="yellow" title="Protected environment" data-testid="protected-confirmation">
                  <Text size="sm">
                    Changes here reach real users at once. Only {preview.requiredRole} and above may make them; the change is audited and announced.
                  </Text>
                  <Checkbox mt="xs" label={`I confirm this change to ${env.environment.name || env.environment.key}`} checked={confirmed} onChange={(e) => setConfirmed(e.currentTarget.checked)} />
                </Alert>
              )}
            </>
          )}
          <ErrorAlert error={save.error} title="The change was refused" />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setReviewing(false)}>
              Back to editing
            </Button>
            <Button onClick={() => save.mutate(undefined)} loading={save.isPending} disabled={!preview?.allowed || (env.environment.protected && !confirmed)}>
              Save
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
