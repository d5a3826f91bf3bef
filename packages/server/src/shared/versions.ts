import { DomainError } from './errors.js';

/** A PATCH carried `If-Match` with a tag that is no longer the row's: someone saved in between. */
export class PreconditionFailedError extends DomainError {
  readonly code = 'precondition_failed';
}

/** What a client sends back to say "only if it is still what I saw": the `If-Match` header's text. */
export interface Precondition {
  ifMatch?: string | undefined;
}

/**
 * The entity tag of a stored row: its id (a deleted and re-created row does not match) and its
 * version, which every write counts up (docs/decisions/0026-row-locks-and-versions.md).
 */
export function entityTag(row: { id: string; version: number }): string {
  return `"${row.version}-${row.id}"`;
}

/**
 * Whether `If-Match` allows the write (RFC 9110 §13.1.1): absent or `*` always does, otherwise
 * one of its strong tags must equal the row's (a weak tag `W/"…"` never does).
 */
export function ifMatchAllows(header: string | undefined, tag: string): boolean {
  if (header === undefined) return true;
  const text = header.trim();
  if (text === '*') return true;
  return text.split(',').some((candidate) => candidate.trim() === tag);
}

/** Refuses the write (412) unless `If-Match` names the row's current tag; called under the row's lock. */
export function checkPrecondition(precondition: Precondition | undefined, row: { id: string; version: number }, what: string): void {
  const tag = entityTag(row);
  if (ifMatchAllows(precondition?.ifMatch, tag)) return;
  throw new PreconditionFailedError(`${what} changed since you read it (If-Match ${precondition!.ifMatch!.slice(0, 200)}, now ${tag}): read it again, reapply your change and send the new ETag.`, {
    ifMatch: precondition!.ifMatch!.slice(0, 200),
    etag: tag,
  });
}
