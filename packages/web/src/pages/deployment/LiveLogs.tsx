import { Group, Title } from '@mantine/core';
import { SolidBadge } from '../../components/badges';
import { useEffect, useRef } from 'react';
import { useLiveLogs } from './useLiveLogs';

export function LiveLogs({ id }: { id: string }) {
  const { lines, state } = useLiveLogs(id);
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines.length]);
  return (
    <section aria-labelledby="logs">
      <Group gap="xs" mb="xs">
        <Title order={2} fz="h4" id="logs">
          Logs
        </Title>
        <SolidBadge background={state === 'live' ? '#2b8a3e' : state === 'ended' ? '#495057' : '#f59f00'} data-testid="log-state">
          {state === 'live' ? 'live' : state === 'ended' ? 'ended' : state === 'error' ? 'reconnecting' : 'connecting'}
        </SolidBadge>
      </Group>
      {/* tabIndex: a scrollable region must be reachable with the keyboard. */}
      <pre className="logs" ref={ref} data-testid="logs" tabIndex={0} aria-label="Deployment logs" aria-live="polite">
        {lines.length === 0 ? 'No log lines yet.' : null}
        {lines.map((line) => (
          <div key={line.id} className={line.stream === 'stderr' ? 'stderr' : undefined}>
            {new Date(line.at).toLocaleTimeString()} {line.target ? `[${line.target}] ` : ''}
            {line.line}
          </div>
        ))}
      </pre>
    </section>
  );
}
