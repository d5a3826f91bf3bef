import type ICALModule from 'ical.js';
import type { CalendarSchedule } from './calendar-store.js';
import type { CalendarEvent } from './calendar-service.js';
import { loadIcal, normaliseRrule } from './recurrence.js';

type Ical = typeof ICALModule;

function vevent(ICAL: Ical, props: { uid: string; summary: string; start: string | Date; end: string | Date; description?: string | null; categories?: string; rrule?: string; stamp: Date }): InstanceType<Ical['Component']> {
  const utc = (iso: string | Date) => ICAL.Time.fromJSDate(typeof iso === 'string' ? new Date(iso) : iso, true);
  const ve = new ICAL.Component('vevent');
  ve.addPropertyWithValue('uid', props.uid);
  ve.addPropertyWithValue('dtstamp', utc(props.stamp));
  ve.addPropertyWithValue('dtstart', utc(props.start));
  const end = utc(props.end);
  // A zero-length entry (a release cut) still needs an end after its start in calendar apps.
  if (end.compare(utc(props.start)) <= 0) end.addDuration(ICAL.Duration.fromSeconds(15 * 60));
  ve.addPropertyWithValue('dtend', end);
  ve.addPropertyWithValue('summary', props.summary);
  if (props.description) ve.addPropertyWithValue('description', props.description);
  if (props.categories) ve.addPropertyWithValue('categories', props.categories);
  if (props.rrule) ve.addPropertyWithValue('rrule', ICAL.Recur.fromString(props.rrule));
  return ve;
}

/**
 * The calendar as iCalendar (RFC 5545), built with ical.js. Schedules in UTC become one recurring
 * event each (RRULE); schedules in other zones are written as their occurrences in UTC, so every
 * calendar app shows them at the right local time without needing VTIMEZONE definitions. Freezes,
 * deploy windows and releases are single events.
 */
export async function buildFeed(input: { schedules: CalendarSchedule[]; events: CalendarEvent[]; now: Date; name: string }): Promise<string> {
  const ICAL = await loadIcal();
  const cal = new ICAL.Component(['vcalendar', [], []]);
  cal.addPropertyWithValue('prodid', '-//Slipway//Release calendar//EN');
  cal.addPropertyWithValue('version', '2.0');
  cal.addPropertyWithValue('calscale', 'GREGORIAN');
  cal.addPropertyWithValue('method', 'PUBLISH');
  cal.addPropertyWithValue('x-wr-calname', input.name);
  cal.addPropertyWithValue('refresh-interval', ICAL.Duration.fromString('PT1H')).setParameter('value', 'DURATION');
  const recurring = new Set<string>();
  for (const s of input.schedules) {
    if (s.timezone !== 'UTC') continue;
    recurring.add(s.id);
    const start = `${s.startsAt}:00Z`;
    const end = new Date(Date.parse(start) + s.durationMinutes * 60_000);
    cal.addSubcomponent(vevent(ICAL, { uid: `schedule-${s.id}@slipway`, summary: s.project ? `${s.project}: ${s.name}` : s.name, start, end, description: s.description || null, categories: s.kind, rrule: normaliseRrule(s.rrule), stamp: new Date(s.updatedAt) }));
  }
  for (const e of input.events) {
    if (e.scheduleId !== null && recurring.has(e.scheduleId)) continue;
    cal.addSubcomponent(vevent(ICAL, { uid: `${e.id.replace(/[^A-Za-z0-9._:-]/g, '-')}@slipway`, summary: e.title, start: e.start, end: e.end, description: e.description, categories: e.kind, stamp: input.now }));
  }
  return cal.toString();
}
