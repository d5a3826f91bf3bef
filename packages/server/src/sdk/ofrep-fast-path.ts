import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import sjson from 'secure-json-parse';
import { nulPath, NUL_MESSAGE } from '../http/nul-guard.js';
import type { EnvironmentState } from './environment-state.js';
import type { FlagDelivery } from './flag-delivery.js';
import {
  INTERNAL_ERROR_PAYLOAD,
  JSON_TYPE,
  nulAnswer,
  refusal,
  singleAnswer,
  unreadableAnswer,
  WWW_AUTHENTICATE,
  type EvaluationCounter,
  type OfrepAnswer,
} from './ofrep-answers.js';
import { sdkKeyFromHeaders } from './sdk-auth.js';
import type { SdkKeyIdentity, SdkKeyService } from './sdk-key-service.js';

const PREFIX = '/ofrep/v1/evaluate/flags/';
/** The route's name in metrics, the same as the Fastify route's. */
export const SINGLE_FLAG_ROUTE = '/ofrep/v1/evaluate/flags/:key';
/** Fastify's message for a body that does not parse, kept so both paths answer alike. */
const INVALID_JSON = "Body is not valid JSON but content-type is set to 'application/json'";
const MAX_KEY_LENGTH = 1000;

export interface OfrepFastPathOptions {
  delivery: FlagDelivery;
  keys: SdkKeyService;
  evaluations?: EvaluationCounter;
  /** The request id of a request: its valid X-Request-Id, else a new one (as Fastify's genReqId). */
  requestId(headers: IncomingHttpHeaders): string;
  /** Records a request's duration in the server's request histogram. */
  observe(method: string, route: string, statusCode: number, seconds: number): void;
  /** Where an unexpected failure is logged (always: errors are never quiet). */
  logError(fields: Record<string, unknown>, message: string): void;
  bodyLimit: number;
}

const JSON_WITH_PARAMETERS = /^application\/json\s*;/;

function isJsonType(type: string): boolean {
  const t = type.toLowerCase();
  return t === 'application/json' || JSON_WITH_PARAMETERS.test(t);
}

/**
 * `POST /ofrep/v1/evaluate/flags/{key}` answered in front of the framework (decision 0029).
 *
 * Single-flag evaluation is the request SDKs make most: through the framework's generic
 * per-request stages (routing among every route, request and reply objects, hooks, the logger
 * controller) it cost about 1.5× the CPU of a bare route, most of it in code shared by every
 * route and therefore megamorphic. Here the request is read and answered with Node's own objects.
 *
 * Only the common, well-formed shape is taken: a POST to this path without a query string, whose
 * body is JSON with a Content-Length within the body limit, or absent. Everything else (chunked or
 * oversized bodies, other content types, odd keys, a server that is closing) is left to the Fastify
 * route, which answers it as before. What this path answers — statuses, bodies, CORS, 401/403, the
 * request id, NUL refusals, metrics — comes from the same functions as the route's answers
 * (ofrep-answers.ts); `ofrep-fast-path.test.ts` sends every case both ways and compares them.
 */
export class OfrepFastPath {
  /** Set when the server starts closing: then Fastify answers (503, connection close). */
  closing = false;
  /** How many requests this path answered (tests check it is really taken). */
  handled = 0;

  constructor(private readonly options: OfrepFastPathOptions) {}

  /** Answers the request and returns true, or returns false (nothing read, nothing written). */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST' || this.closing) return false;
    const url = req.url;
    if (url === undefined || !url.startsWith(PREFIX)) return false;
    let key = url.slice(PREFIX.length);
    if (key.length === 0 || key.length > MAX_KEY_LENGTH || key.includes('/') || key.includes('?') || key.includes(';')) return false;
    if (key.includes('%')) {
      try {
        key = decodeURIComponent(key);
      } catch {
        return false;
      }
    }
    const headers = req.headers;
    if (headers['transfer-encoding'] !== undefined) return false;
    const length = headers['content-length'];
    const type = headers['content-type'];
    let size = 0;
    if (type === undefined) {
      if (length !== undefined && length !== '0') return false;
    } else {
      size = Number(length);
      if (!isJsonType(type) || !(size > 0) || !Number.isInteger(size) || size > this.options.bodyLimit) return false;
    }

    this.handled++;
    const exchange = new Exchange(this.options, req, res, key, size);
    const raw = sdkKeyFromHeaders(headers);
    const cached = raw === null ? null : this.options.keys.lookupCached(raw);
    if (cached !== undefined) exchange.admit(cached);
    else
      this.options.keys.authenticateSdkKey(raw as string).then(
        (identity) => exchange.admit(identity),
        (error: unknown) => exchange.fail(error),
      );
    return true;
  }
}

/** One request on the fast path, from its key check to its answer. */
class Exchange {
  private readonly started = performance.now();
  private readonly id: string;
  private readonly headers: OutgoingHttpHeaders;
  private identity: SdkKeyIdentity | null = null;

  constructor(
    private readonly options: OfrepFastPathOptions,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly key: string,
    private readonly size: number,
  ) {
    this.id = options.requestId(req.headers);
    this.headers = { 'x-request-id': this.id };
    // Browsers call OFREP from other origins with client keys (public; no cookies).
    if (req.headers.origin !== undefined) {
      this.headers['access-control-allow-origin'] = '*';
      this.headers['access-control-expose-headers'] = 'ETag';
    }
  }

  /** The key is checked before the body is read: an unauthenticated request is 401 whatever its body. */
  admit(identity: SdkKeyIdentity | null): void {
    const refused = refusal(identity, this.req.headers.origin);
    if (refused !== null) {
      if (refused.status === 401) this.headers['www-authenticate'] = WWW_AUTHENTICATE;
      this.answer(refused);
      return;
    }
    this.identity = identity;
    if (this.size === 0) {
      this.read(undefined);
      return;
    }
    const req = this.req;
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      let body: unknown;
      try {
        body = sjson.parse(text, { protoAction: 'error', constructorAction: 'error' });
      } catch {
        this.answer(unreadableAnswer(this.key, INVALID_JSON));
        return;
      }
      this.read(body);
    });
    // An aborted upload: nobody is left to answer.
    req.on('error', () => this.res.destroy());
  }

  private read(body: unknown): void {
    try {
      const where = nulPath(this.key, 'params/key') ?? nulPath(body, 'body');
      if (where !== null) {
        this.answer(nulAnswer(this.key, where, NUL_MESSAGE));
        return;
      }
      const { delivery } = this.options;
      const identity = this.identity as SdkKeyIdentity;
      const state = delivery.peek(identity.projectKey, identity.environmentKey);
      if (state !== undefined) this.evaluate(state, body);
      else
        delivery.state(identity.projectKey, identity.environmentKey).then(
          (loaded) => this.evaluate(loaded, body),
          (error: unknown) => this.fail(error),
        );
    } catch (error) {
      this.fail(error);
    }
  }

  private evaluate(state: EnvironmentState, body: unknown): void {
    try {
      this.answer(singleAnswer(state, this.key, body, this.options.evaluations));
    } catch (error) {
      this.fail(error);
    }
  }

  fail(error: unknown): void {
    this.options.logError({ reqId: this.id, err: error }, 'OFREP request failed');
    if (this.res.headersSent) this.res.destroy();
    else this.answer({ status: 500, payload: INTERNAL_ERROR_PAYLOAD });
  }

  private answer(answer: OfrepAnswer): void {
    const headers = this.headers;
    if (answer.payload.length > 0) headers['content-type'] = JSON_TYPE;
    headers['content-length'] = Buffer.byteLength(answer.payload);
    this.res.writeHead(answer.status, headers);
    this.res.end(answer.payload);
    this.options.observe('POST', SINGLE_FLAG_ROUTE, answer.status, (performance.now() - this.started) / 1000);
  }
}
