/**
 * The one door to the HTTP API. The session cookie is HttpOnly (the browser sends it), and every
 * mutation carries the CSRF header with the token the server gave at sign-in: a cross-site form
 * can send the cookie but cannot set this header.
 */
export const CSRF_HEADER = 'x-slipway-csrf';

/** An error exactly as the API wrote it: `{ error: { code, message, details } }` and the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;
const unauthorizedListeners = new Set<() => void>();

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API answers 401 (the session ended or expired): the app goes to /login. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  query?: Record<string, string | number | boolean | null | undefined>;
  /** Do not report a 401 to the listeners (the sign-in page asks who is signed in). */
  quietUnauthorized?: boolean;
  signal?: AbortSignal;
  /** `If-Match`: change the resource only if it is still the version this tag names (412 otherwise). */
  ifMatch?: string;
}

/**
 * The last entity tag the API gave for each path (on GET, and on the answer to a change). Editors
 * send it back as `If-Match`, so saving a form read before someone else's change is refused (412)
 * instead of silently putting back what that person changed (a freeze, say).
 */
const etags = new Map<string, string>();

export function etagOf(path: string): string | undefined {
  return etags.get(path);
}

export function withQuery(path: string, query: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path;
}

export async function request<T>(method: Method, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== null) headers[CSRF_HEADER] = csrfToken;
  if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch;
  let response: Response;
  try {
    response = await fetch(withQuery(path, options.query), {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined && { body: JSON.stringify(body) }),
      ...(options.signal && { signal: options.signal }),
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'network_error', `Slipway could not be reached (${(error as Error).message}). Check your connection and try again.`);
  }
  if (response.status === 204) return undefined as T;
  const etag = response.headers.get('etag');
  if (response.ok && etag !== null && method !== 'DELETE' && method !== 'POST') etags.set(path, etag);
  const text = await response.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: reported below with the status
  }
  if (!response.ok) {
    const error = (json as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
    const apiError =
      error && typeof error.code === 'string'
        ? new ApiError(response.status, error.code, typeof error.message === 'string' ? error.message : '', (error.details as Record<string, unknown>) ?? {})
        : new ApiError(response.status, 'http_error', `The server answered ${response.status} ${response.statusText}.`);
    if (response.status === 401 && !options.quietUnauthorized) for (const listener of unauthorizedListeners) listener();
    throw apiError;
  }
  return json as T;
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, undefined, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('POST', path, body ?? {}, options),
  put: <T>(path: string, body: unknown, options?: RequestOptions) => request<T>('PUT', path, body, options),
  patch: <T>(path: string, body: unknown, options?: RequestOptions) => request<T>('PATCH', path, body, options),
  delete: <T>(path: string, options?: RequestOptions) => request<T>('DELETE', path, undefined, options),
};

/** `encodeURIComponent` for one path segment (versions hold `+`, keys may hold dots). */
export const seg = (value: string): string => encodeURIComponent(value);
