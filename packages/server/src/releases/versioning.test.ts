import { describe, expect, it } from 'vitest';

import {
  BumpTooLowError,
  NothingToReleaseError,
  VersionOrderError,
  maintenanceLine,
  nextHotfixVersion,
  nextVersion,
  parseCommit,
  requiredBump,
  type ChangelogEntry,
  type NextVersionInput,
  type RawCommit,
} from './versioning.js';
import { describeInvalidTagTemplate, parseTag, renderTag } from './tag-template.js';

const TICKETS = /[A-Z][A-Z0-9]+-\d+/;
let counter = 0;

function raw(message: string, extra: Partial<RawCommit> = {}): RawCommit {
  const [subject = '', ...rest] = message.split('\n');
  counter += 1;
  return {
    sha: counter.toString(16).padStart(40, 'a'),
    subject,
    body: rest.join('\n').replace(/^\n+/, ''),
    authorName: 'Ada',
    authorEmail: 'ada@example.com',
    authoredAt: '2026-01-05T10:00:00.000Z',
    ...extra,
  };
}

function entries(...messages: string[]): ChangelogEntry[] {
  return messages.map((message) => parseCommit(raw(message), TICKETS));
}

describe('parseCommit', () => {
  it('reads conventional subjects, scopes, breaking markers, footers and tickets', () => {
    const [feat, fix, bang, footer, hyphen, other, upper] = entries(
      'feat(auth): single sign-on (API-12)',
      'fix: null ids\n\nCloses API-3, also API-12 and API-3 again',
      'refactor(db)!: drop MySQL support',
      'feat: new config format\n\nLong explanation.\n\nBREAKING CHANGE: the old format is gone\nsee docs\nRefs: OPS-1',
      'perf: faster\n\nBREAKING-CHANGE: removed the slow path',
      'Update README.md',
      'FEAT: shouting',
    );
    expect(feat).toMatchObject({ type: 'feat', scope: 'auth', subject: 'single sign-on (API-12)', breaking: false, tickets: ['API-12'] });
    expect(feat!.author).toEqual({ name: 'Ada', email: 'ada@example.com' });
    expect(feat!.time).toBe('2026-01-05T10:00:00.000Z');
    expect(fix).toMatchObject({ type: 'fix', scope: null, subject: 'null ids', tickets: ['API-3', 'API-12'] });
    expect(bang).toMatchObject({ type: 'refactor', scope: 'db', subject: 'drop MySQL support', breaking: true });
    expect(bang!.breakingNote).toBeUndefined();
    expect(footer).toMatchObject({ type: 'feat', breaking: true, tickets: ['OPS-1'] });
    expect(footer!.breakingNote).toMatch(/^the old format is gone\nsee docs/);
    expect(hyphen).toMatchObject({ type: 'perf', breaking: true, breakingNote: 'removed the slow path' });
    expect(other).toMatchObject({ type: 'other', scope: null, subject: 'Update README.md', breaking: false, tickets: [] });
    expect(upper).toMatchObject({ type: 'feat', subject: 'shouting' });
  });

  it('does not treat prose mentioning breaking changes as a footer', () => {
    const [prose, lower] = entries(
      'fix: keep old behaviour\n\nThis avoids a BREAKING CHANGE for users.',
      'fix: x\n\nbreaking change: lower case is not the keyword',
    );
    expect(prose!.breaking).toBe(false);
    expect(lower!.breaking).toBe(false);
  });

  it('gives the same answer on the fast path and through conventional-commits-parser', () => {
    const messages = [
      'feat(auth): single sign-on (API-12)',
      'fix(a b): spaces in scope',
      'chore!: drop node 18',
      'feat(x)!: both\n\nBREAKING CHANGE: footer too',
      'Merge pull request #12 from org/branch',
      'Revert "feat: x"\n\nThis reverts commit abc.',
      'feat:missing space',
      'feat(): empty scope',
      'docs: ünïcode ✓ 100% %s %n',
      'fix: body only\n\nline 1\n-----\nline 2',
    ];
    for (const message of messages) {
      const commit = raw(message);
      expect(parseCommit(commit, TICKETS)).toEqual(parseCommit(commit, TICKETS, { alwaysUseParser: true }));
    }
  });

  it('handles an empty subject and a pattern given with flags', () => {
    const entry = parseCommit(raw('\n\nBREAKING CHANGE: hidden'), /[a-z]+-\d+/gi);
    expect(entry).toMatchObject({ type: 'other', subject: '', breaking: true, breakingNote: 'hidden' });
    expect(parseCommit(raw('fix: jira-1 and JIRA-2'), /[a-z]+-\d+/gi).tickets).toEqual(['jira-1', 'JIRA-2']);
  });

  it('parses 20,000 commits quickly (time printed, not asserted)', () => {
    const commits: RawCommit[] = [];
    for (let i = 0; i < 20_000; i++) {
      const type = ['feat', 'fix', 'chore', 'docs', 'Update'][i % 5];
      const breaking = i % 997 === 0 ? '\n\nBREAKING CHANGE: something moved' : '';
      commits.push(raw(`${type}(scope${i % 7}): change ${i} (API-${i})\n\nBody line about PROJ-${i % 50}.${breaking}`));
    }
    for (const run of [1, 2]) {
      const started = performance.now();
      const parsed = commits.map((commit) => parseCommit(commit, TICKETS));
      const fast = performance.now() - started;
      const startedLib = performance.now();
      commits.map((commit) => parseCommit(commit, TICKETS, { alwaysUseParser: true }));
      const lib = performance.now() - startedLib;
      console.log(
        `[timing] parseCommit × 20,000 (run ${run}): ${fast.toFixed(0)} ms with the fast path, ` +
          `${lib.toFixed(0)} ms always through conventional-commits-parser`,
      );
      expect(parsed).toHaveLength(20_000);
    }
  });
});

describe('requiredBump', () => {
  it('breaking → major, feat → minor, fix/perf → patch, else nothing; while major is 0 everything moves down one step', () => {
    expect(requiredBump(entries('fix: a', 'chore: b', 'Update x'), 1)).toBe('patch');
    expect(requiredBump(entries('perf: a', 'docs: b'), 1)).toBe('patch');
    expect(requiredBump(entries('chore: a', 'docs: b', 'Update x', 'refactor!: c'), 1)).toBe('major');
    expect(requiredBump(entries('chore: a', 'docs: b', 'Update x'), 1)).toBeNull();
    expect(requiredBump(entries('fix: a', 'feat: b'), 1)).toBe('minor');
    expect(requiredBump(entries('feat: a', 'fix!: b'), 1)).toBe('major');
    expect(requiredBump(entries('feat: a'), 0)).toBe('patch');
    expect(requiredBump(entries('feat: a', 'fix!: b'), 0)).toBe('minor');
  });

  it('follows a project\'s own rules, first match wins, and a catch-all restores "everything is a patch"', () => {
    const rules = [{ type: 'feat', scope: 'internal', release: 'patch' as const }, { type: 'feat', release: 'minor' as const }, { type: 'docs', scope: 'api-*', release: 'patch' as const }];
    expect(requiredBump(entries('feat(internal): a'), 1, rules)).toBe('patch');
    expect(requiredBump(entries('feat(internal): a', 'feat(web): b'), 1, rules)).toBe('minor');
    expect(requiredBump(entries('docs(api-users): a'), 1, rules)).toBe('patch');
    expect(requiredBump(entries('docs(web): a'), 1, rules)).toBeNull();
    expect(requiredBump(entries('fix!: a'), 1, rules)).toBeNull();
    expect(requiredBump(entries('chore: a', 'Update x'), 1, [{ release: 'patch' }])).toBe('patch');
    expect(requiredBump(entries('fix: a'), 1, [{ type: 'fix', release: 'none' }, { release: 'patch' }])).toBeNull();
  });
});

function next(overrides: Partial<NextVersionInput>): ReturnType<typeof nextVersion> {
  return nextVersion({ previousFinal: '1.4.0', existingVersions: ['1.4.0'], entries: entries('fix: a'), bump: 'auto', ...overrides });
}

describe('nextVersion', () => {
  it('starts at the initial version (default 1.0.0), or its rc.1', () => {
    const first = { previousFinal: null, existingVersions: [] };
    expect(next({ ...first, entries: entries('feat!: everything') })).toMatchObject({ version: '1.0.0', kind: 'major' });
    expect(next({ ...first, initialVersion: '0.1.0' })).toMatchObject({ version: '0.1.0', kind: 'minor' });
    // A first release happens at the initial version whatever the commits are.
    expect(next({ ...first, entries: entries('chore: initial commit') })).toMatchObject({ version: '1.0.0', decision: { applied: 'initial' } });
    expect(next({ ...first, prerelease: 'rc' })).toMatchObject({ version: '1.0.0-rc.1', kind: 'prerelease' });
    expect(next({ ...first, prerelease: 'rc', existingVersions: ['1.0.0-rc.1'] })).toMatchObject({ version: '1.0.0-rc.2', kind: 'prerelease' });
    expect(next({ ...first, existingVersions: ['1.0.0-rc.1', '1.0.0-rc.2'] })).toMatchObject({ version: '1.0.0', kind: 'major' });
    expect(() => next({ ...first, initialVersion: 'v1' })).toThrow(/initial version/);
  });

  it('bumps patch, minor and major from the commits', () => {
    expect(next({ entries: entries('fix: a', 'chore: b') })).toMatchObject({ version: '1.4.1', kind: 'patch' });
    expect(next({ entries: entries('fix: a', 'feat: b') })).toMatchObject({ version: '1.5.0', kind: 'minor' });
    expect(next({ entries: entries('feat: a', 'fix: b\n\nBREAKING CHANGE: c') })).toMatchObject({ version: '2.0.0', kind: 'major' });
    expect(() => next({ entries: entries('Update README') })).toThrow(NothingToReleaseError);
    expect(next({ entries: entries('Update README'), bump: 'patch' })).toMatchObject({ version: '1.4.1', kind: 'patch' });
  });

  it('says which rule decided the bump', () => {
    const { decision } = next({ entries: entries('fix: a', 'feat(api): search', 'chore: b') });
    expect(decision).toMatchObject({ required: 'minor', requested: 'auto', applied: 'minor', rule: { index: 1, type: 'feat', release: 'minor' }, commit: { subject: 'search' }, counts: { minor: 1, patch: 1, none: 1 } });
    expect(decision.reason).toMatch(/^minor because feat "search" \(\w{7}\) matched release rule 1 \{ type: feat \} → minor\.$/);
    expect(next({ entries: entries('chore: a'), bump: 'patch' }).decision).toMatchObject({ required: null, applied: 'patch', rule: null });
  });

  it('refuses when only commits that release nothing are pending, and says how to release them anyway', () => {
    let error: unknown;
    try {
      next({ entries: entries('chore: a', 'docs: b', 'chore(deps): c') });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NothingToReleaseError);
    expect((error as Error).message).toBe(
      'Only commits that release nothing are pending since 1.4.0 (3: chore ×2, docs ×1); by the default release rules only breaking changes, feat, fix and perf make a release. Send bump "patch" (slipway release create --bump patch) to release them anyway.',
    );
    expect(error).toMatchObject({ details: { since: '1.4.0', pending: 3, types: { chore: 2, docs: 1 } } });
  });

  it('applies the 0.x rules', () => {
    const zero = { previousFinal: '0.3.2', existingVersions: ['0.3.2'] };
    expect(next({ ...zero, entries: entries('feat: a') })).toMatchObject({ version: '0.3.3', kind: 'patch' });
    expect(next({ ...zero, entries: entries('feat!: a') })).toMatchObject({ version: '0.4.0', kind: 'minor' });
    expect(next({ ...zero, entries: entries('fix: a'), bump: 'major' })).toMatchObject({ version: '1.0.0', kind: 'major' });
  });

  it('lets an explicit bump raise the computed one but never lower it', () => {
    expect(next({ bump: 'minor' })).toMatchObject({ version: '1.5.0', kind: 'minor' });
    expect(next({ bump: 'major', entries: entries('feat: a') })).toMatchObject({ version: '2.0.0', kind: 'major' });
    expect(next({ bump: 'patch' })).toMatchObject({ version: '1.4.1', kind: 'patch' });
    const error = (() => {
      try {
        next({ bump: 'minor', entries: entries('fix: a', 'feat(api)!: remove v1 endpoints') });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(BumpTooLowError);
    expect(error).toMatchObject({ code: 'bump_too_low', required: 'major', requested: 'minor' });
    expect((error as Error).message).toMatch(/^The breaking change "remove v1 endpoints" \(\w{7}\) requires a major bump; "minor" would be too low/);
    expect(() => next({ bump: 'patch', entries: entries('feat: a') })).toThrow(/feature.*requires a minor bump/);
    expect(() => next({ previousFinal: '0.2.0', bump: 'patch', entries: entries('feat!: a') })).toThrow(/major version is 0/);
  });

  it('refuses when there is nothing to release', () => {
    expect(() => next({ entries: [] })).toThrow(NothingToReleaseError);
    expect(() => next({ entries: [] })).toThrow(/no new commits since 1\.4\.0/);
    expect(() => next({ entries: [], bump: 'major' })).toThrow(NothingToReleaseError);
  });

  it('numbers prereleases rc.1, rc.2, then the final; a new feature restarts at rc.1 of the new version', () => {
    const rc1 = next({ prerelease: 'rc', entries: entries('fix: a') });
    expect(rc1).toMatchObject({ version: '1.4.1-rc.1', kind: 'prerelease' });
    const rc2 = next({ prerelease: 'rc', entries: entries('fix: a', 'fix: b'), existingVersions: ['1.4.0', '1.4.1-rc.1'] });
    expect(rc2).toMatchObject({ version: '1.4.1-rc.2', kind: 'prerelease' });
    const afterFeat = next({ prerelease: 'rc', entries: entries('fix: a', 'fix: b', 'feat: c'), existingVersions: ['1.4.0', '1.4.1-rc.1', '1.4.1-rc.2'] });
    expect(afterFeat).toMatchObject({ version: '1.5.0-rc.1', kind: 'prerelease' });
    const final = next({
      entries: entries('fix: a', 'fix: b', 'feat: c'),
      existingVersions: ['1.4.0', '1.4.1-rc.1', '1.4.1-rc.2', '1.5.0-rc.1'],
      commitsSinceLatestRelease: 0,
    });
    expect(final).toMatchObject({ version: '1.5.0', kind: 'minor' });
    // An rc made with a larger explicit bump sets where the line is going.
    expect(next({ existingVersions: ['1.4.0', '1.5.0-rc.1'] })).toMatchObject({ version: '1.5.0', kind: 'minor' });
    expect(next({ prerelease: 'rc', existingVersions: ['1.4.0', '1.5.0-rc.1'] })).toMatchObject({ version: '1.5.0-rc.2', kind: 'prerelease' });
  });

  it('refuses another prerelease with no new commits, and one that would sort before an existing prerelease', () => {
    expect(() => next({ prerelease: 'rc', existingVersions: ['1.4.0', '1.4.1-rc.1'], commitsSinceLatestRelease: 0 })).toThrow(
      /no new commits since 1\.4\.1-rc\.1/,
    );
    expect(next({ prerelease: 'rc', existingVersions: ['1.4.0', '1.4.1-beta.3'] })).toMatchObject({ version: '1.4.1-rc.1', kind: 'prerelease' });
    expect(() => next({ prerelease: 'alpha', existingVersions: ['1.4.0', '1.4.1-rc.2'] })).toThrow(VersionOrderError);
    expect(() => next({ prerelease: 'rc.1' })).toThrow(/Prerelease identifier/);
    expect(() => next({ prerelease: '7' })).toThrow(/Prerelease identifier/);
  });

  it('jumps over versions taken by a hotfix line and lists them', () => {
    expect(next({ existingVersions: ['1.4.0', '1.4.1', '1.4.2'] })).toMatchObject({ version: '1.4.3', kind: 'patch', skipped: ['1.4.1', '1.4.2'] });
    expect(next({ prerelease: 'rc', existingVersions: ['1.4.0', '1.4.1'] })).toMatchObject({ version: '1.4.2-rc.1', kind: 'prerelease', skipped: ['1.4.1'] });
    expect(next({ entries: entries('feat: a'), existingVersions: ['1.4.0', '1.4.1'] })).toMatchObject({ version: '1.5.0', skipped: [] });
  });
});

describe('nextHotfixVersion', () => {
  const versions = ['1.3.0', '1.3.1', '1.4.0', '1.5.0-rc.1', '2.0.0'];

  it('takes the next free patch on the line, each line on its own', () => {
    expect(nextHotfixVersion('1.4', versions)).toBe('1.4.1');
    expect(nextHotfixVersion('1.4', [...versions, '1.4.1'])).toBe('1.4.2');
    expect(nextHotfixVersion('1.3.x', [...versions, '1.4.1'])).toBe('1.3.2');
    expect(nextHotfixVersion('2.0', versions)).toBe('2.0.1');
    expect(maintenanceLine('1.4.2')).toBe('1.4');
  });

  it('refuses a line without a release, and a malformed line', () => {
    expect(() => nextHotfixVersion('1.5', versions)).toThrow(/no release on line 1\.5/);
    expect(() => nextHotfixVersion('latest', versions)).toThrow(/maintenance line/);
  });
});

describe('tag templates', () => {
  it('renders and parses v{version} and {project}-v{version}', () => {
    expect(renderTag('v{version}', { version: '1.4.0', project: 'api' })).toBe('v1.4.0');
    expect(renderTag('{project}-v{version}', { version: '1.5.0-rc.1', project: 'api' })).toBe('api-v1.5.0-rc.1');
    expect(parseTag('v{version}', 'v1.4.0', 'api')).toBe('1.4.0');
    expect(parseTag('{project}-v{version}', 'api-v1.5.0-rc.1', 'api')).toBe('1.5.0-rc.1');
    expect(parseTag('{project}-v{version}', 'web-v1.5.0', 'api')).toBeNull();
    expect(parseTag('{version}-{project}', '1.0.0-rc.1-api', 'api')).toBe('1.0.0-rc.1');
    expect(parseTag('release/{version}', 'release/1.2.3', 'x')).toBe('1.2.3');
  });

  it('recognises only strict semver release tags', () => {
    for (const tag of ['v1.4', 'v01.4.0', 'vv1.4.0', 'v1.4.0.1', 'latest', 'v1.4.0 ', 'xv1.4.0']) {
      expect(parseTag('v{version}', tag, 'api')).toBeNull();
    }
    expect(parseTag('v.{version}', 'vX1.0.0', 'api')).toBeNull();
  });

  it('validates templates', () => {
    expect(describeInvalidTagTemplate('v{version}')).toBeNull();
    expect(describeInvalidTagTemplate('{project}-v{version}')).toBeNull();
    expect(describeInvalidTagTemplate('release-{project}')).toMatch(/\{version\}/);
    expect(describeInvalidTagTemplate('{version}-{version}')).toMatch(/exactly once/);
    expect(describeInvalidTagTemplate('v {version}')).toMatch(/not a valid git tag name/);
    expect(describeInvalidTagTemplate('{name}-{version}')).toMatch(/placeholders/);
  });
});
