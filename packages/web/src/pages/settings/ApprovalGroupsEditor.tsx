import { ActionIcon, Button, Group, MultiSelect, NumberInput, Stack, TagsInput, Text, TextInput } from '@mantine/core';
import type { ApprovalGroup } from '../../api/pending-contracts';
import { removeAt, replaceAt } from '../../components/flags/rules';

const ROLES = ['viewer', 'engineer', 'qa', 'release-manager', 'admin'];
const KINDS = ['major', 'minor', 'patch', 'hotfix', 'prerelease'];

/**
 * Approval groups: each needs `required` approvals from its roles or named users, optionally only
 * for some release kinds. While the server takes one `{ required, roles }` policy (`single`), only
 * one group without users or kinds can be saved, and the editor says so.
 */
export function ApprovalGroupsEditor({ groups, shape, onChange, disabled }: { groups: ApprovalGroup[]; shape: 'groups' | 'single'; onChange: (g: ApprovalGroup[]) => void; disabled?: boolean }) {
  const single = shape === 'single';
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
            <TextInput label="Name" value={g.name} onChange={(e) => set({ name: e.currentTarget.value })} w={140} size="xs" disabled={disabled || single} />
            <NumberInput label="Approvals" min={1} max={20} value={g.required} onChange={(v) => set({ required: Number(v) || 1 })} w={90} size="xs" disabled={disabled} />
            <MultiSelect label="From roles" data={ROLES} value={g.roles ?? []} onChange={(roles) => set({ roles })} w={230} size="xs" disabled={disabled} />
            {!single && <TagsInput label="Or users" value={g.users ?? []} onChange={(users) => set({ users })} w={180} size="xs" disabled={disabled} />}
            {!single && <MultiSelect label="Only for kinds" placeholder="every kind" data={KINDS} value={g.kinds ?? []} onChange={(kinds) => set({ kinds })} w={180} size="xs" disabled={disabled} />}
            {!disabled && (
              <ActionIcon variant="subtle" color="red.9" aria-label={`Remove ${label}`} onClick={() => onChange(removeAt(groups, index))} disabled={disabled}>
                ✕
              </ActionIcon>
            )}
          </Group>
        );
      })}
      {(!single || groups.length === 0) && !disabled && (
          <Button size="compact-xs" variant="subtle" w="fit-content" disabled={disabled} onClick={() => onChange([...groups, { name: `group ${groups.length + 1}`, required: 1, roles: ['release-manager'] }])}>
            + Add approval group
          </Button>
      )}
      {single && (
        <Text size="xs" c="dimmed">
          This server takes one approval policy (approvals from roles); named users and per-kind groups come with approval groups.
        </Text>
      )}
    </Stack>
  );
}
