import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { SecretBox } from '../shared/secret-box.js';
import type { DeliveryEvent, FlagDelivery } from './flag-delivery.js';
import type { SdkKeyIdentity, SdkKeyService } from './sdk-key-service.js';
import { parseLastEventId, SdkStreams } from './sdk-streams.js';

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

export function ofrepStreamRoute(delivery: FlagDelivery, keys: SdkKeyService, options: { secrets: SecretBox; pingIntervalMs: number }): FastifyPluginAsync {
  return async (app) => {
    const streams = new SdkStreams(app, keys, options);

    app.get<{ Querystring: { key?: string; sig?: string } }>('/ofrep/v1/event-stream', { schema: { hide: true } }, async (request, reply) => {
      const { key, sig } = request.query;
      const cors = request.headers.origin !== undefined;
      if (cors) reply.header('access-control-allow-origin', '*');
      const valid = typeof key === 'string' && typeof sig === 'string' && sameText(sig, options.secrets.derive('ofs', PURPOSE + key));
      const identity = valid ? await keys.identityById(key) : null;
      if (identity === null) return reply.status(401).header('www-authenticate', 'Bearer realm="slipway"').send();
      await delivery.state(identity.projectKey, identity.environmentKey); // a failure here is still an error answer
      const lastEventId = parseLastEventId(request.headers['last-event-id']);
      await streams.serve(request, reply, {
        valid: async () => (await keys.identityById(identity.id)) !== null,
        ...(cors && { headers: { 'access-control-allow-origin': '*' } }),
        // A reconnecting EventSource waits this long.
        opening: 'retry: 1000\n\n',
        subscribe: (write) =>
          delivery.subscribe(
            identity.projectKey,
            identity.environmentKey,
            async (state) => {
              // Resumed after missing changes: one notice stands for all of them (each only says "fetch again").
              if (lastEventId !== null && lastEventId < state.version) write(refetchFrame(state.versionString));
            },
            (event: DeliveryEvent) => write((event.refetchFrame ??= Buffer.from(refetchFrame(event.version)))),
          ),
        failure: 'OFREP event stream failed',
      });
    });
  };
}
