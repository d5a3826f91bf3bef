import { describe, expect, it } from 'vitest';
import { byWeek, weekStart } from './calendar';

describe('calendar weeks', () => {
  it('starts weeks on Monday', () => {
    const d = weekStart(new Date(2026, 10, 26, 15, 0)); // Thursday 26 Nov 2026
    expect([d.getFullYear(), d.getMonth(), d.getDate(), d.getHours()]).toEqual([2026, 10, 23, 0]);
    expect(weekStart(new Date(2026, 10, 29, 23, 59)).getDate()).toBe(23); // Sunday
    expect(weekStart(new Date(2026, 10, 30, 0, 0)).getDate()).toBe(30); // Monday
  });

  it('groups events by the week they start in, keeping empty weeks', () => {
    const at = (day: number, hour = 10) => new Date(2026, 11, day, hour).toISOString();
    const events = [
      { id: 'b', start: at(8), end: at(8, 11) },
      { id: 'a', start: at(1), end: at(1, 12) },
      { id: 'c', start: at(20, 2), end: at(20, 4) },
      { id: 'late', start: at(31), end: at(31, 11) },
    ];
    const weeks = byWeek(events, new Date(2026, 11, 1), new Date(2026, 11, 22));
    expect(weeks.map((w) => [w.week.getDate(), w.events.map((e) => e.id)])).toEqual([
      [30, ['a']],
      [7, ['b']],
      [14, ['c']],
      [21, []],
    ]);
  });
});
