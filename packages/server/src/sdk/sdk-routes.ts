import type { FastifyPluginAsync } from 'fastify';
import { errorResponses } from '../http/schemas.js';
import type { RuleSetChange } from '../flags/flag-change-store.js';
import { requireServerKey, sdkKeyFromHeaders } from './sdk-auth.js';
import { patchJson } from './environment-state.js';
import type { DeliveryEvent, FlagDelivery } from './flag-delivery.js';
import type { SdkKeyService } from './sdk-key-service.js';
import { parseLastEventId, SdkStreams } from './sdk-streams.js';

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

/**
 * The server-SDK delivery protocol: the rule set with an ETag, and its SSE stream (a `put`, then
 * a `patch` per committed change, `: ping` heartbeats, resumable with Last-Event-ID).
 * Authenticated with server SDK keys, not user tokens.
 */
export function sdkRoutes(delivery: FlagDelivery, keys: SdkKeyService, options: SdkStreamOptions): FastifyPluginAsync {
  return async (app) => {
    const streams = new SdkStreams(app, keys, options);

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
        await streams.serve(request, reply, {
          valid: async () => (await keys.authenticateSdkKey(rawKey)) !== null,
          subscribe: (write) =>
            delivery.subscribe(
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
            ),
          failure: 'flag stream failed',
        });
      },
    );
  };
}
