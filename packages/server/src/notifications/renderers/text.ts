import type { Announcement } from '../announcement.js';

/** HTML text and attribute escaping: every value in a message is data. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Slack mrkdwn escaping: only &, < and > are control characters there. */
export function escapeSlack(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const EMOJI = { success: '✅', failure: '❌', warning: '⚠️', info: 'ℹ️' } as const;

export function emoji(a: Announcement): string {
  return EMOJI[a.tone];
}

/** Tags shared by the APM/observability renderers: `project:api`, `environment:production`, … */
export function tagsOf(a: Announcement): string[] {
  const tags = ['source:slipway', `event:${a.type}`];
  if (a.project) tags.push(`project:${a.project}`);
  if (a.environment) tags.push(`environment:${a.environment}`);
  if (a.version) tags.push(`version:${a.version}`);
  return tags;
}

/** The plain-text body used by every renderer without markup of its own. */
export function plainText(a: Announcement): string {
  const lines = [a.title];
  if (a.summary) lines.push('', a.summary);
  if (a.facts.length > 0) lines.push('', ...a.facts.map((f) => `${f.label}: ${f.value}`));
  if (a.logLines.length > 0) lines.push('', 'Last log lines:', ...a.logLines.map((l) => `  ${l}`));
  if (a.links.length > 0) lines.push('', ...a.links.map((l) => `${l.name}: ${l.url}`));
  return lines.join('\n');
}
