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

/** Whether a channel type can say anything about an event at all (a New Relic marker needs a version). */
export function applies(type: ChannelType, eventType: string, payload: Record<string, unknown>): boolean {
  return type !== 'newrelic' || newRelicApplies(eventType, payload);
}
