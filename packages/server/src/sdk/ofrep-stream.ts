import { timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { SecretBox } from '../shared/secret-box.js';
import type { DeliveryEvent, FlagDelivery } from './flag-delivery.js';
import type { SdkKeyIdentity, SdkKeyService } from './sdk-key-service.js';
import { errorFields } from './log-fields.js';

// OFREP event streams (open-feature/protocol ADR 0008, service/event-streams.yaml): the bulk
// evaluation advertises this endpoint in `eventStreams`; it sends a `refetchEvaluation` notice,
// with the rule-set version as event id and etag, each time the environment's rule set changes,
// and the client fetches its bulk evaluation again. Browsers' EventSource cannot send headers,
// so the URL carries its own credential: the key's id and an HMAC of it (the raw key never
// appears in a URL, and a revoked key's streams end and cannot reconnect).

const PURPOSE = 'ofrep-event-stream:';

/** The request URI of a key's event stream (relative: providers resolve it against their OFREP base URL). */
export function streamEndpoint(secrets: SecretBox, identity: SdkKeyIdentity): string {
  return `/ofrep/v1/event-stream?key=${encodeURIComponent(identity.id)}&sig=${secrets.derive('ofs', PURPOSE + identity.id)}`;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function refetchFrame(version: string): string {
  return `id: ${version}\nevent: message\ndata: {"type":"refetchEvaluation","etag":"\\"${version}\\""}\n\n`;
}

function parseLastEventId(header: string | string[] | undefined): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : null;
}

export function ofrepStreamRoute(delivery: FlagDelivery, keys: SdkKeyService, options: { secrets: SecretBox; pingIntervalMs: number }): FastifyPluginAsync {
  return async (app) => {
    // Open streams and the key each one belongs to: a revoked key ends its streams.
    const open = new Map<ServerResponse, string>();
    const stopWatching = keys.onKeysChanged(() => {
      for (const [res, id] of open) {
        void keys.identityById(id).then(
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

    app.get<{ Querystring: { key?: string; sig?: string } }>('/ofrep/v1/event-stream', { schema: { hide: true } }, async (request, reply) => {
      const { key, sig } = request.query;
      const cors = request.headers.origin !== undefined;
      if (cors) reply.header('access-control-allow-origin', '*');
      const valid = typeof key === 'string' && typeof sig === 'string' && sameText(sig, options.secrets.derive('ofs', PURPOSE + key));
      const identity = valid ? await keys.identityById(key) : null;
      if (identity === null) return reply.status(401).header('www-authenticate', 'Bearer realm="slipway"').send();
      await delivery.state(identity.projectKey, identity.environmentKey); // a failure here is still an error answer
      const lastEventId = parseLastEventId(request.headers['last-event-id']);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': String(request.id),
        ...(cors && { 'access-control-allow-origin': '*' }),
      });
      res.socket?.setNoDelay(true);
      // A reconnecting EventSource waits this long; the headers go now, so a client knows it is connected.
      res.write('retry: 1000\n\n');
      open.set(res, identity.id);
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
      res.on('close', close);
      res.on('error', close);
      try {
        unsubscribe = await delivery.subscribe(
          identity.projectKey,
          identity.environmentKey,
          async (state) => {
            // Resumed after missing changes: one notice stands for all of them (each only says "fetch again").
            if (lastEventId !== null && lastEventId < state.version) write(refetchFrame(state.versionString));
          },
          (event: DeliveryEvent) => write((event.refetchFrame ??= Buffer.from(refetchFrame(event.version)))),
        );
        if (closed) unsubscribe();
      } catch (error) {
        request.log.error(errorFields(request, error), 'OFREP event stream failed');
        close();
        res.end();
      }
    });
  };
}
