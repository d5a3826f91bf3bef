import { ActionIcon, Button, Group, NumberInput, PasswordInput, Select, Stack, TagsInput, TextInput } from '@mantine/core';
import type { EnvironmentPatch } from '../../api/types';
import { removeAt, replaceAt } from '../../components/flags/rules';

export type TargetInput = NonNullable<EnvironmentPatch['targets']>[number];

/** Targets (clusters, regions, flavors) of an environment, each with its executor. */
export function ExecutorTargetsEditor({ targets, onChange, disabled }: { targets: TargetInput[]; onChange: (t: TargetInput[]) => void; disabled?: boolean }) {
  return (
    <Stack gap={4} data-testid="targets-settings">
      {targets.map((t, index) => {
        const label = `Target ${index + 1}`;
        const set = (next: TargetInput) => onChange(replaceAt(targets, index, next));
        const ex = t.executor as { type: string; command?: string[]; url?: string; secret?: string; timeoutMs?: number };
        return (
          <Group key={index} gap="xs" align="flex-end" role="group" aria-label={label}>
            <TextInput label="Key" value={t.key} onChange={(e) => set({ ...t, key: e.currentTarget.value })} w={130} size="xs" disabled={disabled} />
            <Select
              label="Executor"
              data={['record', 'command', 'webhook']}
              value={ex.type}
              allowDeselect={false}
              onChange={(type) => set({ ...t, executor: type === 'command' ? { type: 'command', command: [] } : type === 'webhook' ? { type: 'webhook', url: '' } : { type: 'record' } })}
              w={110}
              size="xs"
              disabled={disabled}
            />
            {ex.type === 'command' && <TagsInput label="Command (argv, no shell)" value={ex.command ?? []} onChange={(command) => set({ ...t, executor: { type: 'command', command, ...(ex.timeoutMs && { timeoutMs: ex.timeoutMs }) } })} w={280} size="xs" disabled={disabled} />}
            {ex.type === 'webhook' && (
              <>
                <TextInput label="URL" value={ex.url ?? ''} onChange={(e) => set({ ...t, executor: { type: 'webhook', url: e.currentTarget.value, ...(ex.secret && { secret: ex.secret }) } })} w={240} size="xs" disabled={disabled} />
                <PasswordInput label="Secret" placeholder="unchanged" value={ex.secret ?? ''} onChange={(e) => set({ ...t, executor: { type: 'webhook', url: ex.url ?? '', ...(e.currentTarget.value && { secret: e.currentTarget.value }) } })} w={160} size="xs" disabled={disabled} />
              </>
            )}
            {ex.type !== 'record' && (
              <NumberInput label="Timeout ms" value={ex.timeoutMs ?? ''} onChange={(v) => set({ ...t, executor: { ...(t.executor as object), timeoutMs: typeof v === 'number' ? v : undefined } as TargetInput['executor'] })} w={110} size="xs" disabled={disabled} />
            )}
            {!disabled && (
              <ActionIcon variant="subtle" color="red.9" aria-label={`Remove ${label}`} onClick={() => onChange(removeAt(targets, index))} disabled={disabled}>
                ✕
              </ActionIcon>
            )}
          </Group>
        );
      })}
      {!disabled && (
        <Button size="compact-xs" variant="subtle" w="fit-content" disabled={disabled} onClick={() => onChange([...targets, { key: `target-${targets.length + 1}`, executor: { type: 'record' } }])}>
          + Add target
        </Button>
      )}
    </Stack>
  );
}
