import { createHash } from 'node:crypto';
import type { EvaluationResult } from '@slipway/flag-engine';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { sdkKeyFromHeaders } from './sdk-auth.js';
import type { FlagDelivery } from './flag-delivery.js';
import type { EnvironmentState } from './environment-state.js';
import type { SdkKeyIdentity, SdkKeyService } from './sdk-key-service.js';
import { etagMatches } from './sdk-routes.js';

// The OpenFeature Remote Evaluation Protocol (github.com/open-feature/protocol, service/openapi.yaml).
// This is the hot path (≥ 15,000 evaluations/s in one process): no user-token hook, no body
// schema, key lookups served from memory, the rule set compiled once per version, and the
// answer serialised by hand. 401/403 carry no body, as the spec says.

const JSON_TYPE = 'application/json; charset=utf-8';

type Body = Record<string, unknown>;

function isObject(v: unknown): v is Body {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The evaluation context of a request body, or an OFREP error code and details. */
function contextOf(body: unknown): { context: Body } | { errorCode: 'PARSE_ERROR' | 'INVALID_CONTEXT'; errorDetails: string } {
  if (body === undefined || body === null || body === '') return { context: {} };
  if (!isObject(body)) return { errorCode: 'PARSE_ERROR', errorDetails: 'The request body must be a JSON object: { "context": { "targetingKey": … } }.' };
  const context = body.context;
  if (context === undefined || context === null) return { context: {} };
  if (!isObject(context)) return { errorCode: 'INVALID_CONTEXT', errorDetails: '"context" must be an object of attributes.' };
  const key = context.targetingKey;
  if (key !== undefined && typeof key !== 'string') return { errorCode: 'INVALID_CONTEXT', errorDetails: '"context.targetingKey" must be a string.' };
  return { context };
}

function success(key: string, r: EvaluationResult): Body {
  const out: Body = { key };
  // A disabled flag without an off variant serves the caller's default: the value is left out.
  if (r.value !== undefined) out.value = r.value;
  out.reason = r.reason;
  if (r.variant !== undefined) out.variant = r.variant;
  if (r.flagMetadata !== undefined) out.metadata = r.flagMetadata;
  return out;
}

function failure(key: string, r: EvaluationResult): Body {
  return { key, errorCode: r.errorCode, errorDetails: r.errorMessage ?? r.errorCode };
}

/** Where OFREP reports what it evaluated (flags/evaluation-tracker.ts: a counter bump, no I/O). */
export interface EvaluationCounter {
  seen(state: EnvironmentState, flagKey: string): void;
  seenAll(state: EnvironmentState): void;
}

export function ofrepRoutes(delivery: FlagDelivery, keys: SdkKeyService, evaluations?: EvaluationCounter): FastifyPluginAsync {
  return async (app) => {
    // Every framework error (bad JSON, wrong content type, too large) is a bad request in OFREP terms.
    app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
      const status = error.statusCode;
      if (status === undefined || status >= 500) {
        request.log.error({ err: error }, 'OFREP request failed');
        return reply.status(500).header('content-type', JSON_TYPE).send(JSON.stringify({ errorDetails: 'internal error; the request id is in the x-request-id header' }));
      }
      const errorDetails = `The request could not be read: ${error.message}`;
      const params = request.params as { key?: string } | undefined;
      const body = params?.key !== undefined ? { key: params.key, errorCode: 'PARSE_ERROR', errorDetails } : { errorCode: 'PARSE_ERROR', errorDetails };
      return reply.status(400).header('content-type', JSON_TYPE).send(JSON.stringify(body));
    });

    /** The caller's identity and environment, or undefined after answering 401 (no body). */
    async function environmentOf(request: FastifyRequest, reply: FastifyReply): Promise<EnvironmentState | undefined> {
      const raw = sdkKeyFromHeaders(request.headers);
      let identity: SdkKeyIdentity | null | undefined = null;
      if (raw !== null) {
        identity = keys.lookupCached(raw);
        if (identity === undefined) identity = await keys.authenticateSdkKey(raw);
      }
      if (identity === null) {
        reply.status(401).send();
        return undefined;
      }
      return delivery.peek(identity.projectKey, identity.environmentKey) ?? (await delivery.state(identity.projectKey, identity.environmentKey));
    }

    app.post<{ Params: { key: string } }>('/ofrep/v1/evaluate/flags/:key', { schema: { hide: true } }, async (request, reply) => {
      const state = await environmentOf(request, reply);
      if (state === undefined) return reply;
      const key = request.params.key;
      const parsed = contextOf(request.body);
      reply.header('content-type', JSON_TYPE);
      if (!('context' in parsed)) return reply.status(400).send(JSON.stringify({ key, ...parsed }));
      const r = state.evaluator().evaluate(key, parsed.context);
      if (r.errorCode !== 'FLAG_NOT_FOUND') evaluations?.seen(state, key);
      if (r.errorCode === undefined) return reply.send(JSON.stringify(success(key, r)));
      return reply.status(r.errorCode === 'FLAG_NOT_FOUND' ? 404 : 400).send(JSON.stringify(failure(key, r)));
    });

    app.post('/ofrep/v1/evaluate/flags', { schema: { hide: true } }, async (request, reply) => {
      const state = await environmentOf(request, reply);
      if (state === undefined) return reply;
      const parsed = contextOf(request.body);
      reply.header('content-type', JSON_TYPE);
      if (!('context' in parsed)) return reply.status(400).send(JSON.stringify(parsed));
      const flags: Body[] = [];
      evaluations?.seenAll(state);
      for (const [key, r] of state.evaluator().evaluateAll(parsed.context)) flags.push(r.errorCode === undefined ? success(key, r) : failure(key, r));
      const body = JSON.stringify({ flags });
      // The tag covers the answer itself: the same rule set and context give the same tag.
      const etag = `"${state.versionString}-${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`;
      reply.header('etag', etag);
      if (etagMatches(request.headers['if-none-match'], etag)) {
        reply.removeHeader('content-type');
        return reply.status(304).send();
      }
      return reply.send(body);
    });

    app.get('/ofrep/v1/configuration', { schema: { hide: true } }, async (request, reply) => {
      const state = await environmentOf(request, reply);
      if (state === undefined) return reply;
      return reply.header('content-type', JSON_TYPE).send(
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
