import { ActionIcon, Group, NumberInput, Select, Slider, Stack, Text } from '@mantine/core';
import { addSplitVariant, removeSplitVariant, setSplitWeight, splitTotal, type SplitEntry } from './split';

/** Percentage split: one slider per variant; moving one moves the others so the total stays 100. */
export function SplitEditor({ split, variants, onChange, label, disabled }: { split: SplitEntry[]; variants: string[]; onChange: (next: SplitEntry[]) => void; label: string; disabled?: boolean }) {
  const unused = variants.filter((v) => !split.some((e) => e.variant === v));
  return (
    <Stack gap={6} data-testid="split-editor" role="group" aria-label={label}>
      {split.map((entry, index) => (
        <Group key={entry.variant} gap="xs" wrap="nowrap">
          <Text size="sm" w={110} truncate>
            {entry.variant}
          </Text>
          <Slider
            style={{ flex: 1 }}
            min={0}
            max={100}
            step={1}
            value={entry.weight}
            onChange={(value) => onChange(setSplitWeight(split, index, value))}
            label={(v) => `${v}%`}
            thumbLabel={`${entry.variant} percentage`}
            disabled={disabled}
          />
          <NumberInput
            aria-label={`${entry.variant} percent`}
            w={90}
            min={0}
            max={100}
            decimalScale={2}
            suffix="%"
            value={entry.weight}
            onChange={(value) => onChange(setSplitWeight(split, index, typeof value === 'number' ? value : Number(value)))}
            disabled={disabled}
          />
          {!disabled && (
            <ActionIcon variant="subtle" color="red.9" aria-label={`Remove ${entry.variant} from the split`} onClick={() => onChange(removeSplitVariant(split, index))} disabled={disabled || split.length <= 1}>
              ✕
            </ActionIcon>
          )}
        </Group>
      ))}
      <Group justify="space-between">
        {unused.length > 0 ? (
          <Select aria-label="Add a variant to the split" placeholder="Add variant…" data={unused} value={null} onChange={(v) => v && onChange(addSplitVariant(split, v))} w={200} size="xs" disabled={disabled} />
        ) : (
          <span />
        )}
        <Text size="xs" c={splitTotal(split) === 100 ? 'dimmed' : 'red.9'} data-testid="split-total">
          total {splitTotal(split)}%
        </Text>
      </Group>
    </Stack>
  );
}
