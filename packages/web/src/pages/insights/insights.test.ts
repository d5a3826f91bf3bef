import { describe, expect, it } from 'vitest';
import { readableTextOn } from '../../components/colors';
import { BAND_COLORS, bandColor, bandLabel, hours, percent, rangeOf, short } from './insights';

const luminance = (hex: string) => {
  const [r, g, b] = (hex.length === 4 ? [...hex.slice(1)].map((c) => c + c) : [hex.slice(1, 3), hex.slice(3, 5), hex.slice(5, 7)]).map((v) => {
    const c = parseInt(v, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
};
const contrast = (a: string, b: string) => {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
};

describe('insights formatting', () => {
  it('colours each band and keeps white text readable on it', () => {
    expect(bandColor('elite')).toBe('#2b8a3e');
    expect(bandColor('low')).toBe('#c92a2a');
    expect(bandColor(null)).toBe('#495057');
    expect(bandColor('unknown')).toBe('#495057');
    // Badge text (black or white, whichever reads better) keeps WCAG AA contrast on every band colour.
    for (const color of Object.values(BAND_COLORS)) expect(contrast(color, readableTextOn(color)), color).toBeGreaterThanOrEqual(4.5);
    expect(bandLabel('high')).toBe('High');
    expect(bandLabel(null)).toBe('No data');
  });

  it('formats rates and durations', () => {
    expect(percent(0.375)).toBe('37.5 %');
    expect(percent(0.25)).toBe('25 %');
    expect(percent(null)).toBe('—');
    expect(hours(0.5)).toBe('30 min');
    expect(hours(5.24)).toBe('5.2 h');
    expect(hours(72)).toBe('3 days');
    expect(hours(null)).toBe('—');
  });

  it('shortens thresholds', () => {
    expect(short(0.14285714285714285)).toBe('0.14');
    expect(short(0.03287671232876712)).toBe('0.033');
    expect(short(168)).toBe('168');
    expect(short(1)).toBe('1');
  });

  it('turns "last N days" into whole-day bounds', () => {
    const r = rangeOf(28, Date.parse('2026-11-24T12:34:00Z'));
    expect(r).toEqual({ from: '2026-10-28T00:00:00.000Z', to: '2026-11-25T00:00:00.000Z' });
  });
});
