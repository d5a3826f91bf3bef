import { Alert, Button, Code, CopyButton, Group, Text } from '@mantine/core';

/** A secret the server returns once (token, SDK key): shown here, never again. */
export function ShownOnce({ label, value, onDone }: { label: string; value: string; onDone: () => void }) {
  return (
    <Alert color="yellow" title={`${label} — shown once`} data-testid="shown-once">
      <Text size="sm" mb="xs">
        Copy it now: Slipway stores only a hash and cannot show it again.
      </Text>
      <Code block data-testid="secret-value">
        {value}
      </Code>
      <Group mt="xs">
        <CopyButton value={value}>{({ copied, copy }) => <Button size="xs" onClick={copy}>{copied ? 'Copied' : 'Copy'}</Button>}</CopyButton>
        <Button size="xs" variant="default" onClick={onDone}>
          I stored it
        </Button>
      </Group>
    </Alert>
  );
}
