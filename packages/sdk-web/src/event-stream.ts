/**
 * One OFREP event stream read over `fetch` (not EventSource, so that it can resume with a
 * Last-Event-ID header after we closed it ourselves, and tell "blocked" from "dropped").
 * It reports `refetchEvaluation` notices; reconnecting is the caller's decision.
 */
import type { FetchLike } from './ofrep.js';

/** The metadata of a `refetchEvaluation` notice, sent back with the refetch (ADR 0008). */
export interface Notice {
  etag?: string;
  lastModified?: string | number;
}

export interface StreamHandlers {
  /** The server accepted the stream (status 200, an event stream). */
  open(): void;
  notice(notice: Notice): void;
  /** The stream ended; `error` says why when it was not asked to stop. */
  closed(error: Error | undefined): void;
}

/**
 * Reads the stream at `url` until it ends or `signal` aborts. `lastEventId` is sent to resume;
 * the id of every event received is kept in `state.lastEventId`. A stream silent for
 * `readTimeoutMs` (the server pings every 15 s) counts as dropped.
 */
export async function readStream(
  fetch: FetchLike,
  url: string,
  state: { lastEventId: string | undefined },
  signal: AbortSignal,
  readTimeoutMs: number,
  on: StreamHandlers,
): Promise<void> {
  let error: Error | undefined;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  const local = new AbortController();
  const stop = () => local.abort();
  signal.addEventListener('abort', stop);
  const arm = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      error = new Error(`no data for ${readTimeoutMs} ms`);
      local.abort();
    }, readTimeoutMs);
  };
  try {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (state.lastEventId !== undefined) headers['last-event-id'] = state.lastEventId;
    arm();
    const init: Record<string, unknown> = { headers, signal: local.signal, cache: 'no-store' };
    const res = await fetch(url, init as RequestInit);
    if (res.status !== 200 || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream') || res.body === null) {
      throw new Error(`the event stream answered ${res.status}`);
    }
    on.open();
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let data: string[] = [];
    let id: string | undefined;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the event stream ended');
      arm();
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer[nl] === '\r' && buffer[nl + 1] === '\n' ? 2 : 1));
        if (line === '') {
          if (id !== undefined) state.lastEventId = id;
          if (data.length > 0) dispatch(data.join('\n'), on);
          data = [];
          id = undefined;
          continue;
        }
        const colon = line.indexOf(':');
        if (colon === 0) continue; // a comment (ping)
        const field = colon < 0 ? line : line.slice(0, colon);
        const v = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
        if (field === 'data') data.push(v);
        else if (field === 'id' && !v.includes('\0')) id = v;
      }
    }
  } catch (e) {
    if (!signal.aborted) error ??= e instanceof Error ? e : new Error(String(e));
  } finally {
    clearTimeout(watchdog);
    signal.removeEventListener('abort', stop);
    on.closed(signal.aborted ? undefined : error);
  }
}

function dispatch(data: string, on: StreamHandlers): void {
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    return;
  }
  if (typeof message !== 'object' || message === null) return;
  const m = message as Record<string, unknown>;
  // Unknown types are ignored, as the protocol asks (forward compatibility).
  if (m.type !== 'refetchEvaluation') return;
  const notice: Notice = {};
  if (typeof m.etag === 'string') notice.etag = m.etag;
  if (typeof m.lastModified === 'string' || typeof m.lastModified === 'number') notice.lastModified = m.lastModified;
  on.notice(notice);
}
