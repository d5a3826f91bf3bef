import type { Announcement } from '../announcement.js';
import type { Channel, ChannelType } from '../channel-types.js';
import { renderEmail } from './email.js';
import { newRelicApplies, renderDatadog, renderGrafana, renderNewRelic } from './observability.js';
import type { Outbound } from './outbound.js';
import { renderSlack } from './slack.js';
import { renderTask } from './task.js';
import { renderWebhook } from './webhook.js';

type Renderer = (channel: Channel, a: Announcement, deliveryId: string) => Outbound;

const RENDERERS: Record<ChannelType, Renderer> = {
  slack: renderSlack,
  webhook: renderWebhook,
  email: renderEmail,
  newrelic: renderNewRelic,
  datadog: renderDatadog,
  grafana: renderGrafana,
  task: renderTask,
};

/** One renderer per channel type, all from the same announcement. */
export function render(channel: Channel, a: Announcement, deliveryId: string): Outbound {
  return RENDERERS[channel.type](channel, a, deliveryId);
}

/** Chat rooms and mailboxes: one line per target report is noise there. */
const QUIET_FOR_PEOPLE = new Set(['deployment.target_reported']);
const PEOPLE: readonly ChannelType[] = ['slack', 'email'];
/** APM tools get deploy markers: the end of a deployment, nothing else. */
export const APM_EVENTS = new Set(['deployment.succeeded', 'deployment.failed', 'deployment.rolled_back']);
const APM: readonly ChannelType[] = ['newrelic', 'datadog', 'grafana'];

/**
 * Whether a channel gets an event its subscriptions matched. By default chat and email channels
 * do not get `deployment.target_reported`, and APM channels get only deployment.succeeded, failed
 * and rolled_back; a subscription that names another event exactly (not through `*`) still gets
 * it. A New Relic marker also needs a version.
 */
export function applies(channel: Pick<Channel, 'type' | 'subscriptions'>, eventType: string, payload: Record<string, unknown>): boolean {
  const named = channel.subscriptions.some((s) => s.events.includes(eventType));
  if (PEOPLE.includes(channel.type) && QUIET_FOR_PEOPLE.has(eventType) && !named) return false;
  if (APM.includes(channel.type) && !APM_EVENTS.has(eventType) && !named) return false;
  return channel.type !== 'newrelic' || newRelicApplies(eventType, payload);
}
