import type { Subscription } from './channel-types.js';

/** What subscriptions are matched against: an outbox event's type and keys. */
export interface EventKeys {
  type: string;
  projectKey: string | null;
  environmentKey: string | null;
}

/** `deployment.*` matches every type starting with `deployment.`; `*` matches all; anything else is exact. */
export function matchesPattern(pattern: string, type: string): boolean {
  if (pattern.endsWith('*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

/**
 * True when one of the subscriptions takes the event. A project (or environment) list only lets
 * through events of those projects (environments): an event without a project does not pass a
 * project list. Absent lists match everything.
 */
export function subscribes(subscriptions: readonly Subscription[], event: EventKeys): boolean {
  return subscriptions.some(
    (s) =>
      s.events.some((p) => matchesPattern(p, event.type)) &&
      (s.projects === undefined || (event.projectKey !== null && s.projects.includes(event.projectKey))) &&
      (s.environments === undefined || (event.environmentKey !== null && s.environments.includes(event.environmentKey))),
  );
}
