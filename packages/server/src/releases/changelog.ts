import type { ChangelogEntry } from './versioning.js';

/**
 * Release notes from changelog entries. Pure. Every entry lands in exactly one group, breaking changes first,
 * so counts add up and a breaking feature is not listed twice.
 */

export interface ChangelogGroups {
  breaking: ChangelogEntry[];
  features: ChangelogEntry[];
  fixes: ChangelogEntry[];
  other: ChangelogEntry[];
}

export interface ChangelogAuthor {
  name: string;
  email: string;
  commits: number;
}

export function groupChangelog(entries: readonly ChangelogEntry[]): ChangelogGroups {
  const groups: ChangelogGroups = { breaking: [], features: [], fixes: [], other: [] };
  for (const entry of entries) {
    if (entry.breaking) groups.breaking.push(entry);
    else if (entry.type === 'feat') groups.features.push(entry);
    else if (entry.type === 'fix') groups.fixes.push(entry);
    else groups.other.push(entry);
  }
  return groups;
}

/** Ticket keys of all entries, unique, in order of first appearance. */
export function collectTickets(entries: readonly ChangelogEntry[]): string[] {
  const tickets = new Set<string>();
  for (const entry of entries) for (const ticket of entry.tickets) tickets.add(ticket);
  return [...tickets];
}

/** Authors by e-mail (case-insensitive), in order of first appearance, with their number of commits. */
export function collectAuthors(entries: readonly ChangelogEntry[]): ChangelogAuthor[] {
  const authors = new Map<string, ChangelogAuthor>();
  for (const { author } of entries) {
    const key = author.email.toLowerCase() || author.name;
    const known = authors.get(key);
    if (known) known.commits += 1;
    else authors.set(key, { name: author.name, email: author.email, commits: 1 });
  }
  return [...authors.values()];
}

export interface ReleaseNotesInput {
  project: string;
  version: string;
  tag: string;
  /** The release the changes are counted from, or null for a first release. */
  previousVersion: string | null;
  /** Release date: an ISO date or timestamp (only the day is shown). */
  date: string;
  entries: readonly ChangelogEntry[];
  /** Set for a release adopted from an existing tag: it has no recorded changelog. */
  importedAt?: string | null;
}

/** The notes as data (the `format=json` answer); {@link renderNotesMarkdown} renders the same thing. */
export interface ReleaseNotes extends ChangelogGroups {
  project: string;
  version: string;
  tag: string;
  previousVersion: string | null;
  date: string;
  tickets: string[];
  authors: ChangelogAuthor[];
  /** Set for a release adopted from an existing tag (it has no recorded changelog). */
  importedAt?: string;
}

export function releaseNotes(input: ReleaseNotesInput): ReleaseNotes {
  return {
    ...(input.importedAt ? { importedAt: input.importedAt } : {}),
    project: input.project,
    version: input.version,
    tag: input.tag,
    previousVersion: input.previousVersion,
    date: input.date,
    ...groupChangelog(input.entries),
    tickets: collectTickets(input.entries),
    authors: collectAuthors(input.entries),
  };
}

/** Commit text is data, not markup: characters Markdown would act on are escaped. */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|#~]/g, '\\$&').replace(/\r?\n/g, ' ');
}

/** Ticket keys of an entry that its subject does not already show (`fix: x (#2069)` is not followed by `(#2069)` again). */
export function ticketsNotInSubject(entry: Pick<ChangelogEntry, 'subject' | 'tickets'>): string[] {
  return entry.tickets.filter((ticket) => !entry.subject.includes(ticket));
}

function line(entry: ChangelogEntry): string {
  const scope = entry.scope ? `**${escapeMarkdown(entry.scope)}:** ` : '';
  const extra = ticketsNotInSubject(entry);
  const tickets = extra.length > 0 ? ` (${extra.map(escapeMarkdown).join(', ')})` : '';
  return `- ${scope}${escapeMarkdown(entry.subject)}${tickets} (\`${entry.sha.slice(0, 7)}\`)`;
}

function day(date: string): string {
  return /^\d{4}-\d{2}-\d{2}/.test(date) ? date.slice(0, 10) : date;
}

/**
 * Markdown release notes: title, tag and date, then breaking changes (with their notes), features, fixes,
 * other changes, tickets and authors. Empty sections are left out.
 *
 * @example
 * renderNotesMarkdown({ project: 'api', version: '1.5.0', tag: 'v1.5.0', previousVersion: '1.4.0', date: '2026-01-05', entries });
 */
export function renderNotesMarkdown(input: ReleaseNotesInput): string {
  const notes = releaseNotes(input);
  const out: string[] = [`# ${escapeMarkdown(notes.project)} ${notes.version}`, ''];
  const since = notes.previousVersion ? `changes since ${notes.previousVersion}` : 'first release';
  out.push(`Tag \`${notes.tag}\` · ${day(notes.date)} · ${since}`, '');
  if (input.entries.length === 0 && input.importedAt) {
    const compare = notes.previousVersion ? ` Compare it with ${notes.previousVersion} to see its commits.` : '';
    out.push(`Adopted from the existing tag \`${notes.tag}\` on ${day(input.importedAt)}: Slipway did not make this release, so it has no recorded changelog.${compare}`, '');
  } else if (input.entries.length === 0) out.push('No changes.', '');

  if (notes.breaking.length > 0) {
    out.push('## ⚠ Breaking changes', '');
    for (const entry of notes.breaking) {
      out.push(line(entry));
      if (entry.breakingNote) out.push(`  ${escapeMarkdown(entry.breakingNote)}`);
    }
    out.push('');
  }
  const sections: Array<[string, ChangelogEntry[]]> = [
    ['Features', notes.features],
    ['Fixes', notes.fixes],
    ['Other changes', notes.other],
  ];
  for (const [title, entries] of sections) {
    if (entries.length === 0) continue;
    out.push(`## ${title}`, '', ...entries.map(line), '');
  }
  if (notes.tickets.length > 0) out.push('## Tickets', '', notes.tickets.map(escapeMarkdown).join(', '), '');
  if (notes.authors.length > 0) {
    out.push('## Authors', '');
    for (const author of notes.authors) {
      const count = author.commits === 1 ? '1 commit' : `${author.commits} commits`;
      out.push(`- ${escapeMarkdown(author.name)} (${escapeMarkdown(author.email)}) — ${count}`);
    }
    out.push('');
  }
  return out.join('\n');
}
