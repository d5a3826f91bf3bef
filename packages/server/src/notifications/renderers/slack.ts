import type { Announcement } from '../announcement.js';
import type { Channel } from '../channel-types.js';
import type { HttpOutbound } from './outbound.js';
import { emoji, escapeSlack, truncate } from './text.js';

/** Slack's incoming-webhook JSON (`text` for notifications and old clients, `blocks` for layout). Mattermost and Rocket.Chat read the same. */
export function slackBody(a: Announcement): { text: string; blocks: unknown[] } {
  const text = `${emoji(a)} ${escapeSlack(a.title)}${a.summary ? ` — ${escapeSlack(a.summary)}` : ''}`;
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: truncate(`${emoji(a)} ${a.title}`, 150), emoji: true } }];
  if (a.summary) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(escapeSlack(a.summary), 3000) } });
  if (a.facts.length > 0) {
    blocks.push({ type: 'section', fields: a.facts.slice(0, 10).map((f) => ({ type: 'mrkdwn', text: truncate(`*${escapeSlack(f.label)}*\n${escapeSlack(f.value)}`, 2000) })) });
  }
  if (a.digest) {
    const n = a.digest.notes;
    const list = (title: string, items: Array<{ subject: string; tickets: string[] }>) =>
      items.length > 0 ? `*${title}*\n${items.slice(0, 15).map((e) => `• ${escapeSlack(e.subject)}${e.tickets.some((t) => !e.subject.includes(t)) ? ` (${escapeSlack(e.tickets.filter((t) => !e.subject.includes(t)).join(', '))})` : ''}`).join('\n')}` : null;
    const sections = [list('Breaking changes', n.breaking), list('Features', n.features), list('Fixes', n.fixes)].filter((s): s is string => s !== null);
    if (sections.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(sections.join('\n\n'), 3000) } });
  }
  if (a.logLines.length > 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(`*Last log lines*\n\`\`\`${a.logLines.map((l) => escapeSlack(l).replace(/```/g, "'''")).join('\n')}\`\`\``, 3000) } });
  }
  if (a.links.length > 0) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(a.links.map((l) => `<${l.url}|${escapeSlack(l.name).replace(/\|/g, '/')}>`).join('  ·  '), 3000) }] });
  }
  return { text, blocks };
}

export function renderSlack(channel: Channel, a: Announcement): HttpOutbound {
  return { kind: 'http', url: String(channel.config.url), headers: { 'content-type': 'application/json' }, body: JSON.stringify(slackBody(a)) };
}
