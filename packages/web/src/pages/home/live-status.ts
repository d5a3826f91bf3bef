import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useApiQuery } from '../../api/queries';
import type { Status } from '../../api/types';

const URL = '/api/v1/status';

/**
 * The status matrix, kept live without reloading: the server's SSE stream sends a `status` event
 * on every change. While the stream is down (a proxy that buffers, a restart) the query polls; the
 * server answers 304 when nothing changed (ETag), so polling costs little.
 */
export function useLiveStatus() {
  const queryClient = useQueryClient();
  const streaming = useRef(false);
  const query = useApiQuery<Status>(URL, undefined, { refetchInterval: (q) => (q.state.dataUpdateCount > 0 && streaming.current ? false : 10_000) });
  useEffect(() => {
    const source = new EventSource(URL, { withCredentials: true });
    source.onopen = () => (streaming.current = true);
    source.addEventListener('status', (event) => {
      queryClient.setQueryData(['api', URL], JSON.parse((event as MessageEvent<string>).data) as Status);
    });
    // EventSource reconnects by itself; until it does, polling covers.
    source.onerror = () => (streaming.current = false);
    return () => {
      streaming.current = false;
      source.close();
    };
  }, [queryClient]);
  return query;
}
