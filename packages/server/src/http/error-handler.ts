import type { FastifyError, FastifyInstance } from 'fastify';
import { DomainError } from '../shared/errors.js';

/** The one table from domain error codes to HTTP statuses. Unlisted domain codes are refusals (422). */
const STATUS_BY_CODE: Record<string, number> = {
  validation_failed: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  forbidden: 403,
  csrf_failed: 403,
  too_many_attempts: 429,
  not_found: 404,
  conflict: 409,
  tag_exists: 409,
  cherry_pick_conflict: 409,
  push_rejected: 409,
  deployment_in_progress: 409,
  approval_not_needed: 409,
  rollback_version_needed: 409,
  not_latest_deployment: 409,
  environment_busy: 409,
  release_in_progress: 409,
  branch_moved: 409,
  hotfix_line_conflict: 409,
  hotfix_not_merged: 409,
  rollout_in_progress: 409,
  rollout_not_running: 409,
  rollout_not_paused: 409,
  rollout_finished: 409,
  rollout_not_finished: 409,
  rollout_busy: 409,
  rollout_changed: 409,
  precondition_failed: 412,
};

const FASTIFY_CODES: Record<string, { status: number; code: string; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'The request body is larger than 1 MiB.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'Send the body as application/json.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The body is empty but the content type is application/json.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_request' },
};

export function statusForCode(code: string): number {
  return STATUS_BY_CODE[code] ?? 422;
}

interface AjvIssue {
  keyword?: string;
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

export function describeValidation(context: string | undefined, all: AjvIssue[]): { message: string; problems: Array<{ path: string; message: string }> } {
  // `if` issues only say "must match then schema": the branch's own issues (reported too) say what is wrong.
  const issues = all.filter((issue) => issue.keyword !== 'if');
  const problems = (issues.length > 0 ? issues : all).slice(0, 20).map((issue) => {
    const allowed = Array.isArray(issue.params?.allowedValues) ? `: ${(issue.params.allowedValues as unknown[]).map(String).join(', ')}` : '';
    const extra = (issue.params?.additionalProperty ? ` (${String(issue.params.additionalProperty)})` : '') + allowed;
    const path = `${context ?? 'body'}${issue.instancePath ?? ''}`;
    return { path, message: `${issue.message ?? 'is invalid'}${extra}` };
  });
  const first = problems[0];
  return { message: first ? `${first.path} ${first.message}` : 'The request is not valid.', problems };
}

/** Every error leaves as `{"error": {...}}`; 5xx details stay in the log, never in the response. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError & { validationContext?: string }, request, reply) => {
    if (error instanceof DomainError) {
      if (typeof error.details.retryAfterSeconds === 'number') reply.header('retry-after', String(error.details.retryAfterSeconds));
      if (error.code === 'unauthorized') reply.header('www-authenticate', 'Bearer realm="slipway", charset="UTF-8"');
      return reply.status(statusForCode(error.code)).send({ error: { code: error.code, message: error.message, details: error.details } });
    }
    if (error.validation) {
      const { message, problems } = describeValidation(error.validationContext, error.validation as AjvIssue[]);
      return reply.status(400).send({ error: { code: 'validation_failed', message, details: { problems } } });
    }
    const known = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (known) {
      return reply.status(known.status).send({ error: { code: known.code, message: known.message ?? error.message, details: {} } });
    }
    if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message))) {
      return reply.status(400).send({ error: { code: 'invalid_json', message: `The body is not valid JSON: ${error.message}`, details: {} } });
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.status(error.statusCode).send({ error: { code: 'bad_request', message: error.message, details: {} } });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ error: { code: 'internal_error', message: 'Something went wrong on the server; the request id is in the x-request-id header.', details: {} } });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: { code: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}.`, details: {} } });
  });
}
