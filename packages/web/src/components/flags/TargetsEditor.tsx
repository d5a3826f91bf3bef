import { Group, Stack, TagsInput, Text } from '@mantine/core';
import type { FlagEnvConfig } from '../../api/types';

type Targets = NonNullable<FlagEnvConfig['targets']>;

/** Individual targets: the targeting keys (user ids) that get each variant, whatever the rules say. */
export function TargetsEditor({ targets, variants, onChange, disabled }: { targets: Targets; variants: string[]; onChange: (t: Targets) => void; disabled?: boolean }) {
  return (
    <Stack gap={4} data-testid="targets-editor">
      {variants.map((variant) => {
        const values = targets.find((t) => t.variant === variant)?.values ?? [];
        return (
          <Group key={variant} gap="xs" wrap="nowrap">
            <Text size="sm" w={110} truncate>
              {variant}
            </Text>
            <TagsInput
              aria-label={`Targeting keys served ${variant}`}
              placeholder="user id, then Enter"
              value={values}
              style={{ flex: 1 }}
              size="xs"
              disabled={disabled}
              onChange={(next) => {
                const others = targets.filter((t) => t.variant !== variant);
                // A key listed under two variants would be ambiguous: the newest listing wins.
                const cleaned = others.map((t) => ({ ...t, values: t.values.filter((v) => !next.includes(v)) })).filter((t) => t.values.length > 0);
                onChange(next.length > 0 ? [...cleaned, { variant, values: next }] : cleaned);
              }}
            />
          </Group>
        );
      })}
    </Stack>
  );
}
