import { activeFreeze, isInWindow, nextWindowOpening } from '../deployments/deploy-windows.js';
import { readSettings } from '../environments/deployment-settings.js';
import type { Environment } from '../environments/environment-store.js';

/** An environment as the status matrix shows it: what it is, and whether deploys may go there now. */
export interface EnvironmentState {
  key: string;
  name: string;
  rank: number;
  color: string;
  protected: boolean;
  production: boolean;
  /** The freeze in force now, if any. */
  frozen: { reason: string; from: string; to: string } | null;
  /** Inside one of its deploy windows now (true when it has none). */
  inWindow: boolean;
  /** Neither frozen nor outside its windows. */
  open: boolean;
  /**
   * When it next opens (the end of the freeze, then the next window), when closed now; null when
   * open, or when nothing opens within two weeks.
   */
  opensAt: string | null;
  /** The same instant as the window's wall clock, e.g. "mon 2026-01-12 09:00 America/New_York". */
  opensAtLocal: string | null;
}

/** Whether each environment is frozen or outside its window now, and when it opens next. */
export function environmentState(env: Environment, now: Date): EnvironmentState {
  const settings = readSettings(env.settings);
  const freeze = activeFreeze(settings.freezes, now);
  const inWindow = isInWindow(settings.windows, now);
  const base = { key: env.key, name: env.name, rank: env.rank, color: env.color, protected: env.protected, production: env.production ?? false };
  const frozen = freeze ? { reason: freeze.reason, from: freeze.from, to: freeze.to } : null;
  if (!freeze && inWindow) return { ...base, frozen, inWindow, open: true, opensAt: null, opensAtLocal: null };
  // Step past freezes and closed hours until both allow a deploy (a few steps at most).
  let at = now;
  let local: string | null = null;
  for (let step = 0; step < 20; step++) {
    const f = activeFreeze(settings.freezes, at);
    if (f) {
      at = new Date(f.to);
      local = null;
      continue;
    }
    if (isInWindow(settings.windows, at)) return { ...base, frozen, inWindow, open: false, opensAt: at.toISOString(), opensAtLocal: local };
    const next = nextWindowOpening(settings.windows, at);
    if (!next) break;
    at = next.at;
    local = next.local;
  }
  return { ...base, frozen, inWindow, open: false, opensAt: null, opensAtLocal: null };
}
