/**
 * OpenFeature's `track(name, context, details)` mapped onto Slipway's request metrics: every event
 * counts one request; `error` events (or `details.error: true`) count one error; `details.value` or
 * `details.latencyMs` is the latency; `details.flag` / `details.variant` / `details.version` say
 * whose series it is.
 */
import type { EvaluationContext } from '@slipway/flag-engine';
import type { TrackEvent } from './metrics.js';

export function trackingEvent(name: string, context: EvaluationContext, details: Record<string, unknown> = {}): TrackEvent {
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const latency = typeof details.latencyMs === 'number' ? details.latencyMs : typeof details.value === 'number' ? details.value : undefined;
  const event: TrackEvent = { context, error: name === 'error' || details.error === true };
  const flag = str(details.flag);
  const variant = str(details.variant);
  const version = str(details.version);
  if (flag !== undefined) event.flag = flag;
  if (variant !== undefined) event.variant = variant;
  if (version !== undefined) event.version = version;
  if (latency !== undefined) event.latencyMs = latency;
  return event;
}
