/**
 * @slipway/sdk-web/react — `<SlipwayProvider>` and hooks that re-render when a flag changes.
 * Values are read from the provider's memory during render (useSyncExternalStore), so a server
 * render with `bootstrap` and the hydration that follows show the same content: no flash of
 * defaults. The provider is also set in OpenFeature, for code outside React.
 *
 * @example
 * import { SlipwayProvider, useFeatureFlag } from '@slipway/sdk-web/react';
 *
 * function QueryInterface() {
 *   const newUI = useFeatureFlag('new_query_ui');
 *   return newUI ? <NewQueryUI /> : <LegacyQueryUI />;
 * }
 *
 * <SlipwayProvider url="https://slipway.example.com" clientKey="sdk-cli-…" context={{ targetingKey: user.id }}>
 *   <QueryInterface />
 * </SlipwayProvider>
 */
import { OpenFeature } from '@openfeature/web-sdk';
import type { EvaluationContext, JsonValue, ResolutionDetails } from '@openfeature/web-sdk';
import { createContext, createElement, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { ReactNode } from 'react';
import type { Bootstrap } from './ofrep.js';
import { SlipwayWebProvider } from './provider.js';
import type { SlipwayWebOptions } from './provider.js';

export { SlipwayWebProvider } from './provider.js';
export type { Bootstrap } from './ofrep.js';

const SlipwayContext = createContext<SlipwayWebProvider | null>(null);

export interface SlipwayProviderProps {
  /** Slipway's base URL (not needed when `provider` is given). */
  url?: string;
  /** A client SDK key (not needed when `provider` is given). */
  clientKey?: string;
  /** Who the flags are for; a change fetches that context's flags. */
  context?: EvaluationContext;
  /** Flags rendered on the server (`fetchBootstrap`): the first render is already right. */
  bootstrap?: Bootstrap;
  /** An existing provider, instead of url/clientKey. */
  provider?: SlipwayWebProvider;
  /** The OpenFeature domain to set the provider for (the default provider when absent). */
  domain?: string;
  /** Rendered instead of the children until flags are in memory (no bootstrap): no flash of defaults. */
  fallback?: ReactNode;
  /** More provider options (polling interval, retries, fetch). */
  options?: Partial<Omit<SlipwayWebOptions, 'url' | 'clientKey' | 'bootstrap'>>;
  children?: ReactNode;
}

/** Makes flags available to the hooks below it. */
export function SlipwayProvider(props: SlipwayProviderProps): ReactNode {
  const [provider] = useState(
    () =>
      props.provider ??
      new SlipwayWebProvider({
        ...props.options,
        url: props.url ?? '',
        clientKey: props.clientKey ?? '',
        ...(props.bootstrap !== undefined && { bootstrap: props.bootstrap }),
      }),
  );
  const context = props.context ?? {};
  const contextKey = JSON.stringify(context);
  const first = useRef(true);
  useEffect(() => {
    if (props.domain !== undefined) OpenFeature.setProvider(props.domain, provider, context);
    else OpenFeature.setProvider(provider, context);
    // Set once per provider; context changes go through setContext below.
  }, [provider]);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    void (props.domain !== undefined ? OpenFeature.setContext(props.domain, context) : OpenFeature.setContext(context));
  }, [contextKey]);
  const ready = useSyncExternalStore(provider.subscribe, () => provider.ready, () => provider.ready);
  if (!ready && props.fallback !== undefined) return props.fallback;
  return createElement(SlipwayContext.Provider, { value: provider }, props.children);
}

/** The provider of the nearest `<SlipwayProvider>`, or null outside one. */
export function useSlipwayProvider(): SlipwayWebProvider | null {
  return useContext(SlipwayContext);
}

const NO_PROVIDER = {
  subscribe: () => () => {},
  version: 0,
};

/**
 * A flag's value; the component re-renders when it changes. Answers `defaultValue` when the
 * flag is missing, of another type, or not fetched yet, and outside a `<SlipwayProvider>`.
 *
 * @example
 * const limit = useFlag('upload-limit-mb', 10);
 */
export function useFlag(flagKey: string, defaultValue: boolean): boolean;
export function useFlag(flagKey: string, defaultValue: string): string;
export function useFlag(flagKey: string, defaultValue: number): number;
export function useFlag<T extends JsonValue>(flagKey: string, defaultValue: T): T;
export function useFlag<T>(flagKey: string, defaultValue: T): T {
  const provider = useContext(SlipwayContext);
  const read = () => (provider === null ? defaultValue : provider.resolve(flagKey, defaultValue).value);
  return useSyncExternalStore(provider?.subscribe ?? NO_PROVIDER.subscribe, read, read);
}

/**
 * A boolean flag, `false` unless it says otherwise (seed 002's `useFeatureFlag('new_query_ui')`).
 *
 * @example
 * const newUI = useFeatureFlag('new_query_ui');
 */
export function useFeatureFlag(flagKey: string, defaultValue = false): boolean {
  return useFlag(flagKey, defaultValue);
}

/**
 * A flag's value with its variant, reason and error code.
 *
 * @example
 * const { value, variant, reason } = useFlagDetails('flavor', 'standard');
 */
export function useFlagDetails<T extends boolean | string | number | JsonValue>(flagKey: string, defaultValue: T): ResolutionDetails<T> {
  const provider = useContext(SlipwayContext) ?? null;
  const source = provider ?? NO_PROVIDER;
  const version = useSyncExternalStore(source.subscribe, () => source.version, () => source.version);
  const key = JSON.stringify(defaultValue);
  return useMemo(
    () => (provider === null ? { value: defaultValue, reason: 'ERROR', errorMessage: 'no <SlipwayProvider>' } : provider.resolve(flagKey, defaultValue)),
    // defaultValue is compared by content, so an inline literal does not recompute every render.
    [provider, version, flagKey, key],
  ) as ResolutionDetails<T>;
}
