import { createHmac } from 'node:crypto';
import type { Announcement } from '../announcement.js';
import type { Channel } from '../channel-types.js';
import type { HttpOutbound } from './outbound.js';

/** `sha256=<hex HMAC-SHA256 of the raw body>`: receivers recompute it with the channel's secret. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The JSON event: the outbox event as it was written, and the message every other renderer shows. */
export function webhookBody(a: Announcement, deliveryId: string) {
  return {
    delivery: deliveryId,
    event: { id: a.eventId, type: a.type, createdAt: a.at, project: a.project, environment: a.environment, actor: a.actor, payload: a.payload },
    message: { title: a.title, summary: a.summary, tone: a.tone, facts: a.facts, links: a.links, logLines: a.logLines },
    ...(a.digest && {
      release: {
        previousVersion: a.digest.previousVersion,
        summary: a.digest.summaryLine,
        notes: a.digest.notes,
        flags: a.digest.flags,
      },
    }),
  };
}

export function renderWebhook(channel: Channel, a: Announcement, deliveryId: string): HttpOutbound {
  const body = JSON.stringify(webhookBody(a, deliveryId));
  const custom = (channel.config.headers ?? {}) as Record<string, string>;
  return {
    kind: 'http',
    url: String(channel.config.url),
    headers: { ...custom, 'content-type': 'application/json', 'x-slipway-event': a.type, 'x-slipway-signature': signature(String(channel.config.secret), body) },
    body,
  };
}
