import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import { errorResponses } from '../http/schemas.js';
import type { RuleSetChange } from '../flags/flag-change-store.js';
import { requireServerKey, sdkKeyFromHeaders } from './sdk-auth.js';
import { patchJson } from './environment-state.js';
import type { DeliveryEvent, FlagDelivery } from './flag-delivery.js';
import type { SdkKeyService } from './sdk-key-service.js';
import { errorFields } from './log-fields.js';

export interface SdkStreamOptions {
  /** How often an idle stream gets a `: ping` comment (proxies close silent connections). */
  pingIntervalMs: number;
}

function sseEvent(event: 'put' | 'patch', id: string, data: string): string {
  return `event: ${event}\nid: ${id}\ndata: ${data}\n\n`;
}

/** True when an If-None-Match header lists this entity tag (or `*`). */
export function etagMatches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  return value.split(',').some((part) => {
    const t = part.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

function parseLastEventId(header: string | string[] | undefined): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : null;
}

/**
 * The server-SDK delivery protocol: the rule set with an ETag, and its SSE stream (a `put`, then
 * a `patch` per committed change, `: ping` heartbeats, resumable with Last-Event-ID).
 * Authenticated with server SDK keys, not user tokens.
 */
export function sdkRoutes(delivery: FlagDelivery, keys: SdkKeyService, options: SdkStreamOptions): FastifyPluginAsync {
  return async (app) => {
    // Open streams and the key each one authenticated with: a revoked key ends its streams.
    const open = new Map<ServerResponse, string>();
    const stopWatching = keys.onKeysChanged(() => {
      for (const [res, raw] of open) {
        void keys.authenticateSdkKey(raw).then(
          (identity) => identity === null && res.end(),
          () => {},
        );
      }
    });
    app.addHook('preClose', async () => {
      stopWatching();
      for (const res of open.keys()) res.end();
      open.clear();
    });

    app.get(
      '/sdk/flags',
      {
        schema: {
          tags: ['sdk'],
          summary: "The environment's rule set, for server SDKs (ETag / If-None-Match → 304)",
          security: [{ bearer: [] }],
          response: { ...errorResponses },
        },
      },
      async (request, reply) => {
        const id = await requireServerKey(request.headers, keys.authenticateSdkKey);
        const state = await delivery.state(id.projectKey, id.environmentKey);
        const etag = `"${state.versionString}"`;
        reply.header('etag', etag).header('cache-control', 'no-cache');
        if (etagMatches(request.headers['if-none-match'], etag)) return reply.status(304).send();
        return reply.header('content-type', 'application/json; charset=utf-8').send(state.toJSON());
      },
    );

    app.get(
      '/sdk/stream',
      { schema: { tags: ['sdk'], summary: 'Server-sent events: put, then a patch per change; resume with Last-Event-ID', response: { ...errorResponses } } },
      async (request, reply) => {
        const id = await requireServerKey(request.headers, keys.authenticateSdkKey);
        const rawKey = sdkKeyFromHeaders(request.headers)!;
        await delivery.state(id.projectKey, id.environmentKey); // a failure here is still a JSON error
        const lastEventId = parseLastEventId(request.headers['last-event-id']);
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
          'x-request-id': String(request.id),
        });
        // Send the headers now: a resumed client with nothing new to receive must not wait for the first ping.
        res.flushHeaders();
        res.socket?.setNoDelay(true);
        open.set(res, rawKey);
        let closed = false;
        const write = (text: string | Buffer) => {
          if (!closed) res.write(text);
        };
        const ping = setInterval(() => write(': ping\n\n'), options.pingIntervalMs);
        let unsubscribe: (() => void) | undefined;
        const close = () => {
          if (closed) return;
          closed = true;
          clearInterval(ping);
          unsubscribe?.();
          open.delete(res);
        };
        // The response's close, not the request's: a GET request "closes" as soon as it is read.
        res.on('close', close);
        res.on('error', close);
        try {
          unsubscribe = await delivery.subscribe(
            id.projectKey,
            id.environmentKey,
            async (state) => {
              let resumed: RuleSetChange[] | null = null;
              if (lastEventId !== null) resumed = await delivery.changesSince(id.projectKey, id.environmentKey, lastEventId, state.version);
              if (resumed === null) write(sseEvent('put', state.versionString, state.toJSON()));
              else for (const c of resumed) write(sseEvent('patch', String(c.version), patchJson(c)));
            },
            // One frame, encoded once, written to every subscriber of the environment.
            (event: DeliveryEvent) => write((event.frame ??= Buffer.from(sseEvent(event.kind, event.version, event.data)))),
          );
          if (closed) unsubscribe();
        } catch (error) {
          request.log.error(errorFields(request, error), 'flag stream failed');
          close();
          res.end();
        }
      },
    );
  };
}
