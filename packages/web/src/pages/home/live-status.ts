import { useApiQuery } from '../../api/queries';
import type { Status } from '../../api/types';

/** The status matrix, refreshed every few seconds while the page is open (no reload). */
export function useLiveStatus() {
  return useApiQuery<Status>('/api/v1/status', undefined, { refetchInterval: 5_000, refetchIntervalInBackground: false });
}
