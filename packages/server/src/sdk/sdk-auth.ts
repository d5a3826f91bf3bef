import type { IncomingHttpHeaders } from 'node:http';
import { ForbiddenError, UnauthorizedError } from '../shared/errors.js';
import type { SdkKeyAuthenticator, SdkKeyIdentity } from './sdk-key-service.js';

const BEARER = /^Bearer\s+([\x21-\x7e]{1,512})$/i;

/**
 * The SDK key of a request: `Authorization: Bearer <key>` or `X-API-Key: <key>` (OpenFeature's
 * OFREP providers send either). SDK keys are not user tokens: routes that take them are outside
 * the user-token hook.
 */
export function sdkKeyFromHeaders(headers: IncomingHttpHeaders): string | null {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const match = BEARER.exec(auth);
    if (match) return match[1]!;
  }
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0 && apiKey.length <= 512) return apiKey.trim();
  return null;
}

/** For JSON API routes: the identity of a server key, or a 401/403 in the API's error shape. */
export async function requireServerKey(headers: IncomingHttpHeaders, authenticate: SdkKeyAuthenticator): Promise<SdkKeyIdentity> {
  const raw = sdkKeyFromHeaders(headers);
  if (raw === null) throw new UnauthorizedError('Send a server SDK key: Authorization: Bearer <key> or X-API-Key: <key>.');
  const identity = await authenticate(raw);
  if (identity === null) throw new UnauthorizedError('The SDK key is not valid or has been revoked.');
  if (identity.kind !== 'server') {
    throw new ForbiddenError('Client SDK keys only evaluate flags (OFREP); reading the rule set needs a server key.', { kind: identity.kind });
  }
  return identity;
}

/**
 * For other features that accept SDK keys (e.g. deployment heartbeats from running services):
 * the identity of the SDK key a request carries, or null when it has none or it is not valid.
 *
 * @example
 * const id = await sdkKeyIdentity(request.headers, services.sdkKeys.authenticateSdkKey);
 * if (id?.kind === 'server' && id.projectKey === project && id.environmentKey === env) { … }
 */
export async function sdkKeyIdentity(headers: IncomingHttpHeaders, authenticate: SdkKeyAuthenticator): Promise<SdkKeyIdentity | null> {
  const raw = sdkKeyFromHeaders(headers);
  return raw === null ? null : authenticate(raw);
}
