import { describe, expect, it } from 'vitest';

import { collectAuthors, collectTickets, groupChangelog, releaseNotes, renderNotesMarkdown } from './changelog.js';
import { parseCommit, type ChangelogEntry } from './versioning.js';

const TICKETS = /[A-Z][A-Z0-9]+-\d+/;

function entry(sha: string, message: string, author = { name: 'Ada', email: 'ada@example.com' }): ChangelogEntry {
  const [subject = '', ...body] = message.split('\n');
  return parseCommit(
    { sha: sha.padEnd(40, '0'), subject, body: body.join('\n').trim(), authorName: author.name, authorEmail: author.email, authoredAt: '2026-01-05T10:00:00.000Z' },
    TICKETS,
  );
}

const entries = [
  entry('a1', 'feat(auth): single sign-on (API-1)'),
  entry('b2', 'fix: null ids (API-2)', { name: 'Bob', email: 'bob@example.com' }),
  entry('c3', 'feat!: new config\n\nBREAKING CHANGE: old keys are gone\n\nRefs API-1, OPS-9'),
  entry('d4', 'Update README with <script> and *stars*', { name: 'ADA', email: 'ADA@example.com' }),
  entry('e5', 'chore: deps'),
];

describe('changelog', () => {
  it('groups every entry exactly once, breaking first', () => {
    const groups = groupChangelog(entries);
    expect(groups.breaking.map((e) => e.sha.slice(0, 2))).toEqual(['c3']);
    expect(groups.features.map((e) => e.sha.slice(0, 2))).toEqual(['a1']);
    expect(groups.fixes.map((e) => e.sha.slice(0, 2))).toEqual(['b2']);
    expect(groups.other.map((e) => e.sha.slice(0, 2))).toEqual(['d4', 'e5']);
  });

  it('collects unique tickets and authors in order of appearance', () => {
    expect(collectTickets(entries)).toEqual(['API-1', 'API-2', 'OPS-9']);
    expect(collectAuthors(entries)).toEqual([
      { name: 'Ada', email: 'ada@example.com', commits: 4 },
      { name: 'Bob', email: 'bob@example.com', commits: 1 },
    ]);
  });

  it('renders Markdown notes with escaped commit text', () => {
    const markdown = renderNotesMarkdown({ project: 'api', version: '2.0.0', tag: 'v2.0.0', previousVersion: '1.4.0', date: '2026-01-05T10:00:00.000Z', entries });
    expect(markdown).toContain('# api 2.0.0');
    expect(markdown).toContain('Tag `v2.0.0` · 2026-01-05 · changes since 1.4.0');
    expect(markdown).toContain('## ⚠ Breaking changes\n\n- new config (API-1, OPS-9) (`c300000`)\n  old keys are gone');
    expect(markdown).toContain('## Features\n\n- **auth:** single sign-on (API-1) (`a100000`)');
    expect(markdown).not.toContain('(API-1) (API-1)');
    expect(markdown).toContain('## Fixes');
    expect(markdown).toContain('Update README with \\<script\\> and \\*stars\\*');
    expect(markdown).toContain('## Tickets\n\nAPI-1, API-2, OPS-9');
    expect(markdown).toContain('- Bob (bob@example.com) — 1 commit');
    expect(markdown.indexOf('Breaking')).toBeLessThan(markdown.indexOf('Features'));
  });

  it('does not print a ticket twice when the subject already names it (#2069 style keys too)', () => {
    const pr = parseCommit({ sha: 'f6'.padEnd(40, '0'), subject: 'fix(api): retry on 503 (#2069)', body: 'Closes #2070', authorName: 'Ada', authorEmail: 'a@example.com', authoredAt: '2026-01-05T10:00:00.000Z' }, /#\d+/);
    const markdown = renderNotesMarkdown({ project: 'api', version: '1.0.1', tag: 'v1.0.1', previousVersion: '1.0.0', date: '2026-01-05', entries: [pr] });
    expect(markdown).toContain('- **api:** retry on 503 (\\#2069) (\\#2070) (`f600000`)');
    expect(markdown.match(/#2069/g)).toHaveLength(2); // the entry once, the Tickets section once
  });

  it('renders a first release and an empty one, and the same data as JSON', () => {
    expect(renderNotesMarkdown({ project: 'api', version: '1.0.0', tag: 'v1.0.0', previousVersion: null, date: '2026-01-05', entries: [] })).toContain(
      'first release\n\nNo changes.',
    );
    const notes = releaseNotes({ project: 'api', version: '2.0.0', tag: 'v2.0.0', previousVersion: '1.4.0', date: '2026-01-05', entries });
    expect(notes.tickets).toEqual(['API-1', 'API-2', 'OPS-9']);
    expect(notes.features).toHaveLength(1);
  });
});
