import { SegmentedControl, Select, Stack } from '@mantine/core';
import type { Serve } from './rules';
import { evenSplit } from './split';
import { SplitEditor } from './SplitEditor';

/** What a rule or the default serves: one variant, or a percentage split. */
export function ServeEditor({ serve, variants, onChange, label, disabled }: { serve: Serve; variants: string[]; onChange: (next: Serve) => void; label: string; disabled?: boolean }) {
  const mode = serve.split ? 'split' : 'variant';
  return (
    <Stack gap={6}>
      <SegmentedControl
        size="xs"
        aria-label={`${label}: serve`}
        data={[
          { value: 'variant', label: 'One variant' },
          { value: 'split', label: 'Percentage split' },
        ]}
        value={mode}
        disabled={disabled}
        onChange={(value) =>
          onChange(value === 'split' ? { split: evenSplit(variants.slice(0, 2).length ? variants.slice(0, 2) : variants) } : { variant: serve.split?.[0]?.variant ?? variants[0] ?? '' })
        }
      />
      {serve.split ? (
        <SplitEditor split={serve.split} variants={variants} onChange={(split) => onChange({ ...serve, split })} label={`${label} split`} disabled={disabled} />
      ) : (
        <Select aria-label={`${label}: variant`} data={variants} value={serve.variant ?? null} allowDeselect={false} onChange={(v) => v && onChange({ variant: v })} w={220} disabled={disabled} />
      )}
    </Stack>
  );
}
