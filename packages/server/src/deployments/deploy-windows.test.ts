import { describe, expect, it } from 'vitest';
import type { DeployWindow } from '../environments/deployment-settings.js';
import { activeFreeze, isInWindow, nextWindowOpening, zonedInstant } from './deploy-windows.js';

const ny: DeployWindow = { days: ['mon', 'tue', 'wed', 'thu'], start: '09:00', end: '16:00', timezone: 'America/New_York' };

describe('deploy windows', () => {
  it('is open inside the window in its own time zone and closed outside', () => {
    // 2026-01-05 is a Monday; New York is UTC-5 in winter.
    expect(isInWindow([ny], new Date('2026-01-05T14:00:00Z'))).toBe(true); // 09:00 local
    expect(isInWindow([ny], new Date('2026-01-05T13:59:00Z'))).toBe(false); // 08:59 local
    expect(isInWindow([ny], new Date('2026-01-05T21:00:00Z'))).toBe(false); // 16:00 local: end is exclusive
    expect(isInWindow([ny], new Date('2026-01-09T15:00:00Z'))).toBe(false); // Friday
    expect(isInWindow([], new Date('2026-01-09T15:00:00Z'))).toBe(true);
  });

  it('finds the next opening across a DST change (New York springs forward on 2026-03-08)', () => {
    // Thursday 2026-03-05 17:00 local (EST, UTC-5): next opening is Monday 2026-03-09 09:00 EDT = 13:00Z.
    const next = nextWindowOpening([ny], new Date('2026-03-05T22:00:00Z'));
    expect(next?.at.toISOString()).toBe('2026-03-09T13:00:00.000Z');
    expect(next?.local).toBe('mon 2026-03-09 09:00 America/New_York');
    // The same local window before the change opens at 14:00Z.
    expect(nextWindowOpening([ny], new Date('2026-03-01T12:00:00Z'))?.at.toISOString()).toBe('2026-03-02T14:00:00.000Z');
    // On the Monday after the change, 13:30Z is 09:30 EDT: open. (It would be 08:30 under EST.)
    expect(isInWindow([ny], new Date('2026-03-09T13:30:00Z'))).toBe(true);
  });

  it('handles the autumn change and a window in another zone', () => {
    // Europe/Paris falls back on 2026-10-25 (Sunday): Monday 09:00 CET = 08:00Z.
    const paris: DeployWindow = { days: ['mon'], start: '09:00', end: '12:00', timezone: 'Europe/Paris' };
    expect(nextWindowOpening([paris], new Date('2026-10-23T12:00:00Z'))?.at.toISOString()).toBe('2026-10-26T08:00:00.000Z');
    expect(nextWindowOpening([paris], new Date('2026-10-16T12:00:00Z'))?.at.toISOString()).toBe('2026-10-19T07:00:00.000Z');
    // The earliest of several windows wins.
    const tokyo: DeployWindow = { days: ['mon'], start: '09:00', end: '10:00', timezone: 'Asia/Tokyo' };
    expect(nextWindowOpening([paris, tokyo], new Date('2026-10-23T12:00:00Z'))?.window).toBe(tokyo);
  });

  it('converts local times to instants on both sides of a change', () => {
    expect(zonedInstant(2026, 3, 7, 9 * 60, 'America/New_York').toISOString()).toBe('2026-03-07T14:00:00.000Z');
    expect(zonedInstant(2026, 3, 8, 9 * 60, 'America/New_York').toISOString()).toBe('2026-03-08T13:00:00.000Z');
    expect(zonedInstant(2026, 7, 1, 0, 'UTC').toISOString()).toBe('2026-07-01T00:00:00.000Z');
  });

  it('finds the freeze in force', () => {
    const freezes = [{ from: '2026-12-20T00:00:00.000Z', to: '2027-01-04T00:00:00.000Z', reason: 'holidays' }];
    expect(activeFreeze(freezes, new Date('2026-12-25T00:00:00Z'))?.reason).toBe('holidays');
    expect(activeFreeze(freezes, new Date('2027-01-04T00:00:00Z'))).toBeNull();
  });

  it('treats 22:00–02:00 as one overnight window that closes the next morning', () => {
    const night: DeployWindow = { days: ['fri'], start: '22:00', end: '02:00', timezone: 'UTC' };
    // 2026-01-09 is a Friday.
    expect(isInWindow([night], new Date('2026-01-09T21:59:00Z'))).toBe(false);
    expect(isInWindow([night], new Date('2026-01-09T22:00:00Z'))).toBe(true);
    expect(isInWindow([night], new Date('2026-01-10T01:59:00Z'))).toBe(true); // Saturday morning, still Friday's window
    expect(isInWindow([night], new Date('2026-01-10T02:00:00Z'))).toBe(false);
    expect(isInWindow([night], new Date('2026-01-10T22:30:00Z'))).toBe(false); // Saturday night: not a listed day
    expect(isInWindow([night], new Date('2026-01-09T01:00:00Z'))).toBe(false); // Friday 01:00 belongs to Thursday's window
    expect(nextWindowOpening([night], new Date('2026-01-10T03:00:00Z'))?.at.toISOString()).toBe('2026-01-16T22:00:00.000Z');
  });
});
