import { useMutation, useQuery, useQueryClient, type UseQueryOptions } from '@tanstack/react-query';
import { api, withQuery, type RequestOptions } from './client';

type Query = RequestOptions['query'];

/**
 * GET `path` through TanStack Query. The key is the URL with its query, so every page asking for
 * the same resource shares one cache entry; `invalidateAll` after a change refreshes them.
 */
export function useApiQuery<T>(path: string | null, query?: Query, options: Omit<UseQueryOptions<T>, 'queryKey' | 'queryFn'> = {}) {
  const url = path === null ? null : withQuery(path, query);
  return useQuery<T>({
    queryKey: ['api', url],
    queryFn: ({ signal }) => api.get<T>(url!, { signal }),
    enabled: url !== null && (options.enabled ?? true),
    ...options,
  });
}

/** A mutation that refreshes every cached API answer when it succeeds (what changed is rarely one resource). */
export function useApiMutation<V, R>(fn: (variables: V) => Promise<R>, options: { onSuccess?: (result: R, variables: V) => void } = {}) {
  const queryClient = useQueryClient();
  return useMutation<R, Error, V>({
    mutationFn: fn,
    onSuccess: async (result, variables) => {
      options.onSuccess?.(result, variables);
      await queryClient.invalidateQueries({ queryKey: ['api'] });
    },
  });
}
