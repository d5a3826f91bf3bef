const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:(\d+)(ms|s|m|h|d))+$/;
const PART = /(\d+)(ms|s|m|h|d)/g;

/** The longest duration accepted anywhere (30 days): keeps arithmetic exact and typos visible. */
export const MAX_DURATION_MS = 30 * 86_400_000;

/**
 * Parses a duration string: `"30s"`, `"5m"`, `"1h"`, `"1h30m"`, `"500ms"`, `"2d"`. Returns
 * milliseconds, or null when the text is not a duration (or is longer than 30 days).
 */
export function parseDuration(text: unknown): number | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > 32 || !DURATION.test(text)) return null;
  let total = 0;
  for (const match of text.matchAll(PART)) total += Number(match[1]) * UNITS[match[2]!]!;
  return total <= MAX_DURATION_MS ? total : null;
}

/** "2h 5m", "30s", "850 ms": how long, for messages. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m}m` : `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h}h` : `${h}h ${m % 60}m`;
}
