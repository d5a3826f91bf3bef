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

/** The API's `ticketLinks` (each ticket with its link from the project's template) as a lookup. */
export function linkMap(links: ReadonlyArray<{ key: string; url: string }> | null | undefined): Map<string, string> {
  return new Map((links ?? []).filter((l) => /^https?:\/\//i.test(l.url)).map((l) => [l.key, l.url]));
}
