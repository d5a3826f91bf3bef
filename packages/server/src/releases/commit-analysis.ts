import { parseCommit, type ChangelogEntry, type RawCommit } from './versioning.js';

/**
 * From the commits of a range to changelog entries (PRODUCT.md §3 rule 2). Pure.
 *
 * - A squash-merge body may carry further conventional commits, as release-please reads them: a
 *   paragraph whose first line is a header (`fix(api): subject`) starts an entry of its own, and the
 *   paragraph's other lines (and later paragraphs up to the next header) are that entry's body and
 *   footers. Types must be lower-case here, so prose such as `Note: …` or `Fixes: #12` stays prose.
 * - A commit and its revert (`This reverts commit <sha>`) inside the range both drop out. A revert
 *   of a commit outside the range stays, marked `reverts`, and the release rules decide what it makes.
 */

/** A pair that dropped out of a range: the revert and the commit it reverted. */
export interface RevertedPair {
  revert: { sha: string; subject: string };
  reverted: { sha: string; subject: string };
}

export interface CommitAnalysis {
  /** Newest first, like the commits; a squash commit's parts follow its main entry. */
  entries: ChangelogEntry[];
  reverted: RevertedPair[];
}

const PART_HEADER = /^[a-z][a-z0-9-]*(?:\([^()\n]*\))?!?: \S/;
const MAY_HAVE_PARTS = /(?:^|\n[ \t]*\n)[a-z][a-z0-9-]*(?:\([^()\n]*\))?!?: \S/;
const REVERTS = /This reverts commit ([0-9a-f]{7,64})\b/i;

/** The sha a revert names, or null. */
export function revertTarget(commit: Pick<RawCommit, 'body'>): string | null {
  if (!commit.body.includes('reverts commit')) return null;
  return REVERTS.exec(commit.body)?.[1]?.toLowerCase() ?? null;
}

function dedent(lines: string[]): string {
  return lines.map((line) => line.replace(/^[ \t]+/, '')).join('\n');
}

/** Splits a body into the main commit's own body and the further conventional commits it carries. */
export function splitSquashBody(body: string): { main: string; parts: Array<{ subject: string; body: string }> } {
  if (!MAY_HAVE_PARTS.test(body)) return { main: body, parts: [] };
  const paragraphs = body.split(/\n[ \t]*\n/);
  const main: string[] = [];
  const parts: Array<{ subject: string; body: string[] }> = [];
  for (const paragraph of paragraphs) {
    const [first = '', ...rest] = paragraph.split('\n');
    if (PART_HEADER.test(first)) {
      parts.push({ subject: first.trim(), body: rest.length > 0 ? [dedent(rest)] : [] });
    } else if (parts.length > 0) {
      parts[parts.length - 1]!.body.push(dedent(paragraph.split('\n')));
    } else {
      main.push(paragraph);
    }
  }
  return { main: main.join('\n\n'), parts: parts.map((p) => ({ subject: p.subject, body: p.body.join('\n\n') })) };
}

function entriesOf(commit: RawCommit, ticketPattern: RegExp): ChangelogEntry[] {
  const { main, parts } = splitSquashBody(commit.body);
  const first = parseCommit(parts.length === 0 ? commit : { ...commit, body: main }, ticketPattern);
  const entries = [first];
  parts.forEach((part, i) => {
    entries.push({ ...parseCommit({ ...commit, subject: part.subject, body: part.body }, ticketPattern), part: i + 1 });
  });
  return entries;
}

/** Finds the commit a (possibly abbreviated) sha names among the range's commits; an ambiguous prefix names none. */
function findInRange(target: string, bySha: Map<string, RawCommit>, commits: readonly RawCommit[]): RawCommit | undefined {
  const exact = bySha.get(target);
  if (exact || target.length >= 40) return exact;
  const matches = commits.filter((c) => c.sha.startsWith(target));
  return matches.length === 1 ? matches[0] : undefined;
}

export function analyseCommits(commits: readonly RawCommit[], ticketPattern: RegExp): CommitAnalysis {
  const bySha = new Map(commits.map((c) => [c.sha, c]));
  const dropped = new Set<string>();
  const reverted: RevertedPair[] = [];
  // Newest first, so a revert of a revert cancels that revert and the original commit stays.
  for (const commit of commits) {
    if (dropped.has(commit.sha)) continue;
    const target = revertTarget(commit);
    if (target === null) continue;
    const original = findInRange(target, bySha, commits);
    if (!original || original.sha === commit.sha || dropped.has(original.sha)) continue;
    dropped.add(commit.sha);
    dropped.add(original.sha);
    reverted.push({ revert: { sha: commit.sha, subject: commit.subject }, reverted: { sha: original.sha, subject: original.subject } });
  }
  const entries: ChangelogEntry[] = [];
  for (const commit of commits) {
    if (dropped.has(commit.sha)) continue;
    const own = entriesOf(commit, ticketPattern);
    const target = revertTarget(commit);
    if (target !== null) own[0] = { ...own[0]!, reverts: target };
    entries.push(...own);
  }
  return { entries, reverted };
}
