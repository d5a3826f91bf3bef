import type { OutboxEvent } from '../outbox/outbox-store.js';

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : null);

/** The rollout events Slipway writes; other `rollout.*` types read like any unknown event. */
export const ROLLOUT_EVENTS: ReadonlySet<string> = new Set(['started', 'step_started', 'paused', 'resumed', 'promoted', 'analysis_failed', 'aborted', 'rolled_back', 'completed'].map((t) => `rollout.${t}`));

/**
 * Title, summary and tone of `rollout.*` events. A rollback names the metric that breached, its
 * values and the threshold (the payload's `breach`, written when the decision was taken).
 */
export function rolloutHeading(event: OutboxEvent, p: Record<string, unknown>): { title: string; summary: string | null; tone: 'info' | 'success' | 'failure' | 'warning' } {
  const what = `${str(p.target) ?? 'rollout'} in ${str(p.project) ?? event.projectKey ?? '?'}/${str(p.environment) ?? event.environmentKey ?? '?'}`;
  const weight = typeof p.weight === 'number' ? `${p.weight} %` : '?';
  const step = `step ${str(p.step) ?? '?'}/${str(p.steps) ?? '?'}`;
  const message = str(p.message);
  switch (event.type) {
    case 'rollout.started':
      return { title: `Rollout of ${what} started`, summary: message, tone: 'info' };
    case 'rollout.step_started':
      return { title: `Rollout of ${what}: ${step}, weight ${weight}`, summary: message, tone: 'info' };
    case 'rollout.paused':
      return { title: `Rollout of ${what} paused at ${weight}`, summary: message, tone: 'warning' };
    case 'rollout.resumed':
      return { title: `Rollout of ${what} resumed at ${weight}`, summary: message, tone: 'info' };
    case 'rollout.promoted':
      return { title: `Rollout of ${what} promoted`, summary: message, tone: 'info' };
    case 'rollout.analysis_failed':
      return { title: `Analysis failed for ${what} at ${weight}`, summary: str(p.breach) ?? message, tone: 'failure' };
    case 'rollout.rolled_back':
      return { title: `Rollout of ${what} rolled back automatically`, summary: [message, str(p.breach) ? `Breach: ${str(p.breach)}` : null].filter(Boolean).join('. '), tone: 'failure' };
    case 'rollout.aborted':
      return { title: `Rollout of ${what} aborted`, summary: message, tone: 'warning' };
    default:
      // rollout.completed (only the types in ROLLOUT_EVENTS reach here)
      return { title: `Rollout of ${what} completed at 100 %`, summary: message, tone: 'success' };
  }
}
