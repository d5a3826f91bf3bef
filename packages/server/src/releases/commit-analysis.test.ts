import { describe, expect, it } from 'vitest';

import { analyseCommits, splitSquashBody } from './commit-analysis.js';
import { decideBump, DEFAULT_RELEASE_RULES, describeRuleProblems } from './release-rules.js';
import type { RawCommit } from './versioning.js';

const TICKETS = /[A-Z][A-Z0-9]+-\d+/;
let counter = 0;

function commit(message: string): RawCommit {
  const [subject = '', ...rest] = message.split('\n');
  counter += 1;
  return {
    sha: `${counter.toString(16).padStart(4, '0')}`.padEnd(40, 'c'),
    subject,
    body: rest.join('\n').replace(/^\n+/, ''),
    authorName: 'Ada',
    authorEmail: 'ada@example.com',
    authoredAt: '2026-01-05T10:00:00.000Z',
  };
}

/** Newest first, as git log gives them. */
const newestFirst = (...commits: RawCommit[]) => commits.reverse();

describe('reverts', () => {
  it('drops a commit and its revert inside the range, out of the notes and the bump', () => {
    const breaking = commit('feat!: new storage format (DB-1)');
    const revert = commit(`Revert "feat!: new storage format (DB-1)"\n\nThis reverts commit ${breaking.sha}.`);
    const feat = commit('feat: search (API-7)');
    const { entries, reverted } = analyseCommits(newestFirst(breaking, revert, feat), TICKETS);
    expect(entries.map((e) => e.subject)).toEqual(['search (API-7)']);
    expect(reverted).toEqual([{ revert: { sha: revert.sha, subject: revert.subject }, reverted: { sha: breaking.sha, subject: breaking.subject } }]);
    expect(decideBump(entries, DEFAULT_RELEASE_RULES, 13).required).toBe('minor');
  });

  it('matches abbreviated shas and the conventional "revert:" form', () => {
    const fix = commit('fix: cache key');
    const revert = commit(`revert: fix: cache key\n\nThis reverts commit ${fix.sha.slice(0, 10)}.`);
    expect(analyseCommits(newestFirst(fix, revert), TICKETS).entries).toEqual([]);
  });

  it('keeps the original when a revert is itself reverted', () => {
    const feat = commit('feat: export to CSV');
    const revert = commit(`Revert "feat: export to CSV"\n\nThis reverts commit ${feat.sha}.`);
    const reapply = commit(`Revert "Revert "feat: export to CSV""\n\nThis reverts commit ${revert.sha}.`);
    const { entries, reverted } = analyseCommits(newestFirst(feat, revert, reapply), TICKETS);
    expect(entries.map((e) => e.subject)).toEqual(['export to CSV']);
    expect(reverted.map((p) => p.revert.sha)).toEqual([reapply.sha]);
  });

  it('keeps a revert of a commit outside the range, marked: nothing by default, a patch when a rule says so', () => {
    const outside = 'ab'.repeat(20);
    const revert = commit(`Revert "feat: beta banner"\n\nThis reverts commit ${outside}.`);
    const chore = commit('chore: tidy');
    const { entries, reverted } = analyseCommits(newestFirst(revert, chore), TICKETS);
    expect(reverted).toEqual([]);
    expect(entries[1]).toMatchObject({ subject: 'Revert "feat: beta banner"', type: 'other', reverts: outside });
    expect(decideBump(entries, DEFAULT_RELEASE_RULES, 2)).toMatchObject({ required: null, rule: null });
    expect(decideBump(entries, [{ revert: true, release: 'patch' }], 2)).toMatchObject({ required: 'patch', rule: { index: 0, revert: true } });
  });
});

describe('squash-merge bodies', () => {
  it('turns further conventional-commit paragraphs into entries of their own, with their own footers and tickets', () => {
    const squash = commit(
      [
        'feat: adds v4 UUID to crypto (PAY-1)',
        '',
        'This adds support for v4 UUIDs to the library.',
        '',
        'fix(utils): unicode no longer throws exception (PAY-2)',
        '  PiperOrigin-RevId: 345559154',
        '  BREAKING-CHANGE: encode method no longer throws.',
        '',
        'feat(utils): update encode to support unicode',
        '  Refs PAY-3',
      ].join('\n'),
    );
    const { entries } = analyseCommits([squash], TICKETS);
    expect(entries.map((e) => [e.type, e.scope, e.subject, e.breaking, e.part ?? 0, e.tickets])).toEqual([
      ['feat', null, 'adds v4 UUID to crypto (PAY-1)', false, 0, ['PAY-1']],
      ['fix', 'utils', 'unicode no longer throws exception (PAY-2)', true, 1, ['PAY-2']],
      ['feat', 'utils', 'update encode to support unicode', false, 2, ['PAY-3']],
    ]);
    expect(entries[1]!.breakingNote).toBe('encode method no longer throws.');
    expect(entries.every((e) => e.sha === squash.sha)).toBe(true);
    expect(decideBump(entries, DEFAULT_RELEASE_RULES, 3).required).toBe('major');
  });

  it('leaves prose, capitalised footers and bullet lists alone', () => {
    const body = 'Note: this was hard.\n\nFixes: #12\n\n* fix: squashed commit listed by GitHub\n\nSigned-off-by: Ada <ada@example.com>';
    expect(splitSquashBody(body)).toEqual({ main: body, parts: [] });
    const { entries } = analyseCommits([commit(`chore: release tooling\n\n${body}`)], TICKETS);
    expect(entries).toHaveLength(1);
    expect(decideBump(entries, DEFAULT_RELEASE_RULES, 1).required).toBeNull();
  });

  it('drops every part of a squash commit that is reverted', () => {
    const squash = commit('feat: a\n\nfix: b');
    const revert = commit(`Revert "feat: a"\n\nThis reverts commit ${squash.sha}.`);
    expect(analyseCommits(newestFirst(squash, revert), TICKETS).entries).toEqual([]);
  });
});

describe('release rule validation', () => {
  it('refuses a catch-all before other rules', () => {
    expect(describeRuleProblems([{ release: 'patch' }, { type: 'feat', release: 'minor' }])).toEqual([
      { field: 'releaseRules/1', message: 'can never match: releaseRules/0 (every commit → patch) matches every commit first; put the catch-all last' },
    ]);
    expect(describeRuleProblems([...DEFAULT_RELEASE_RULES, { release: 'patch' }])).toEqual([]);
  });
});
