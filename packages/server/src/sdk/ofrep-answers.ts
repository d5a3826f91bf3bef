import type { EvaluationResult } from '@slipway/flag-engine';
import type { EnvironmentState } from './environment-state.js';
import type { SdkKeyIdentity } from './sdk-key-service.js';

// What OFREP answers, apart from how a request arrives: shared by the Fastify routes
// (ofrep-routes.ts) and the single-flag fast path in front of the framework (ofrep-fast-path.ts),
// so both give the same status and body byte for byte.

export const JSON_TYPE = 'application/json; charset=utf-8';
export const WWW_AUTHENTICATE = 'Bearer realm="slipway", charset="UTF-8"';
export const CORS_HEADERS = 'authorization, x-api-key, content-type, if-none-match, last-event-id';

type Body = Record<string, unknown>;

/** An answer to write: its status and JSON text (empty for 401, which carries no body). */
export interface OfrepAnswer {
  readonly status: number;
  readonly payload: string;
}

function isObject(v: unknown): v is Body {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The evaluation context of a request body, or an OFREP error code and details. */
export function contextOf(body: unknown): { context: Body } | { errorCode: 'PARSE_ERROR' | 'INVALID_CONTEXT'; errorDetails: string } {
  if (body === undefined || body === null || body === '') return { context: {} };
  if (!isObject(body)) return { errorCode: 'PARSE_ERROR', errorDetails: 'The request body must be a JSON object: { "context": { "targetingKey": … } }.' };
  const context = body.context;
  if (context === undefined || context === null) return { context: {} };
  if (!isObject(context)) return { errorCode: 'INVALID_CONTEXT', errorDetails: '"context" must be an object of attributes.' };
  const key = context.targetingKey;
  if (key !== undefined && typeof key !== 'string') return { errorCode: 'INVALID_CONTEXT', errorDetails: '"context.targetingKey" must be a string.' };
  return { context };
}

export function success(key: string, r: EvaluationResult): Body {
  const out: Body = { key };
  // A disabled flag without an off variant serves the caller's default: the value is left out.
  if (r.value !== undefined) out.value = r.value;
  out.reason = r.reason;
  if (r.variant !== undefined) out.variant = r.variant;
  if (r.flagMetadata !== undefined) out.metadata = r.flagMetadata;
  return out;
}

export function failure(key: string, r: EvaluationResult): Body {
  return { key, errorCode: r.errorCode, errorDetails: r.errorMessage ?? r.errorCode };
}

/** Where OFREP reports what it evaluated (flags/evaluation-tracker.ts: a counter bump, no I/O). */
export interface EvaluationCounter {
  seen(state: EnvironmentState, flagKey: string): void;
  seenAll(state: EnvironmentState): void;
}

/** The answer to `POST /ofrep/v1/evaluate/flags/{key}` with this parsed body. */
export function singleAnswer(state: EnvironmentState, key: string, body: unknown, evaluations: EvaluationCounter | undefined): OfrepAnswer {
  const parsed = contextOf(body);
  if (!('context' in parsed)) return { status: 400, payload: JSON.stringify({ key, ...parsed }) };
  const r = state.evaluator().evaluate(key, parsed.context);
  if (r.errorCode !== 'FLAG_NOT_FOUND') evaluations?.seen(state, key);
  if (r.errorCode === undefined) return { status: 200, payload: JSON.stringify(success(key, r)) };
  return { status: r.errorCode === 'FLAG_NOT_FOUND' ? 404 : 400, payload: JSON.stringify(failure(key, r)) };
}

/** A body the framework (or the fast path) could not read: every such problem is PARSE_ERROR. */
export function unreadableAnswer(key: string | undefined, message: string): OfrepAnswer {
  const errorDetails = `The request could not be read: ${message}`;
  return { status: 400, payload: JSON.stringify(key !== undefined ? { key, errorCode: 'PARSE_ERROR', errorDetails } : { errorCode: 'PARSE_ERROR', errorDetails }) };
}

/** A NUL character in the flag key or the body (issue 11 §7), in OFREP's error shape. */
export function nulAnswer(key: unknown, where: string, message: string): OfrepAnswer {
  const errorCode = where.startsWith('body/context') ? 'INVALID_CONTEXT' : 'PARSE_ERROR';
  return { status: 400, payload: JSON.stringify({ ...(typeof key === 'string' && { key }), errorCode, errorDetails: `${where} ${message}.` }) };
}

export const INTERNAL_ERROR_PAYLOAD = JSON.stringify({ errorDetails: 'internal error; the request id is in the x-request-id header' });

/**
 * Whether an SDK key may evaluate here: 401 (no body, with WWW-Authenticate) without a valid key,
 * 403 for a server key sent from a web page; null when it may.
 */
export function refusal(identity: SdkKeyIdentity | null, origin: string | undefined): OfrepAnswer | null {
  if (identity === null) return { status: 401, payload: '' };
  // A server key sees every rule; a request from a web page means it was shipped to browsers.
  if (identity.kind === 'server' && origin !== undefined) {
    return { status: 403, payload: JSON.stringify({ errorDetails: 'This is a server SDK key: it must never reach a browser. Revoke it, and create a client key for the web.' }) };
  }
  return null;
}
