import { Anchor, Button, ColorInput, Group, NumberInput, Select, Stack, Switch, TagsInput, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiError, etagOf, seg } from '../../api/client';
import { useApiMutation, useApiQuery } from '../../api/queries';
import { useSession } from '../../api/session';
import type { ApprovalGroup, Environment, EnvironmentPatch } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { WindowEditor } from '../../components/windows/WindowEditor';
import { windowProblem } from '../../components/windows/windows';
import { ApprovalGroupsEditor, approvalsInput } from './ApprovalGroupsEditor';
import { ExecutorTargetsEditor, type TargetInput } from './ExecutorTargetsEditor';

type Smoke = { mode: 'none' | 'http' | 'command'; url: string; expectStatus: number; command: string[] };

function readSmoke(s: Environment['smoke'] | null | undefined): Smoke {
  if (s?.http) return { mode: 'http', url: s.http.url, expectStatus: s.http.expectStatus, command: [] };
  if (s?.command) return { mode: 'command', url: '', expectStatus: 200, command: s.command };
  return { mode: 'none', url: '', expectStatus: 200, command: [] };
}

/** Every setting of one environment, saved with one PATCH. */
export function EnvironmentEditor() {
  const { env = '' } = useParams();
  const { can } = useSession();
  const navigate = useNavigate();
  const query = useApiQuery<Environment>(`/api/v1/environments/${seg(env)}`);
  const [draft, setDraft] = useState<Environment | null>(null);
  const [groups, setGroups] = useState<ApprovalGroup[]>([]);
  const [smoke, setSmoke] = useState<Smoke>(readSmoke(null));
  const [targets, setTargets] = useState<TargetInput[]>([]);
  useEffect(() => {
    if (!query.data) return;
    setDraft(query.data);
    setGroups(query.data.approvals);
    setSmoke(readSmoke(query.data.smoke));
    // Webhook secrets are never returned: leaving the field empty keeps the stored one.
    setTargets(query.data.targets.map((t) => ({ key: t.key, executor: { ...t.executor, ...(t.executor.hasSecret !== undefined && { hasSecret: undefined }) } as TargetInput['executor'] })));
  }, [query.data]);
  const mayEdit = can('manageEnvironments');
  const save = useApiMutation(
    () => {
      const d = draft!;
      const body: EnvironmentPatch = {
        name: d.name,
        rank: d.rank,
        protected: d.protected,
        color: d.color,
        production: d.production,
        badge: d.badge as EnvironmentPatch['badge'],
        requiredSignoffs: d.requiredSignoffs,
        approvals: approvalsInput(groups),
        windows: d.windows as EnvironmentPatch['windows'],
        freezes: d.freezes,
        targets: targets.map((t) => ({ key: t.key, executor: Object.fromEntries(Object.entries(t.executor).filter(([, v]) => v !== undefined)) as TargetInput['executor'] })),
        smoke: smoke.mode === 'http' ? { http: { url: smoke.url, expectStatus: smoke.expectStatus } } : smoke.mode === 'command' ? { command: smoke.command } : null,
        autoRollback: d.autoRollback,
      };
      const path = `/api/v1/environments/${seg(env)}`;
      // Only if nobody changed it since this form was filled from it: the form sends every setting.
      const ifMatch = etagOf(path);
      return api.patch<Environment>(path, body, ifMatch === undefined ? {} : { ifMatch });
    },
    { onSuccess: () => notifications.show({ color: 'green', message: `Saved ${env}` }) },
  );
  const stale = save.error instanceof ApiError && save.error.code === 'precondition_failed';
  const remove = useApiMutation(() => api.delete(`/api/v1/environments/${seg(env)}`), { onSuccess: () => navigate('/settings/environments') });
  if (query.isPending || (!draft && !query.isError)) return <Loading />;
  if (query.isError) return <ErrorAlert error={query.error} />;
  const d = draft!;
  const set = (patch: Partial<Environment>) => setDraft({ ...d, ...patch });
  const problems = d.windows.map(windowProblem).filter(Boolean);
  return (
    <Stack maw={1000}>
      <Anchor component={Link} to="/settings/environments" size="sm">
        ← all environments
      </Anchor>
      <Title order={2} fz="h3">
        Environment {d.key}
      </Title>
      <Group align="flex-end">
        <TextInput label="Name" value={d.name} onChange={(e) => set({ name: e.currentTarget.value })} disabled={!mayEdit} />
        <NumberInput label="Rank" description="lower comes first" value={d.rank} onChange={(v) => set({ rank: Number(v) || 0 })} w={110} disabled={!mayEdit} />
        <ColorInput label="Colour" value={d.color} onChange={(color) => set({ color })} w={150} disabled={!mayEdit} format="hex" withEyeDropper={false} />
        <Switch label="Protected" checked={d.protected} onChange={(e) => set({ protected: e.currentTarget.checked })} disabled={!mayEdit} />
        <Switch label="Roll back automatically on failure" checked={d.autoRollback} onChange={(e) => set({ autoRollback: e.currentTarget.checked })} disabled={!mayEdit} />
      </Group>
      <Group align="flex-end">
        <Switch label="Production (no environment badge)" checked={d.production} onChange={(e) => set({ production: e.currentTarget.checked })} disabled={!mayEdit} />
        <Select
          label="Environment badge"
          description="who may load badge.js for this environment"
          data={[
            { value: 'public', label: 'anyone' },
            { value: 'key', label: 'with an SDK key' },
            { value: 'off', label: 'off' },
          ]}
          value={d.badge}
          onChange={(badge) => badge && set({ badge })}
          allowDeselect={false}
          w={220}
          disabled={!mayEdit}
        />
      </Group>
      <TagsInput label="Required sign-offs" description="kinds that must be go before a deploy (e.g. qa, product)" value={d.requiredSignoffs} onChange={(requiredSignoffs) => set({ requiredSignoffs })} disabled={!mayEdit} />
      <Title order={3} fz="h5">
        Approvals
      </Title>
      <ApprovalGroupsEditor groups={groups} onChange={setGroups} disabled={!mayEdit} />
      <Title order={3} fz="h5">
        Windows and freezes
      </Title>
      <WindowEditor windows={d.windows} freezes={d.freezes} onWindows={(windows) => set({ windows })} onFreezes={(freezes) => set({ freezes })} disabled={!mayEdit} />
      <Title order={3} fz="h5">
        Targets and executors
      </Title>
      <ExecutorTargetsEditor targets={targets} onChange={setTargets} disabled={!mayEdit} />
      <Title order={3} fz="h5">
        Smoke test after each deploy
      </Title>
      <Group align="flex-end">
        <Select label="Smoke test" data={[{ value: 'none', label: 'none' }, { value: 'http', label: 'HTTP check' }, { value: 'command', label: 'command' }]} value={smoke.mode} onChange={(v) => setSmoke({ ...smoke, mode: (v ?? 'none') as Smoke['mode'] })} allowDeselect={false} w={150} disabled={!mayEdit} />
        {smoke.mode === 'http' && <TextInput label="URL" value={smoke.url} onChange={(e) => setSmoke({ ...smoke, url: e.currentTarget.value })} w={300} disabled={!mayEdit} />}
        {smoke.mode === 'http' && <NumberInput label="Expected status" value={smoke.expectStatus} onChange={(v) => setSmoke({ ...smoke, expectStatus: Number(v) || 200 })} w={130} disabled={!mayEdit} />}
        {smoke.mode === 'command' && <TagsInput label="Command (argv)" value={smoke.command} onChange={(command) => setSmoke({ ...smoke, command })} w={360} disabled={!mayEdit} />}
      </Group>
      <ErrorAlert error={save.error ?? remove.error} title={stale ? 'Someone changed this environment since you opened it' : 'Refused'} />
      {stale && (
        <Group>
          <Button variant="default" onClick={() => (save.reset(), void query.refetch())}>
            Load their changes (yours are discarded)
          </Button>
        </Group>
      )}
      {mayEdit && (
        <Group>
          <Button onClick={() => save.mutate(undefined)} loading={save.isPending} disabled={problems.length > 0}>
            Save {d.key}
          </Button>
          {problems.length > 0 && <Text size="sm" c="red.9">Fix the windows first.</Text>}
          {can('manageUsers') && (
            <Button color="red.9" variant="outline" onClick={() => window.confirm(`Delete environment ${d.key}?`) && remove.mutate(undefined)}>
              Delete
            </Button>
          )}
        </Group>
      )}
    </Stack>
  );
}
