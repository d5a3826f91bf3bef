import type { Environment } from '../../api/types';

export type DeployWindow = Environment['windows'][number];
export type Freeze = Environment['freezes'][number];

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];

/** A block on the week calendar: day column 0–6 (Monday first), minutes from midnight. */
export interface Block {
  day: number;
  start: number;
  end: number;
  label: string;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** "09:30" → 570; null when it is not a valid HH:MM (24:00 is not: a window ending at midnight ends at 00:00). */
export function minutesOf(time: string): number | null {
  const match = TIME.exec(time);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

/** What is wrong with a window, in words, or null. */
export function windowProblem(w: DeployWindow): string | null {
  if (w.days.length === 0) return 'Pick at least one day.';
  const start = minutesOf(w.start);
  const end = minutesOf(w.end);
  if (start === null) return `Start "${w.start}" is not a time (HH:MM, 24-hour).`;
  if (end === null) return `End "${w.end}" is not a time (HH:MM, 24-hour).`;
  if (start === end) return 'Start and end are the same: the window would be empty.';
  if (!w.timezone) return 'Pick a time zone.';
  return null;
}

/**
 * The blocks a window draws on the week, in the window's own wall-clock time. A window whose end
 * is before its start runs overnight: its second part is drawn on the next day (Sunday wraps to
 * Monday) — "22:00–02:00 on Friday" is Friday 22–24 and Saturday 0–2.
 */
export function windowBlocks(w: DeployWindow): Block[] {
  const start = minutesOf(w.start);
  const end = minutesOf(w.end);
  if (start === null || end === null || start === end) return [];
  const label = `${w.start}–${w.end} ${w.timezone}`;
  const blocks: Block[] = [];
  for (const day of w.days) {
    const index = DAYS.indexOf(day as Day);
    if (index < 0) continue;
    if (end > start) blocks.push({ day: index, start, end, label });
    else {
      blocks.push({ day: index, start, end: 24 * 60, label });
      if (end > 0) blocks.push({ day: (index + 1) % 7, start: 0, end, label });
    }
  }
  return blocks;
}

/** Monday 00:00 (local time) of the week holding `date`. */
export function weekStart(date: Date): Date {
  const d = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
  return d;
}

/** The parts of a freeze that fall in the week starting at `monday`, one block per day (local time). */
export function freezeBlocks(freeze: Freeze, monday: Date): Block[] {
  const from = new Date(freeze.from).getTime();
  const to = new Date(freeze.to).getTime();
  if (!(to > from)) return [];
  const blocks: Block[] = [];
  for (let day = 0; day < 7; day++) {
    const dayStart = new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + day).getTime();
    const dayEnd = new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + day + 1).getTime();
    const s = Math.max(from, dayStart);
    const e = Math.min(to, dayEnd);
    if (e > s) blocks.push({ day, start: Math.round((s - dayStart) / 60_000), end: Math.round((e - dayStart) / 60_000), label: freeze.reason || 'freeze' });
  }
  return blocks;
}
