import { describe, expect, it } from 'vitest';
import { freezeBlocks, minutesOf, weekStart, windowBlocks, windowProblem } from './windows';

describe('deploy window editor logic', () => {
  it('reads 24-hour times and refuses the rest', () => {
    expect(minutesOf('09:30')).toBe(570);
    expect(minutesOf('00:00')).toBe(0);
    expect(minutesOf('24:00')).toBeNull();
    expect(minutesOf('9:30')).toBeNull();
  });

  it('names what is wrong with a window', () => {
    const ok = { days: ['mon'], start: '09:00', end: '16:00', timezone: 'Europe/Paris' };
    expect(windowProblem(ok)).toBeNull();
    expect(windowProblem({ ...ok, days: [] })).toMatch(/day/);
    expect(windowProblem({ ...ok, start: '25:00' })).toMatch(/Start/);
    expect(windowProblem({ ...ok, end: ok.start })).toMatch(/empty/);
    expect(windowProblem({ ...ok, timezone: '' })).toMatch(/time zone/);
  });

  it('draws a daytime window on each of its days', () => {
    expect(windowBlocks({ days: ['mon', 'wed'], start: '09:00', end: '16:00', timezone: 'UTC' }).map((b) => [b.day, b.start, b.end])).toEqual([
      [0, 540, 960],
      [2, 540, 960],
    ]);
  });

  it('splits an overnight window over two days, Sunday wrapping to Monday', () => {
    expect(windowBlocks({ days: ['fri', 'sun'], start: '22:00', end: '02:00', timezone: 'UTC' }).map((b) => [b.day, b.start, b.end])).toEqual([
      [4, 1320, 1440],
      [5, 0, 120],
      [6, 1320, 1440],
      [0, 0, 120],
    ]);
    expect(windowBlocks({ days: ['mon'], start: '18:00', end: '00:00', timezone: 'UTC' }).map((b) => [b.day, b.start, b.end])).toEqual([[0, 1080, 1440]]);
  });

  it('cuts a freeze into the days of the shown week', () => {
    const monday = weekStart(new Date(2026, 0, 7, 12)); // Wednesday 7 Jan 2026 → Monday 5 Jan
    expect(monday.getDate()).toBe(5);
    const from = new Date(2026, 0, 8, 18).toISOString(); // Thursday 18:00
    const to = new Date(2026, 0, 10, 6).toISOString(); // Saturday 06:00
    expect(freezeBlocks({ from, to, reason: 'release party' }, monday).map((b) => [b.day, b.start, b.end])).toEqual([
      [3, 1080, 1440],
      [4, 0, 1440],
      [5, 0, 360],
    ]);
    expect(freezeBlocks({ from: to, to: from, reason: '' }, monday)).toEqual([]);
  });
});
