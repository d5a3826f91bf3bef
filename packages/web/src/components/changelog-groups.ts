import type { ChangelogEntry } from '../api/types';

export interface ChangelogGroups {
  breaking: ChangelogEntry[];
  features: ChangelogEntry[];
  fixes: ChangelogEntry[];
  other: ChangelogEntry[];
}

/** Breaking changes first (whatever their type), then features, fixes (fix, perf) and the rest. */
export function groupChangelog(entries: readonly ChangelogEntry[]): ChangelogGroups {
  const groups: ChangelogGroups = { breaking: [], features: [], fixes: [], other: [] };
  for (const entry of entries) {
    if (entry.breaking) groups.breaking.push(entry);
    else if (entry.type === 'feat') groups.features.push(entry);
    else if (entry.type === 'fix' || entry.type === 'perf') groups.fixes.push(entry);
    else groups.other.push(entry);
  }
  return groups;
}

/** The link of a ticket key through the project's template (`https://tracker/browse/{ticket}`), or null. */
export function ticketLink(template: string | null | undefined, ticket: string): string | null {
  if (!template || !template.includes('{ticket}')) return null;
  const url = template.replaceAll('{ticket}', encodeURIComponent(ticket));
  return /^https?:\/\//i.test(url) ? url : null;
}
