import { ValidationError } from './errors.js';

/** One page of a list, and the cursor of the next one (null on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  cursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** Cursors are opaque to clients: base64url JSON of the last item's sort key. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T>(cursor: string | null, check: (value: unknown) => value is T): T | null {
  if (cursor === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!check(value)) throw new ValidationError('The cursor is not valid: pass back the nextCursor of a previous page.', { field: 'cursor' });
  return value;
}

export const isString = (value: unknown): value is string => typeof value === 'string' && value.length <= 200;

/**
 * Builds a page from `limit + 1` fetched rows: the extra row only tells that there is a next page.
 */
export function toPage<T>(rows: T[], limit: number, keyOf: (item: T) => unknown): Page<T> {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(keyOf(items[items.length - 1]!)) };
}
