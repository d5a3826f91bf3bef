import { ActionIcon, Button, Group, Select, Stack, Text } from '@mantine/core';
import type { Flag, FlagEnvConfig } from '../../api/types';
import { removeAt, replaceAt } from './rules';

type Prerequisites = NonNullable<FlagEnvConfig['prerequisites']>;

/** Other flags that must serve a given variant (for the same user) before this one applies its rules. */
export function PrerequisitesEditor({ prerequisites, flags, self, onChange, disabled }: { prerequisites: Prerequisites; flags: Flag[]; self: string; onChange: (p: Prerequisites) => void; disabled?: boolean }) {
  const candidates = flags.filter((f) => f.key !== self);
  return (
    <Stack gap={4} data-testid="prerequisites-editor">
      {prerequisites.length === 0 && (
        <Text size="sm" c="dimmed">
          None.
        </Text>
      )}
      {prerequisites.map((p, index) => {
        const flag = candidates.find((f) => f.key === p.flag);
        return (
          <Group key={index} gap="xs" wrap="nowrap">
            <Select aria-label={`Prerequisite ${index + 1} flag`} data={candidates.map((f) => f.key)} value={p.flag || null} searchable onChange={(v) => v && onChange(replaceAt(prerequisites, index, { flag: v, variant: '' }))} w={220} size="xs" disabled={disabled} />
            <Text size="sm">serves</Text>
            <Select aria-label={`Prerequisite ${index + 1} variant`} data={(flag?.variants ?? []).map((v) => v.key)} value={p.variant || null} onChange={(v) => v && onChange(replaceAt(prerequisites, index, { ...p, variant: v }))} w={160} size="xs" disabled={disabled} />
            {!disabled && (
              <ActionIcon variant="subtle" color="red.9" aria-label={`Remove prerequisite ${index + 1}`} onClick={() => onChange(removeAt(prerequisites, index))} disabled={disabled}>
                ✕
              </ActionIcon>
            )}
          </Group>
        );
      })}
      {!disabled && (
        <Button size="compact-xs" variant="subtle" w="fit-content" onClick={() => onChange([...prerequisites, { flag: '', variant: '' }])} disabled={disabled || candidates.length === 0}>
          + Add prerequisite
        </Button>
      )}
    </Stack>
  );
}
