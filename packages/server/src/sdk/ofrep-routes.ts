import { createHash } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { SecretBox } from '../shared/secret-box.js';
import { sdkKeyFromHeaders } from './sdk-auth.js';
import type { FlagDelivery } from './flag-delivery.js';
import type { EnvironmentState } from './environment-state.js';
import { ofrepStreamRoute, streamEndpoint } from './ofrep-stream.js';
import type { SdkKeyIdentity, SdkKeyService } from './sdk-key-service.js';
import { etagMatches } from './sdk-routes.js';
import { errorFields } from './log-fields.js';
import { CORS_HEADERS, contextOf, failure, INTERNAL_ERROR_PAYLOAD, JSON_TYPE, refusal, singleAnswer, success, unreadableAnswer, WWW_AUTHENTICATE, type EvaluationCounter, type OfrepAnswer } from './ofrep-answers.js';

// The OpenFeature Remote Evaluation Protocol (github.com/open-feature/protocol, service/openapi.yaml,
// and ADR 0008 for event streams). This is the hot path: no user-token hook, no body schema, the
// key checked before the body is read (401 even for a malformed body), key lookups served from
// memory, the rule set compiled once per version, and the answer serialised by hand. 401/403
// carry no body (401 with WWW-Authenticate), as the spec says.

declare module 'fastify' {
  interface FastifyRequest {
    /** The SDK key of an OFREP request, set by its onRequest hook. */
    sdkIdentity: SdkKeyIdentity | null;
  }
}

export interface OfrepOptions {
  /** Signs the event-stream URLs the bulk answer advertises. */
  secrets: SecretBox;
  /** How often an idle event stream gets a `: ping` comment. */
  pingIntervalMs: number;
  /** Advertised to browsers: close the event stream after this long hidden (ADR 0008 default: 120). */
  inactivityDelaySec?: number;
  /** Counts evaluations for the flags list's stale marks. */
  evaluations?: EvaluationCounter;
}

type Body = Record<string, unknown>;

function isObject(v: unknown): v is Body {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The rule-set version an event stream announced (`flagConfigEtag="12"`), or undefined. */
function announcedVersion(query: unknown): number | undefined {
  const raw = isObject(query) ? query.flagConfigEtag : undefined;
  if (typeof raw !== 'string') return undefined;
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(raw.trim());
  return match ? Number(match[1]) : undefined;
}

function send(reply: FastifyReply, answer: OfrepAnswer): FastifyReply {
  return reply.status(answer.status).header('content-type', JSON_TYPE).send(answer.payload);
}

export function ofrepRoutes(delivery: FlagDelivery, keys: SdkKeyService, options: OfrepOptions): FastifyPluginAsync {
  const inactivityDelaySec = options.inactivityDelaySec ?? 120;
  const evaluations = options.evaluations;
  return async (app) => {
    app.decorateRequest('sdkIdentity', null);

    // Every framework error (bad JSON, wrong content type, too large) is a bad request in OFREP terms.
    app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
      const status = error.statusCode;
      if (status === undefined || status >= 500) {
        request.log.error(errorFields(request, error), 'OFREP request failed');
        return reply.status(500).header('content-type', JSON_TYPE).send(INTERNAL_ERROR_PAYLOAD);
      }
      return send(reply, unreadableAnswer((request.params as { key?: string } | undefined)?.key, error.message));
    });

    // Browsers call OFREP from other origins with client keys (public; no cookies): allow any origin.
    app.options('/ofrep/v1/*', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .status(204)
        .header('access-control-allow-origin', '*')
        .header('access-control-allow-methods', 'GET, POST, OPTIONS')
        .header('access-control-allow-headers', CORS_HEADERS)
        .header('access-control-max-age', '86400')
        .send(),
    );

    function admit(request: FastifyRequest, reply: FastifyReply, identity: SdkKeyIdentity | null, done: () => void): void {
      const refused = refusal(identity, request.headers.origin);
      if (refused === null) {
        request.sdkIdentity = identity;
        done();
      } else if (refused.status === 401) reply.status(401).header('www-authenticate', WWW_AUTHENTICATE).send();
      else send(reply, refused);
    }

    /** The key is checked before the body is read: an unauthenticated request is 401 whatever its body. */
    const authenticate: onRequestHookHandler = (request, reply, done) => {
      if (request.headers.origin !== undefined) reply.header('access-control-allow-origin', '*').header('access-control-expose-headers', 'ETag');
      const raw = sdkKeyFromHeaders(request.headers);
      if (raw === null) return admit(request, reply, null, done);
      const cached = keys.lookupCached(raw);
      if (cached !== undefined) return admit(request, reply, cached, done);
      keys.authenticateSdkKey(raw).then((identity) => admit(request, reply, identity, done), done);
    };

    function stateOf(identity: SdkKeyIdentity): EnvironmentState | Promise<EnvironmentState> {
      return delivery.peek(identity.projectKey, identity.environmentKey) ?? delivery.state(identity.projectKey, identity.environmentKey);
    }

    function single(state: EnvironmentState, request: FastifyRequest<{ Params: { key: string } }>, reply: FastifyReply): FastifyReply {
      return send(reply, singleAnswer(state, request.params.key, request.body, evaluations));
    }

    // Not an async handler: with the rule set in memory (always, after the first request) the
    // answer is sent in the same tick, without a promise for Fastify to wait on.
    app.post<{ Params: { key: string } }>('/ofrep/v1/evaluate/flags/:key', { schema: { hide: true }, onRequest: authenticate }, (request, reply) => {
      const identity = request.sdkIdentity as SdkKeyIdentity;
      const state = delivery.peek(identity.projectKey, identity.environmentKey);
      if (state !== undefined) return single(state, request, reply);
      return delivery.state(identity.projectKey, identity.environmentKey).then((loaded) => single(loaded, request, reply));
    });

    app.post('/ofrep/v1/evaluate/flags', { schema: { hide: true }, onRequest: authenticate }, async (request, reply) => {
      const identity = request.sdkIdentity as SdkKeyIdentity;
      const announced = announcedVersion(request.query);
      const state =
        announced === undefined ? await stateOf(identity) : await delivery.stateAtLeast(identity.projectKey, identity.environmentKey, announced);
      const parsed = contextOf(request.body);
      reply.header('content-type', JSON_TYPE);
      if (!('context' in parsed)) return reply.status(400).send(JSON.stringify(parsed));
      const flags: Body[] = [];
      evaluations?.seenAll(state);
      for (const [key, r] of state.evaluator().evaluateAll(parsed.context)) flags.push(r.errorCode === undefined ? success(key, r) : failure(key, r));
      const eventStreams = [{ type: 'sse', endpoint: { requestUri: streamEndpoint(options.secrets, identity) }, inactivityDelaySec }];
      const body = JSON.stringify({ flags, eventStreams });
      // The tag covers the answer itself: the same rule set and context give the same tag.
      const etag = `"${state.versionString}-${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`;
      reply.header('etag', etag);
      if (etagMatches(request.headers['if-none-match'], etag)) {
        reply.removeHeader('content-type');
        return reply.status(304).send();
      }
      return reply.send(body);
    });

    await app.register(ofrepStreamRoute(delivery, keys, options));

    // Deprecated: OFREP dropped the configuration endpoint; kept for providers that still ask.
    app.get('/ofrep/v1/configuration', { schema: { hide: true }, onRequest: authenticate }, async (_request, reply) => {
      return reply
        .header('content-type', JSON_TYPE)
        .header('deprecation', 'true')
        .send(
          JSON.stringify({
            name: 'Slipway',
            capabilities: {
              cacheInvalidation: { polling: { enabled: true, minPollingIntervalMs: 1000 } },
              flagEvaluation: { supportedTypes: ['int', 'float', 'string', 'boolean', 'object'] },
            },
          }),
        );
    });
  };
}
