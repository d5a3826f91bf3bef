import { isKnownTimeZone } from '../environments/deployment-settings.js';
import { ValidationError } from '../shared/errors.js';

const DAY_MS = 86_400_000;
const MAX_RANGE_MS = 5 * 366 * DAY_MS;

/** Reads an instant given as an ISO date-time or a date (`2026-03-02` is midnight UTC). */
export function parseInstant(value: string, field: string): Date {
  const at = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Date.parse(value);
  if (!Number.isFinite(at) || !/^\d{4}-\d{2}-\d{2}/.test(value)) throw new ValidationError(`${field} must be an ISO-8601 date or date-time, e.g. 2026-03-02 or 2026-03-02T09:00:00Z.`, { field });
  return new Date(at);
}

/** `from`/`to` of a query: `to` defaults to now, `from` to `defaultDays` before `to`; at most five years. */
export function parseRange(query: { from?: string; to?: string }, now: Date, defaultDays = 90): { from: Date; to: Date } {
  const to = query.to !== undefined ? parseInstant(query.to, 'to') : now;
  const from = query.from !== undefined ? parseInstant(query.from, 'from') : new Date(to.getTime() - defaultDays * DAY_MS);
  if (!(from < to)) throw new ValidationError('from must be before to.', { field: 'from', from: from.toISOString(), to: to.toISOString() });
  if (to.getTime() - from.getTime() > MAX_RANGE_MS) throw new ValidationError('The range may span at most five years: narrow from/to.', { field: 'from' });
  return { from, to };
}

export function parseTimeZone(value: string | undefined, fallback = 'UTC'): string {
  const zone = value ?? fallback;
  if (!isKnownTimeZone(zone)) throw new ValidationError(`Unknown time zone ${JSON.stringify(zone)}: use an IANA name such as Europe/Paris.`, { field: 'timezone' });
  return zone;
}
