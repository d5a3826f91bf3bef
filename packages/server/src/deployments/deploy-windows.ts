import { DAYS, type Day, type DeployWindow, type Freeze } from '../environments/deployment-settings.js';

const formats = new Map<string, Intl.DateTimeFormat>();

function format(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'short' });
    formats.set(zone, f);
  }
  return f;
}

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  weekday: Day;
  /** Minutes since local midnight. */
  minutes: number;
  /** Local wall-clock time read as if it were UTC, in ms: minus the instant, it is the zone's offset. */
  wallMs: number;
}

/** The wall-clock time in `zone` at `instant`. */
export function localTime(instant: Date, zone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of format(zone).formatToParts(instant)) parts[p.type] = p.value;
  const year = Number(parts.year);
  const month = Number(parts.month);
  const day = Number(parts.day);
  const hour = Number(parts.hour);
  const minute = Number(parts.minute);
  const second = Number(parts.second);
  const weekday = parts.weekday!.slice(0, 3).toLowerCase() as Day;
  return { year, month, day, weekday, minutes: hour * 60 + minute, wallMs: Date.UTC(year, month - 1, day, hour, minute, second) };
}

/**
 * The instant when the wall clock in `zone` shows the given local time. Uses the zone's offset at
 * that moment (found in two steps, since the offset itself depends on the instant), so it is
 * right on both sides of a DST change.
 */
export function zonedInstant(year: number, month: number, day: number, minutes: number, zone: string): Date {
  const wall = Date.UTC(year, month - 1, day, 0, minutes);
  const offsetAt = (t: number) => localTime(new Date(t), zone).wallMs - Math.floor(t / 1000) * 1000;
  let guess = wall - offsetAt(wall);
  const second = offsetAt(guess);
  guess = wall - second;
  return new Date(guess);
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether `now` falls in one of the windows (no windows: always open). */
export function isInWindow(windows: DeployWindow[], now: Date): boolean {
  if (windows.length === 0) return true;
  return windows.some((w) => {
    const local = localTime(now, w.timezone);
    const start = toMinutes(w.start);
    const end = toMinutes(w.end);
    if (start < end) return w.days.includes(local.weekday) && local.minutes >= start && local.minutes < end;
    // Overnight (22:00–02:00): one window that opens on a listed day and closes the next morning.
    const yesterday = DAYS[(DAYS.indexOf(local.weekday) + 6) % 7]!;
    return (w.days.includes(local.weekday) && local.minutes >= start) || (w.days.includes(yesterday) && local.minutes < end);
  });
}

/** When the next window opens after `now`, or null when none does within two weeks. */
export function nextWindowOpening(windows: DeployWindow[], now: Date): { at: Date; window: DeployWindow; local: string } | null {
  let best: { at: Date; window: DeployWindow; local: string } | null = null;
  for (const w of windows) {
    const today = localTime(now, w.timezone);
    for (let i = 0; i <= 14; i++) {
      const date = new Date(Date.UTC(today.year, today.month - 1, today.day + i));
      const weekday = DAYS[(date.getUTCDay() + 6) % 7]!;
      if (!w.days.includes(weekday)) continue;
      const at = zonedInstant(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), toMinutes(w.start), w.timezone);
      if (at.getTime() <= now.getTime()) continue;
      if (best === null || at < best.at) {
        const ymd = `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}-${String(date.getUTCDate()).padStart(2, '0')}`;
        best = { at, window: w, local: `${weekday} ${ymd} ${w.start} ${w.timezone}` };
      }
      break;
    }
  }
  return best;
}

/** The freeze in force at `now` (the one lasting longest when several overlap). */
export function activeFreeze(freezes: Freeze[], now: Date): Freeze | null {
  const t = now.getTime();
  const active = freezes.filter((f) => Date.parse(f.from) <= t && t < Date.parse(f.to));
  return active.sort((a, b) => Date.parse(b.to) - Date.parse(a.to))[0] ?? null;
}

export function describeWindows(windows: DeployWindow[]): string {
  return windows.map((w) => `${w.days.join(',')} ${w.start}–${w.end}${w.start > w.end ? ' (overnight, ends the next day)' : ''} ${w.timezone}`).join('; ');
}
