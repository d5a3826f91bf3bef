import type { Announcement, ReleaseDigest } from '../announcement.js';
import type { Channel } from '../channel-types.js';
import type { ChangelogEntry } from '../../releases/versioning.js';
import type { SmtpOutbound } from './outbound.js';
import { escapeHtml as h, plainText } from './text.js';

/**
 * E-mail, as HTML and plain text. A `deployment.succeeded` with a release digest becomes the release
 * email: the summary line, curated notes since the version that ran before (breaking changes,
 * features, fixes, other), ticket keys, and the flags changed in that environment in between.
 */
export function emailSubject(a: Announcement): string {
  if (a.digest) return `[Slipway] ${a.project ?? ''} ${a.version ?? ''}${a.tag && a.tag !== a.version ? ` (${a.tag})` : ''} deployed to ${a.environment ?? ''}`.replace(/\s+/g, ' ');
  return `[Slipway] ${a.title}`;
}

const SECTIONS: Array<[title: string, pick: (d: ReleaseDigest) => ChangelogEntry[]]> = [
  ['Breaking changes', (d) => d.notes.breaking],
  ['Features', (d) => d.notes.features],
  ['Fixes', (d) => d.notes.fixes],
  ['Other changes', (d) => d.notes.other],
];

/** Ticket keys not already written in the subject, so "saved carts (SHOP-12)" does not repeat SHOP-12. */
const extraTickets = (e: ChangelogEntry) => e.tickets.filter((t) => !e.subject.includes(t));

function entryText(e: ChangelogEntry): string {
  const scope = e.scope ? `${e.scope}: ` : '';
  const tickets = extraTickets(e).length > 0 ? ` (${extraTickets(e).join(', ')})` : '';
  return `${scope}${e.subject}${tickets} [${e.sha.slice(0, 7)}]${e.breakingNote ? ` — ${e.breakingNote}` : ''}`;
}

function entryHtml(e: ChangelogEntry): string {
  const scope = e.scope ? `<strong>${h(e.scope)}:</strong> ` : '';
  const tickets = extraTickets(e).length > 0 ? ` (${extraTickets(e).map((t) => `<span class="ticket">${h(t)}</span>`).join(', ')})` : '';
  const note = e.breakingNote ? `<br><em>${h(e.breakingNote)}</em>` : '';
  return `<li>${scope}${h(e.subject)}${tickets} <code>${h(e.sha.slice(0, 7))}</code>${note}</li>`;
}

function digestText(d: ReleaseDigest): string[] {
  const out: string[] = ['', d.previousVersion ? `Changes since ${d.previousVersion}:` : 'Changes in this release:'];
  let any = false;
  for (const [title, pick] of SECTIONS) {
    const entries = pick(d);
    if (entries.length === 0) continue;
    any = true;
    out.push('', `${title}:`, ...entries.map((e) => `  - ${entryText(e)}`));
  }
  if (!any) out.push('  (no code changes)');
  if (d.notes.tickets.length > 0) out.push('', `Tickets: ${d.notes.tickets.join(', ')}`);
  if (d.flags.length > 0) out.push('', 'Flags changed in this environment since the previous deployment:', ...d.flags.map((f) => `  - ${f.flag}: ${f.summary}`));
  return out;
}

function digestHtml(d: ReleaseDigest): string {
  const parts: string[] = [`<h2>${d.previousVersion ? `Changes since ${h(d.previousVersion)}` : 'Changes in this release'}</h2>`];
  let any = false;
  for (const [title, pick] of SECTIONS) {
    const entries = pick(d);
    if (entries.length === 0) continue;
    any = true;
    parts.push(`<h3>${h(title)}</h3><ul>${entries.map(entryHtml).join('')}</ul>`);
  }
  if (!any) parts.push('<p>No code changes.</p>');
  if (d.notes.tickets.length > 0) parts.push(`<h3>Tickets</h3><p>${d.notes.tickets.map((t) => `<span class="ticket">${h(t)}</span>`).join(', ')}</p>`);
  if (d.flags.length > 0) {
    parts.push(`<h3>Flags changed in this environment</h3><ul>${d.flags.map((f) => `<li><code>${h(f.flag)}</code>: ${h(f.summary)}${f.actor ? ` <small>(${h(f.actor)})</small>` : ''}</li>`).join('')}</ul>`);
  }
  return parts.join('\n');
}

export function emailText(a: Announcement): string {
  const lines = [plainText(a)];
  if (a.digest) lines.push(...digestText(a.digest));
  lines.push('', '— Slipway');
  return lines.join('\n');
}

export function emailHtml(a: Announcement): string {
  const facts = a.facts.map((f) => `<tr><th align="left">${h(f.label)}</th><td>${h(f.value)}</td></tr>`).join('');
  const logs = a.logLines.length > 0 ? `<h3>Last log lines</h3><pre>${h(a.logLines.join('\n'))}</pre>` : '';
  const links = a.links.length > 0 ? `<p>${a.links.map((l) => `<a href="${h(l.url)}">${h(l.name)}</a>`).join(' · ')}</p>` : '';
  return [
    '<!doctype html><html><head><meta charset="utf-8"><style>th{padding-right:12px}.ticket{font-family:monospace}</style></head><body>',
    `<h1>${h(a.title)}</h1>`,
    a.summary ? `<p class="summary">${h(a.summary)}</p>` : '',
    facts ? `<table>${facts}</table>` : '',
    a.digest ? digestHtml(a.digest) : '',
    logs,
    links,
    '<p><small>Sent by Slipway.</small></p></body></html>',
  ]
    .filter(Boolean)
    .join('\n');
}

export function renderEmail(channel: Channel, a: Announcement, deliveryId: string): SmtpOutbound {
  const c = channel.config as { host: string; port: number; secure?: boolean; auth?: { user: string; pass: string }; from: string; to: string[] };
  return {
    kind: 'smtp',
    smtp: { host: c.host, port: c.port, secure: c.secure ?? false, ...(c.auth && { auth: c.auth }) },
    message: {
      from: c.from,
      to: c.to,
      subject: emailSubject(a),
      text: emailText(a),
      html: emailHtml(a),
      // One Message-ID per delivery: a resend after a crash is recognisable as the same message.
      messageId: `<${deliveryId}@slipway>`,
      headers: { 'X-Slipway-Delivery': deliveryId, 'X-Slipway-Event': a.type },
    },
  };
}
