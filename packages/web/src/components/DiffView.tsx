import { Text } from '@mantine/core';
import { diffValues, hasChanges } from './json-diff';

/** Before/after as a readable line diff: removed lines red with "−", added green with "+". */
export function DiffView({ before, after, label = 'Changes' }: { before: unknown; after: unknown; label?: string }) {
  const lines = diffValues(before, after);
  if (!hasChanges(lines)) return <Text size="sm" c="dimmed">No change.</Text>;
  return (
    <pre className="diff" aria-label={label} data-testid="diff" tabIndex={0}>
      {lines.map((line, index) => (
        <span key={index} className={line.kind}>
          {line.kind === 'add' ? '+ ' : line.kind === 'del' ? '− ' : '  '}
          {line.text}
        </span>
      ))}
    </pre>
  );
}
