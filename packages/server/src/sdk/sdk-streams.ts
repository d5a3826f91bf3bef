import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorFields } from './log-fields.js';
import type { SdkKeyService } from './sdk-key-service.js';

/** Writes one frame to a stream, or nothing once it has closed. */
export type WriteFrame = (frame: string | Buffer) => void;

export interface StreamOptions {
  /** Whether the stream's credential is still valid; asked whenever SDK keys change (a revoked key ends its streams). */
  valid(): Promise<boolean>;
  /** Headers besides the SSE ones. */
  headers?: Record<string, string>;
  /** Written with the headers; without it the headers are flushed alone, so a client knows it is connected. */
  opening?: string;
  /** Starts the deliveries of the stream; resolves to what stops them. */
  subscribe(write: WriteFrame): Promise<() => void>;
  /** The error log line when subscribing failed. */
  failure: string;
}

/**
 * The server-sent event streams SDKs hold open (the server-SDK stream and OFREP's event stream):
 * the SSE headers, a `: ping` comment while idle (proxies close silent connections), deliveries
 * that end with the response, streams ended when their key is revoked, and all of them at shutdown.
 */
export class SdkStreams {
  private readonly open = new Map<ServerResponse, () => Promise<boolean>>();

  constructor(
    app: FastifyInstance,
    keys: SdkKeyService,
    /** Read for each new stream (tests shorten it on a running app). */
    private readonly settings: { readonly pingIntervalMs: number },
  ) {
    const stopWatching = keys.onKeysChanged(() => {
      for (const [res, valid] of this.open) {
        void valid().then(
          (ok) => ok || res.end(),
          () => {},
        );
      }
    });
    app.addHook('preClose', async () => {
      stopWatching();
      for (const res of this.open.keys()) res.end();
      this.open.clear();
    });
  }

  /** Answers the request with a stream; call it once the request is authenticated and can be served. */
  async serve(request: FastifyRequest, reply: FastifyReply, options: StreamOptions): Promise<void> {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(request.id),
      ...options.headers,
    });
    if (options.opening !== undefined) res.write(options.opening);
    else res.flushHeaders();
    res.socket?.setNoDelay(true);
    this.open.set(res, options.valid);
    let closed = false;
    const write: WriteFrame = (frame) => {
      if (!closed) res.write(frame);
    };
    const ping = setInterval(() => write(': ping\n\n'), this.settings.pingIntervalMs);
    let unsubscribe: (() => void) | undefined;
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(ping);
      unsubscribe?.();
      this.open.delete(res);
    };
    // The response's close, not the request's: a GET request "closes" as soon as it is read.
    res.on('close', close);
    res.on('error', close);
    try {
      unsubscribe = await options.subscribe(write);
      if (closed) unsubscribe();
    } catch (error) {
      request.log.error(errorFields(request, error), options.failure);
      close();
      res.end();
    }
  }
}

/** A Last-Event-ID header as a rule-set version, or null when absent or not one. */
export function parseLastEventId(header: string | string[] | undefined): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : null;
}
