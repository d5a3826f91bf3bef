/** Monday 00:00 (local time) of the week `date` falls in. */
export function weekStart(date: Date): Date {
  const d = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  const day = (d.getDay() + 6) % 7; // Monday = 0
  d.setDate(d.getDate() - day);
  return d;
}

export interface Timed {
  start: string;
  end: string;
}

/** Events grouped by the week they start in, weeks in order, events by start; empty weeks in the range are kept. */
export function byWeek<E extends Timed>(events: E[], from: Date, to: Date): Array<{ week: Date; events: E[] }> {
  const weeks: Array<{ week: Date; events: E[] }> = [];
  for (let w = weekStart(from); w < to; w = new Date(w.getFullYear(), w.getMonth(), w.getDate() + 7)) weeks.push({ week: w, events: [] });
  const sorted = [...events].sort((a, b) => a.start.localeCompare(b.start));
  for (const e of sorted) {
    const w = weekStart(new Date(e.start)).getTime();
    const slot = weeks.find((x) => x.week.getTime() === w);
    if (slot) slot.events.push(e);
  }
  return weeks;
}

export const KIND_COLORS: Record<string, string> = {
  release: '#1864ab',
  major: '#862e9c',
  maintenance: '#e8590c',
  freeze: '#c92a2a',
  'deploy-window': '#2b8a3e',
  'release-cut': '#0b7285',
  custom: '#495057',
};

export const KIND_LABELS: Record<string, string> = {
  release: 'Release',
  major: 'Major release',
  maintenance: 'Maintenance window',
  freeze: 'Freeze',
  'deploy-window': 'Deploy window',
  'release-cut': 'Release cut',
  custom: 'Event',
};
