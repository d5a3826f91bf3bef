/**
 * @slipway/sdk-web — Slipway in the browser: an OpenFeature web provider over OFREP that listens
 * to the server's event stream (changes arrive within a second), polls only when it must, and
 * answers every evaluation from memory. React hooks are in `@slipway/sdk-web/react`.
 *
 * @example
 * import { OpenFeature } from '@openfeature/web-sdk';
 * import { SlipwayWebProvider } from '@slipway/sdk-web';
 *
 * await OpenFeature.setProviderAndWait(new SlipwayWebProvider({ url: 'https://slipway.example.com', clientKey: 'sdk-cli-…' }), { targetingKey: user.id });
 * OpenFeature.getClient().getBooleanValue('new_query_ui', false);
 */
import { fetchBulk } from './ofrep.js';
import type { Bootstrap, FetchLike } from './ofrep.js';

export { SlipwayWebProvider } from './provider.js';
export type { SlipwayWebOptions } from './provider.js';
export { OfrepError } from './ofrep.js';
export type { Bootstrap, EventStream, FetchLike, OfrepFlag } from './ofrep.js';

/**
 * Evaluates every flag for a context on the server side of a page (SSR), to pass as `bootstrap`
 * to the provider or `<SlipwayProvider>`: the first render then shows the right content, with
 * no flash of defaults. Rejects when Slipway cannot be reached (render with defaults then).
 *
 * @example
 * const bootstrap = await fetchBootstrap({ url: process.env.SLIPWAY_URL, clientKey: process.env.SLIPWAY_CLIENT_KEY, context: { targetingKey: user.id } });
 */
export async function fetchBootstrap(options: { url: string; clientKey: string; context?: Record<string, unknown>; fetch?: FetchLike }): Promise<Bootstrap> {
  const answer = await fetchBulk({
    baseUrl: String(options.url).replace(/\/+$/, ''),
    clientKey: options.clientKey,
    fetch: options.fetch ?? ((url, init) => globalThis.fetch(url, init)),
    context: options.context ?? {},
  });
  if (answer.status === 200) return { flags: answer.flags };
  if (answer.status === 400) return { flags: [], error: { errorCode: answer.errorCode, errorDetails: answer.errorDetails } };
  return { flags: [] };
}
