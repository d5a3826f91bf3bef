import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, type ReactNode } from 'react';
import { api, ApiError, onUnauthorized, setCsrfToken } from './client';
import type { Me } from './types';

export type Capability = keyof Me['capabilities'];

interface SessionValue {
  me: Me;
  can(capability: Capability): boolean;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

export const ME_KEY = ['me'] as const;

/** Who is signed in (null when nobody is): the session cookie goes with the request. */
export function useMeQuery() {
  return useQuery({
    queryKey: ME_KEY,
    queryFn: async () => {
      try {
        const me = await api.get<Me>('/api/v1/me', { quietUnauthorized: true });
        setCsrfToken(me.csrfToken ?? null);
        return me;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          setCsrfToken(null);
          return null;
        }
        throw error;
      }
    },
    staleTime: 60_000,
    refetchOnWindowFocus: true,
  });
}

export async function signIn(username: string, password: string): Promise<Me> {
  const me = await api.post<Me>('/api/v1/session', { username, password }, { quietUnauthorized: true });
  setCsrfToken(me.csrfToken ?? null);
  return me;
}

export function SessionProvider({ me, children }: { me: Me; children: ReactNode }) {
  const queryClient = useQueryClient();
  useEffect(
    () =>
      onUnauthorized(() => {
        // The session expired or was ended elsewhere: forget everything and show the sign-in page.
        setCsrfToken(null);
        queryClient.setQueryData(ME_KEY, null);
      }),
    [queryClient],
  );
  const value: SessionValue = {
    me,
    can: (capability) => Boolean(me.capabilities[capability]),
    async signOut() {
      await api.delete('/api/v1/session').catch(() => undefined);
      setCsrfToken(null);
      queryClient.clear();
      queryClient.setQueryData(ME_KEY, null);
    },
  };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** Renders its children only for users whose role has the capability (the API checks again anyway). */
export function Can({ capability, children }: { capability: Capability; children: ReactNode }) {
  const { can } = useSession();
  return can(capability) ? <>{children}</> : null;
}
