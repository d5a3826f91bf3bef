import { ActionIcon, Button, Group, MultiSelect, NumberInput, Stack, TagsInput, Text, TextInput } from '@mantine/core';
import type { ApprovalGroup, ApprovalGroupInput } from '../../api/types';
import { removeAt, replaceAt } from '../../components/flags/rules';

const ROLES = ['viewer', 'engineer', 'qa', 'release-manager', 'admin'];
const KINDS = ['major', 'minor', 'patch', 'hotfix', 'prerelease'];

/** The groups as PATCH /environments/{env} takes them: empty lists and "every kind" left out. */
export function approvalsInput(groups: ApprovalGroup[]): ApprovalGroupInput[] {
  return groups.map((g) => ({
    name: g.name.trim(),
    required: g.required,
    ...(g.roles.length > 0 && { roles: g.roles as NonNullable<ApprovalGroupInput['roles']> }),
    ...(g.users.length > 0 && { users: g.users }),
    ...(g.kinds && g.kinds.length > 0 && { kinds: g.kinds as NonNullable<ApprovalGroupInput['kinds']> }),
  }));
}

/** Approval groups: each needs `required` approvals from its roles or named users, optionally only for some release kinds; every group that applies must be satisfied. */
export function ApprovalGroupsEditor({ groups, onChange, disabled }: { groups: ApprovalGroup[]; onChange: (g: ApprovalGroup[]) => void; disabled?: boolean }) {
  return (
    <Stack gap={4} data-testid="approval-groups">
      {groups.length === 0 && (
        <Text size="sm" c="dimmed">
          No approval needed.
        </Text>
      )}
      {groups.map((g, index) => {
        const label = `Approval group ${index + 1}`;
        const set = (patch: Partial<ApprovalGroup>) => onChange(replaceAt(groups, index, { ...g, ...patch }));
        return (
          <Group key={index} gap="xs" align="flex-end" role="group" aria-label={label}>
            <TextInput label="Name" value={g.name} onChange={(e) => set({ name: e.currentTarget.value })} w={140} size="xs" disabled={disabled} />
            <NumberInput label="Approvals" min={1} max={10} value={g.required} onChange={(v) => set({ required: Number(v) || 1 })} w={90} size="xs" disabled={disabled} />
            <MultiSelect label="From roles" data={ROLES} value={g.roles} onChange={(roles) => set({ roles })} w={230} size="xs" disabled={disabled} />
            <TagsInput label="Or users" value={g.users} onChange={(users) => set({ users })} w={180} size="xs" disabled={disabled} />
            <MultiSelect label="Only for kinds" placeholder={g.kinds?.length ? undefined : 'every kind'} data={KINDS} value={g.kinds ?? []} onChange={(kinds) => set({ kinds })} w={200} size="xs" disabled={disabled} />
            {!disabled && (
              <ActionIcon variant="subtle" color="red.9" aria-label={`Remove ${label}`} onClick={() => onChange(removeAt(groups, index))}>
                ✕
              </ActionIcon>
            )}
          </Group>
        );
      })}
      {!disabled && (
        <Button
          size="compact-xs"
          variant="subtle"
          w="fit-content"
          onClick={() => onChange([...groups, { name: `group-${groups.length + 1}`, required: 1, roles: ['release-manager'], users: [] }])}
        >
          + Add approval group
        </Button>
      )}
    </Stack>
  );
}
