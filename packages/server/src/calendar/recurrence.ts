import type ICALModule from 'ical.js';
import { zonedInstant } from '../deployments/deploy-windows.js';
import { isKnownTimeZone } from '../environments/deployment-settings.js';
import { ValidationError } from '../shared/errors.js';

/** A recurring slot: an RFC 5545 RRULE from a local start time in a time zone, lasting `durationMinutes`. */
export interface Recurrence {
  rrule: string;
  /** Local wall-clock start of the first occurrence, `YYYY-MM-DDTHH:MM`. */
  startsAt: string;
  timezone: string;
  durationMinutes: number;
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;
const FREQS = new Set(['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY']);
/** Expansion stops after this many occurrences: a rule that never reaches the range costs bounded time. */
const MAX_STEPS = 20_000;

type Ical = typeof ICALModule;
let ical: Promise<Ical> | null = null;

/** ical.js, loaded on first use: servers that never touch the calendar do not pay for it at start. */
export function loadIcal(): Promise<Ical> {
  ical ??= import('ical.js').then((m) => m.default);
  return ical;
}

/** "every 2 weeks on Tuesday" is `FREQ=WEEKLY;INTERVAL=2;BYDAY=TU`; a leading `RRULE:` is accepted. */
export function normaliseRrule(rrule: string): string {
  return rrule.trim().replace(/^RRULE:/i, '').toUpperCase();
}

function parseLocal(startsAt: string): { y: number; m: number; d: number; minutes: number } {
  const m = LOCAL.exec(startsAt);
  if (!m) throw new ValidationError('startsAt must be a local date and time, YYYY-MM-DDTHH:MM (in the schedule\'s time zone).', { field: 'startsAt' });
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59) throw new ValidationError('startsAt is not a valid date and time.', { field: 'startsAt' });
  return { y, m: mo, d, minutes: h * 60 + mi };
}

/** Checks a recurrence; throws a ValidationError naming the field. */
export async function validateRecurrence(r: Recurrence): Promise<void> {
  const ICAL = await loadIcal();
  if (!isKnownTimeZone(r.timezone)) throw new ValidationError(`Unknown time zone ${JSON.stringify(r.timezone)}: use an IANA name such as Europe/Paris.`, { field: 'timezone' });
  parseLocal(r.startsAt);
  let recur: InstanceType<Ical['Recur']>;
  try {
    recur = ICAL.Recur.fromString(normaliseRrule(r.rrule));
  } catch (error) {
    throw new ValidationError(`rrule is not an RFC 5545 recurrence rule: ${(error as Error).message}. Example: FREQ=WEEKLY;INTERVAL=2;BYDAY=TU.`, { field: 'rrule' });
  }
  if (!recur.freq || !FREQS.has(recur.freq)) throw new ValidationError('rrule needs FREQ=DAILY, WEEKLY, MONTHLY or YEARLY.', { field: 'rrule' });
  if (!(r.durationMinutes >= 0 && r.durationMinutes <= 7 * 24 * 60)) throw new ValidationError('durationMinutes must be between 0 and 10080 (a week).', { field: 'durationMinutes' });
  if ((await occurrences(r, new Date(Date.parse('1970-01-01T00:00:00Z')), new Date(8.64e15), 1)).length === 0) throw new ValidationError('rrule never produces an occurrence from startsAt.', { field: 'rrule' });
}

/**
 * The occurrences overlapping [from, to): the rule is expanded in local wall-clock time (ical.js's
 * iterator) and each local start is placed in the time zone — "Tuesday 10:00 Europe/Paris" stays 10:00
 * across daylight-saving changes.
 */
export async function occurrences(r: Recurrence, from: Date, to: Date, limit = 5000): Promise<Array<{ start: Date; end: Date; local: string }>> {
  const ICAL = await loadIcal();
  const s = parseLocal(r.startsAt);
  const recur = ICAL.Recur.fromString(normaliseRrule(r.rrule));
  const dtstart = ICAL.Time.fromData({ year: s.y, month: s.m, day: s.d, hour: Math.floor(s.minutes / 60), minute: s.minutes % 60, second: 0, isDate: false });
  const it = recur.iterator(dtstart);
  const out: Array<{ start: Date; end: Date; local: string }> = [];
  const durationMs = r.durationMinutes * 60_000;
  for (let step = 0; step < MAX_STEPS; step++) {
    const t = it.next();
    if (!t) break;
    const start = zonedInstant(t.year, t.month, t.day, t.hour * 60 + t.minute, r.timezone);
    if (start >= to) break;
    const end = new Date(start.getTime() + durationMs);
    if (end > from || (durationMs === 0 && start >= from)) {
      out.push({ start, end, local: `${String(t.year).padStart(4, '0')}-${String(t.month).padStart(2, '0')}-${String(t.day).padStart(2, '0')}T${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}` });
      if (out.length >= limit) break;
    }
  }
  return out;
}
