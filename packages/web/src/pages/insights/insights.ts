/** DORA performance bands as the API names them, with colours that keep white text readable. */
export type Band = 'elite' | 'high' | 'medium' | 'low';

export const BAND_COLORS: Record<Band, string> = { elite: '#2b8a3e', high: '#1864ab', medium: '#e67700', low: '#c92a2a' };
const NO_BAND = '#495057';

export function bandColor(band: string | null | undefined): string {
  return band && band in BAND_COLORS ? BAND_COLORS[band as Band] : NO_BAND;
}

export function bandLabel(band: string | null | undefined): string {
  return band ? band[0]!.toUpperCase() + band.slice(1) : 'No data';
}

/** "37.5 %", "—" for null; rates come as fractions 0–1. */
export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—';
  const p = rate * 100;
  return `${Number.isInteger(p) ? p : p.toFixed(1)} %`;
}

/** Hours as people read them: "45 min", "5.2 h", "3.1 days". */
export function hours(h: number | null | undefined): string {
  if (h === null || h === undefined) return '—';
  if (h < 1) return `${Math.round(h * 60)} min`;
  if (h < 48) return `${Number(h.toFixed(1))} h`;
  return `${Number((h / 24).toFixed(1))} days`;
}

export const STAGES = ['staging', 'release-candidate', 'alpha', 'beta', 'push-to-production', 'production'] as const;
export const STAGE_COLORS: Record<(typeof STAGES)[number], string> = {
  staging: '#74c0fc',
  'release-candidate': '#4dabf7',
  alpha: '#9775fa',
  beta: '#f783ac',
  'push-to-production': '#ffa94d',
  production: '#e03131',
};

const DAY = 86_400_000;

/** The range the selector stands for: the last N days up to now (to is exclusive). */
export function rangeOf(days: number, now = Date.now()): { from: string; to: string } {
  // Whole days, so the query key (and the cache) stays the same within a day.
  const to = new Date(Math.ceil(now / DAY) * DAY);
  return { from: new Date(to.getTime() - days * DAY).toISOString(), to: to.toISOString() };
}

/** A threshold as people read it: two significant digits ("0.14", "0.033", "24"). */
export function short(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Math.abs(n) >= 10 ? String(Math.round(n)) : String(Number(n.toPrecision(2)));
}
