import { Alert, Button, Group, Modal, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState, type FormEvent } from 'react';
import { api, seg } from '../../api/client';
import { useApiMutation } from '../../api/queries';
import type { Flag, ResponseOf } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { userOverride, withUserOverride } from './override';

type Evaluation = ResponseOf<'/api/v1/projects/{project}/flags/evaluate', 'post'>;

interface Editing {
  flag: Flag;
  environment: string;
  variant: string | null;
}

/**
 * The superadmin's view of one user (seed 000's determineFlavorForUser): what every flag serves
 * them in every environment, evaluated by the server on the live rule sets, and an override that
 * wins over company rules.
 */
export function UserFlagsPanel({ project, flags }: { project: string; flags: Flag[] }) {
  const [userId, setUserId] = useState('');
  const [company, setCompany] = useState('');
  const [asked, setAsked] = useState<{ userId: string; company: string } | null>(null);
  const [result, setResult] = useState<Evaluation | null>(null);
  const [editing, setEditing] = useState<Editing | null>(null);
  const evaluate = useApiMutation(
    (who: { userId: string; company: string }) => api.post<Evaluation>(`/api/v1/projects/${seg(project)}/flags/evaluate`, { context: { targetingKey: who.userId, ...(who.company && { company: who.company }) } }),
    { onSuccess: setResult },
  );
  const save = useApiMutation(
    (e: Editing) => {
      const config = e.flag.environments.find((x) => x.environment.key === e.environment)!.config;
      return api.put(`/api/v1/projects/${seg(project)}/flags/${seg(e.flag.key)}/environments/${seg(e.environment)}`, withUserOverride(config, asked!.userId, e.variant));
    },
    {
      onSuccess: (_r, e) => {
        notifications.show({ color: 'green', message: e.variant ? `${asked!.userId} now gets ${e.variant} of ${e.flag.key} in ${e.environment}` : `Removed the override of ${e.flag.key} in ${e.environment}` });
        setEditing(null);
        evaluate.mutate(asked!);
      },
    },
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const who = { userId: userId.trim(), company: company.trim() };
    setAsked(who);
    evaluate.mutate(who);
  };
  const byKey = new Map(flags.map((f) => [f.key, f]));
  const envNames = new Map(flags.flatMap((f) => f.environments.map((e) => [e.environment.key, e.environment.name || e.environment.key] as const)));
  const editingEnv = editing ? editing.flag.environments.find((x) => x.environment.key === editing.environment)?.environment : undefined;
  return (
    <section aria-labelledby="per-user" data-testid="per-user">
      <Title order={2} fz="h4" id="per-user" mb="xs">
        One user's view
      </Title>
      <form onSubmit={submit}>
        <Group align="flex-end">
          <TextInput label="User id" description="the targeting key the app sends" value={userId} onChange={(e) => setUserId(e.currentTarget.value)} required />
          <TextInput label="Company" description="optional attribute" value={company} onChange={(e) => setCompany(e.currentTarget.value)} />
          <Button type="submit" variant="default" loading={evaluate.isPending}>
            Show what this user gets
          </Button>
        </Group>
      </form>
      <ErrorAlert error={evaluate.error} />
      {result && asked && (
        <Table withTableBorder mt="sm" data-testid="per-user-results">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Flag</Table.Th>
              {result.environments.map((e) => (
                <Table.Th key={e}>{envNames.get(e) ?? e}</Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {result.flags.map((f) => (
              <Table.Tr key={f.key}>
                <Table.Td>{f.key}</Table.Td>
                {f.results.map((r) => {
                  const flag = byKey.get(f.key);
                  // The API says whether the user's individual target decided the answer; the stored target (even in a disabled environment) preselects the dialog.
                  const target = flag ? userOverride(flag.environments.find((x) => x.environment.key === r.environment)?.config, asked.userId) : null;
                  return (
                    <Table.Td key={r.environment} data-testid={`serve-${f.key}-${r.environment}`}>
                      <Text size="sm" fw={600}>
                        {r.variant ?? JSON.stringify(r.value)}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {r.reason}
                        {r.errorCode && ` (${r.errorCode})`}
                        {r.overridden && ' · overridden'}
                      </Text>
                      {flag && (
                        <Button size="compact-xs" variant="subtle" onClick={() => setEditing({ flag, environment: r.environment, variant: target })} aria-label={`Override ${f.key} in ${r.environment} for ${asked.userId}`}>
                          Override
                        </Button>
                      )}
                    </Table.Td>
                  );
                })}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {editing && asked && (
        <Modal opened onClose={() => setEditing(null)} title={`Override ${editing.flag.key} for ${asked.userId} in ${editing.environment}`}>
          <Stack>
            <Text size="sm">An individual target wins over every rule, so over the company's setting.</Text>
            <Select label="Serve" placeholder="no override (follow the rules)" data={editing.flag.variants.map((v) => v.key)} value={editing.variant} onChange={(variant) => setEditing({ ...editing, variant })} clearable />
            {editingEnv?.protected && (
              <Alert color="yellow">
                {editing.environment} is protected: only {editingEnv.changeRole} and above may change it.
              </Alert>
            )}
            <ErrorAlert error={save.error} title="Refused" />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setEditing(null)}>
                Cancel
              </Button>
              <Button onClick={() => save.mutate(editing)} loading={save.isPending}>
                Save override
              </Button>
            </Group>
          </Stack>
        </Modal>
      )}
    </section>
  );
}
