import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { withQuery } from '../../api/client';
import type { Deployment, LogLine } from '../../api/types';

/**
 * Follows the deployment's SSE log stream (`log`, `deployment`, `end`). Lines are kept by id, so a
 * reconnect (EventSource retries by itself, resuming after the last line seen) never duplicates one.
 */
export function useLiveLogs(id: string) {
  const queryClient = useQueryClient();
  const [lines, setLines] = useState<LogLine[]>([]);
  const [state, setState] = useState<'connecting' | 'live' | 'ended' | 'error'>('connecting');
  useEffect(() => {
    let last: string | null = null;
    const seen = new Set<string>();
    let source: EventSource | null = null;
    let ended = false;
    let failures = 0;
    const connect = () => {
      source = new EventSource(withQuery(`/api/v1/deployments/${encodeURIComponent(id)}/logs`, { after: last }), { withCredentials: true });
      source.onopen = () => {
        failures = 0;
        setState('live');
      };
      source.addEventListener('log', (event) => {
        const line = JSON.parse((event as MessageEvent<string>).data) as LogLine;
        if (seen.has(line.id)) return;
        seen.add(line.id);
        last = line.id;
        setLines((current) => [...current, line]);
      });
      source.addEventListener('deployment', (event) => {
        const deployment = JSON.parse((event as MessageEvent<string>).data) as Deployment;
        queryClient.setQueryData(['api', `/api/v1/deployments/${encodeURIComponent(id)}`], deployment);
        void queryClient.invalidateQueries({ queryKey: ['api'], predicate: (q) => String(q.queryKey[1]).includes('/timeline') || String(q.queryKey[1]).includes('/events') });
      });
      source.addEventListener('end', () => {
        ended = true;
        setState('ended');
        source?.close();
        void queryClient.invalidateQueries({ queryKey: ['api'] });
      });
      source.onerror = () => {
        if (ended) return;
        // The stream broke: reconnect from the last line we have (the URL carries ?after=).
        // After a few refusals in a row (the deployment is gone, the session ended) stop trying.
        setState('error');
        source?.close();
        if (++failures <= 5) setTimeout(() => !ended && connect(), 1000 * failures);
      };
    };
    connect();
    return () => {
      ended = true;
      source?.close();
    };
  }, [id, queryClient]);
  return { lines, state };
}
