import { Alert, Button, Code, Group, List, Modal, Select, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, seg } from '../../api/client';
import { useApiMutation } from '../../api/queries';
import { useSession } from '../../api/session';
import type { DeployPreflight, Deployment, DeploymentCreate, DeploymentList, Environment, Project, Release } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { nextEnvironment } from './next-environment';

/** What to do about each refusal the preflight names (the API's message says it too). */
const ADVICE: Record<string, string> = {
  promotion_order: 'Deploy it to the previous environment of the lifecycle first, and let it succeed there.',
  signoff_missing: 'Ask QA (or the named kind) to record a go for this release and environment.',
  signoff_no_go: 'A no-go stands: fix the problem in a new release, or have the sign-off changed to go.',
  outside_deploy_window: 'Wait for the window to open, or give an override reason if your role may override.',
  frozen: 'Wait for the freeze to end, or give an override reason if your role may override.',
  not_in_lifecycle: 'This environment is not in the project’s lifecycle for this kind of release.',
  tag_mismatch: 'The tag in the remote does not point at the release’s commit: investigate before deploying.',
  deployment_in_progress: 'Another deployment of this project runs there: wait for it or cancel it.',
  forbidden: 'Your role may not deploy here: ask a release manager.',
};

export function DeployPanel({ project, release, deployments, environments }: { project: Project; release: Release; deployments: DeploymentList['items']; environments: Environment[] }) {
  const { can } = useSession();
  const navigate = useNavigate();
  const lifecycle = release.kind === 'hotfix' ? project.hotfixLifecycle : project.lifecycle;
  const succeeded = useMemo(() => new Set(deployments.filter((d) => d.status === 'succeeded').map((d) => d.environment)), [deployments]);
  const suggested = nextEnvironment(lifecycle, succeeded);
  const [target, setTarget] = useState<string | null>(null);
  const [preflight, setPreflight] = useState<DeployPreflight | null>(null);
  const [reason, setReason] = useState('');
  const [overrideReason, setOverrideReason] = useState('');
  const envName = (key: string) => environments.find((e) => e.key === key)?.name || key;

  const body = (environment: string, withOverride = true): DeploymentCreate => ({
    version: release.version,
    environment,
    ...(reason.trim() && { reason: reason.trim() }),
    ...(withOverride && overrideReason.trim() && { override: { reason: overrideReason.trim() } }),
  });
  // The preflight runs without the override, so it lists every refusal and says which ones an override sets aside.
  const check = useApiMutation((environment: string) => api.post<DeployPreflight>(`/api/v1/projects/${seg(project.key)}/deployments`, { ...body(environment, false), dryRun: true }), {
    onSuccess: setPreflight,
  });
  const deploy = useApiMutation((environment: string) => api.post<Deployment>(`/api/v1/projects/${seg(project.key)}/deployments`, body(environment)), {
    onSuccess: (d) => navigate(`/deployments/${encodeURIComponent(d.id)}`),
  });
  if (!can('deploy')) return null;
  const overridable = new Set(preflight?.overridable ?? []);
  const onlyOverridable = preflight !== null && preflight.refusals.length > 0 && preflight.refusals.every((r) => overridable.has(r.code));
  const mayOverride = can('overrideGuards') && onlyOverridable;
  const deployable = preflight !== null && (preflight.allowed || (mayOverride && overrideReason.trim() !== ''));

  const open = (environment: string) => {
    setTarget(environment);
    setPreflight(null);
    deploy.reset();
    check.mutate(environment);
  };
  const close = () => {
    setTarget(null);
    setPreflight(null);
  };
  const others = lifecycle.filter((e) => e !== suggested);
  /** The role a protected environment needs when yours is below it (the API refuses anyway), else null. */
  const closedTo = (key: string): string | null => {
    const env = environments.find((e) => e.key === key);
    return env?.protected && !can('deployProtected') ? env.changeRole : null;
  };
  return (
    <Group data-testid="deploy-panel">
      {suggested && closedTo(suggested) ? (
        <>
          <Button disabled>Deploy to {envName(suggested)}</Button>
          <Text size="sm" data-testid="deploy-role">
            {envName(suggested)} is protected: only {closedTo(suggested)} and above deploy there.
          </Text>
        </>
      ) : suggested ? (
        <Button onClick={() => open(suggested)}>Deploy to {envName(suggested)}</Button>
      ) : (
        <Text size="sm" c="dimmed">
          Deployed through its whole lifecycle.
        </Text>
      )}
      {others.length > 0 && (
        <Select aria-label="Deploy to another environment" placeholder="Deploy to another environment…" data={others.map((e) => ({ value: e, label: envName(e), disabled: closedTo(e) !== null }))} value={null} onChange={(v) => v && open(v)} w={300} />
      )}
      {target && (
        <Modal opened onClose={close} title={`Deploy ${release.version} to ${envName(target)}`} size="lg">
          <Stack>
            <Text size="sm">Slipway first checks every guardrail without deploying anything.</Text>
            <ErrorAlert error={check.error} title="The preflight failed" />
            {check.isPending && <Text size="sm">Checking…</Text>}
            {preflight && preflight.allowed && (
              <Alert color="green" title="Every check passes" data-testid="preflight-allowed">
                Nothing stops this deployment.
              </Alert>
            )}
            {preflight && preflight.refusals.length > 0 && (
              <Alert color="red" title={`${preflight.refusals.length} guard${preflight.refusals.length > 1 ? 's' : ''} refuse`} data-testid="preflight-refusals">
                <List spacing="xs" size="sm">
                  {preflight.refusals.map((r) => (
                    <List.Item key={r.code} data-testid={`refusal-${r.code}`}>
                      <Code>{r.code}</Code> {r.message}
                      {overridable.has(r.code) && (
                        <Text size="xs" fw={600}>
                          {can('overrideGuards') ? 'An override reason sets this aside.' : 'A release manager may override this with a reason.'}
                        </Text>
                      )}
                      {ADVICE[r.code] && (
                        <Text size="xs" c="dimmed">
                          What to do: {ADVICE[r.code]}
                        </Text>
                      )}
                    </List.Item>
                  ))}
                </List>
              </Alert>
            )}
            {preflight && preflight.approvals.length > 0 && (
              <Alert color="yellow" variant="light" title="It will wait for approval" data-testid="preflight-approvals">
                <List size="sm">
                  {preflight.approvals.map((g) => (
                    <List.Item key={g.name}>{g.description}</List.Item>
                  ))}
                </List>
              </Alert>
            )}
            {preflight && preflight.targets.length > 0 && (
              <Text size="sm" c="dimmed">
                Targets: {preflight.targets.join(', ')}
              </Text>
            )}
            <TextInput label="Reason" description="why you deploy (shown in the timeline and messages)" value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
            {mayOverride && (
              <Textarea
                label="Override reason"
                description="sets aside the refusals above that may be overridden; audited and announced"
                value={overrideReason}
                onChange={(e) => setOverrideReason(e.currentTarget.value)}
                autosize
                minRows={2}
              />
            )}
            <ErrorAlert error={deploy.error} title="The deployment was refused" />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => check.mutate(target)} loading={check.isPending}>
                Check again
              </Button>
              <Button onClick={() => deploy.mutate(target)} loading={deploy.isPending} disabled={!deployable}>
                Deploy {release.version}
              </Button>
            </Group>
          </Stack>
        </Modal>
      )}
    </Group>
  );
}
