import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createTestRepository, type TestRepository } from '../testing/git-fixtures.js';
import { BranchMovedError, CherryPickConflictError, RefNotFoundError, RepositoryUnreachableError, TagExistsError } from './git-errors.js';
import { ProjectRepository } from './project-repository.js';

let origin: TestRepository;
let dataDir: string;
let repo: ProjectRepository;

beforeEach(async () => {
  origin = await createTestRepository();
  dataDir = await mkdtemp(path.join(tmpdir(), 'slipway-data-'));
  repo = new ProjectRepository({ remote: origin.remote, dir: path.join(dataDir, 'repos', 'api.git') });
});

afterEach(async () => {
  await origin.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

async function worktreesOfClone(): Promise<string[]> {
  const entries = await readdir(path.join(repo.dir, 'worktrees')).catch(() => []);
  return entries;
}

describe('sync and resolution', () => {
  it('clones on first sync, then fetches new branches, tags and deletions', async () => {
    const first = await origin.commit('feat: first');
    await origin.push();
    await repo.sync();
    expect(await repo.resolveCommit('main')).toBe(first);

    const second = await origin.commit('fix: second');
    await origin.tag('v1.0.0', { message: 'release 1.0.0' });
    await origin.branch('feature/x');
    const third = await origin.commit('feat: on a branch');
    await origin.push('main', 'feature/x', '--tags');
    await repo.sync();
    expect(await repo.resolveCommit('main')).toBe(second);
    expect(await repo.resolveCommit('origin/feature/x')).toBe(third);
    expect(await repo.resolveCommit('refs/heads/feature/x')).toBe(third);
    expect(await repo.resolveCommit('v1.0.0')).toBe(second);
    expect(await repo.listTags()).toEqual(new Map([['v1.0.0', second]]));

    await origin.push(':refs/heads/feature/x', ':refs/tags/v1.0.0');
    await repo.sync();
    await expect(repo.resolveCommit('feature/x')).rejects.toBeInstanceOf(RefNotFoundError);
    expect(await repo.listTags()).toEqual(new Map());
  });

  it('syncs an empty remote', async () => {
    await repo.sync();
    await repo.sync();
    expect(await repo.listTags()).toEqual(new Map());
    await expect(repo.defaultBranch()).rejects.toThrow(/no branch/);
    await expect(repo.resolveCommit('main')).rejects.toBeInstanceOf(RefNotFoundError);
  });

  it('accepts full and abbreviated shas and a non-bare repository path as the remote', async () => {
    const sha = await origin.commit('feat: first');
    const fromWorkingCopy = new ProjectRepository({ remote: origin.work, dir: path.join(dataDir, 'repos', 'work.git') });
    await fromWorkingCopy.sync();
    expect(await fromWorkingCopy.resolveCommit(sha)).toBe(sha);
    expect(await fromWorkingCopy.resolveCommit(sha.slice(0, 10))).toBe(sha);
  });

  it('rejects unknown refs, malformed refs and non-commits with RefNotFoundError', async () => {
    await origin.commit('feat: first');
    const blob = await origin.gitWith(['hash-object', '-w', '--stdin'], { input: 'just a blob\n' });
    await origin.git('tag', 'blob-tag', blob);
    await origin.push();
    await repo.sync();
    await expect(repo.resolveCommit('does-not-exist')).rejects.toBeInstanceOf(RefNotFoundError);
    await expect(repo.resolveCommit('0'.repeat(40))).rejects.toBeInstanceOf(RefNotFoundError);
    await expect(repo.resolveCommit('--upload-pack=touch /tmp/x')).rejects.toBeInstanceOf(RefNotFoundError);
    await expect(repo.resolveCommit('main..other')).rejects.toBeInstanceOf(RefNotFoundError);
    await expect(repo.resolveCommit(':/feat')).rejects.toBeInstanceOf(RefNotFoundError);
    await expect(repo.resolveCommit('blob-tag')).rejects.toThrow(/is not a commit/);
    await expect(repo.log(null, 'nope')).rejects.toBeInstanceOf(RefNotFoundError);
  });

  it('reads the default branch from the remote', async () => {
    await origin.commit('feat: first');
    await origin.branch('trunk');
    await origin.push('trunk', 'main');
    await repo.sync();
    expect(await repo.defaultBranch()).toBe('main');
    await origin.remoteGit('symbolic-ref', 'HEAD', 'refs/heads/trunk');
    expect(await repo.defaultBranch()).toBe('trunk');
  });

  it('fails with RepositoryUnreachableError for a missing path, a directory that is not a repository, and a dead URL', async () => {
    const missing = new ProjectRepository({ remote: path.join(dataDir, 'nope.git'), dir: path.join(dataDir, 'repos', 'a.git') });
    await expect(missing.sync()).rejects.toBeInstanceOf(RepositoryUnreachableError);
    const notRepo = new ProjectRepository({ remote: dataDir, dir: path.join(dataDir, 'repos', 'b.git') });
    await expect(notRepo.sync()).rejects.toThrow(/not appear to be a git repository|not a git repository/);

    const secret = 's3cr3t-token';
    const dead = new ProjectRepository({ remote: `https://alice:${secret}@127.0.0.1:9/repo.git`, dir: path.join(dataDir, 'repos', 'c.git') });
    const error = await dead.sync().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RepositoryUnreachableError);
    const unreachable = error as RepositoryUnreachableError;
    expect(unreachable.code).toBe('repository_unreachable');
    expect(unreachable.message).not.toContain(secret);
    expect(JSON.stringify(unreachable.details)).not.toContain(secret);
    expect(unreachable.message).toMatch(/127\.0\.0\.1/);
    await expect(dead.remoteTag('v1')).rejects.toSatisfy((e: Error) => e instanceof RepositoryUnreachableError && !e.message.includes(secret));
  });

  it('refuses remotes that could run commands or read as options', () => {
    for (const remote of ['ext::sh -c touch% /tmp/pwned', '--upload-pack=touch /tmp/x', 'relative/path', 'ssh://-oProxyCommand=x/repo', 'fd::3']) {
      expect(() => new ProjectRepository({ remote, dir: path.join(dataDir, 'x.git') })).toThrow(/repository/);
    }
    for (const remote of ['https://git.example.com/a/b.git', 'git@github.com:org/repo.git', 'ssh://git@host:22/repo.git', '/srv/git/repo.git']) {
      expect(() => new ProjectRepository({ remote, dir: path.join(dataDir, 'x.git') })).not.toThrow();
    }
  });
});

describe('log', () => {
  it('returns commits newest first with multi-line bodies, unicode and separator characters intact', async () => {
    const base = await origin.commit('chore: base');
    const odd = 'fix(ünïcode): 100% done \x1e\x1f %x00 %H — 日本語';
    const body = 'First line of body.\n\nSecond paragraph with %s and %n and \x1f and \x1e.\n\nBREAKING CHANGE: the API moved\nRefs: API-7';
    const oddSha = await origin.commit(`${odd}\n\n${body}\n`, undefined, {
      author: { name: 'Zoë Ünïcode', email: 'zoe@example.com' },
      date: '2026-01-05T10:00:00+02:00',
    });
    const last = await origin.commit('feat: last');
    await origin.push();
    await repo.sync();

    const commits = await repo.log(base, 'main');
    expect(commits.map((c) => c.sha)).toEqual([last, oddSha]);
    expect(commits[1]).toEqual({
      sha: oddSha,
      subject: odd,
      body,
      authorName: 'Zoë Ünïcode',
      authorEmail: 'zoe@example.com',
      authoredAt: '2026-01-05T08:00:00.000Z',
    });
    expect(commits[0]!.body).toBe('');
    expect((await repo.log(null, last)).map((c) => c.sha)).toEqual([last, oddSha, base]);
    expect(await repo.log(last, last)).toEqual([]);
    expect(await repo.countCommits(base, last)).toBe(2);
    expect(await repo.countCommits(null, last)).toBe(3);
  });

  it('leaves merge commits out unless asked', async () => {
    await origin.commit('chore: base');
    const base = await origin.head();
    await origin.branch('topic');
    await origin.commit('feat: on topic');
    await origin.checkout('main');
    await origin.commit('fix: on main');
    await origin.git('merge', '--no-ff', '--quiet', '-m', 'Merge branch topic', 'topic');
    await origin.push('main');
    await repo.sync();
    expect((await repo.log(base, 'main')).map((c) => c.subject).sort()).toEqual(['feat: on topic', 'fix: on main']);
    expect(await repo.log(base, 'main', { includeMerges: true })).toHaveLength(3);
  });
});

describe('tags', () => {
  it('creates and pushes an annotated tag, then refuses to push an existing one and leaves the remote unchanged', async () => {
    const first = await origin.commit('feat: first');
    const second = await origin.commit('fix: second');
    await origin.push();
    await repo.sync();

    const tagObject = await repo.createAnnotatedTag('v1.0.0', first, 'Release 1.0.0\n\n- feat: first');
    await repo.pushTag('v1.0.0');
    expect(await origin.remoteGit('cat-file', '-t', 'refs/tags/v1.0.0')).toBe('tag');
    expect(await origin.remoteGit('rev-parse', 'refs/tags/v1.0.0')).toBe(tagObject);
    expect(await origin.remoteGit('cat-file', '-p', 'v1.0.0')).toContain('tagger Slipway <slipway@localhost>');
    expect(await repo.remoteTag('v1.0.0')).toBe(first);
    expect((await repo.listTags()).get('v1.0.0')).toBe(first);

    // The mirror knows the tag: creating it again fails before anything is pushed.
    await expect(repo.createAnnotatedTag('v1.0.0', second, 'again')).rejects.toBeInstanceOf(TagExistsError);

    // A tag made by hand in the remote after the last sync: the push is refused, the remote keeps its tag.
    await origin.tag('v1.1.0', { message: 'by hand', ref: second });
    await origin.push('refs/tags/v1.1.0');
    const byHand = await origin.remoteGit('rev-parse', 'refs/tags/v1.1.0');
    await repo.createAnnotatedTag('v1.1.0', first, 'Release 1.1.0');
    await expect(repo.pushTag('v1.1.0')).rejects.toBeInstanceOf(TagExistsError);
    expect(await origin.remoteGit('rev-parse', 'refs/tags/v1.1.0')).toBe(byHand);
    expect(await repo.remoteTag('v1.1.0')).toBe(second);
    await repo.deleteLocalTag('v1.1.0');
    await repo.deleteLocalTag('v1.1.0');
  });

  it('lists the tags merged into a commit, and deletes a just-pushed tag only while it is unchanged', async () => {
    const first = await origin.commit('feat: first');
    await origin.tag('v1.0.0', { message: 'v1' });
    const second = await origin.commit('fix: second');
    await origin.push();
    await repo.sync();
    await repo.createAnnotatedTag('v1.0.1', second, 'v1.0.1');
    await repo.pushTag('v1.0.1');
    expect(await repo.mergedTags(first)).toEqual(new Set(['v1.0.0']));
    expect(await repo.mergedTags('main')).toEqual(new Set(['v1.0.0', 'v1.0.1']));

    await expect(repo.deleteRemoteTag('v1.0.1', first)).rejects.toThrow(/does not point at/);
    await repo.deleteRemoteTag('v1.0.1', second);
    expect(await repo.remoteTag('v1.0.1')).toBeNull();
    expect(await repo.mergedTags('main')).toEqual(new Set(['v1.0.0']));

    // A tag replaced by hand after Slipway pushed it is left alone.
    await repo.createAnnotatedTag('v1.0.2', second, 'v1.0.2');
    await repo.pushTag('v1.0.2');
    await origin.git('tag', '-a', '-m', 'by hand', 'v1.0.2', second);
    await origin.push('--force', 'refs/tags/v1.0.2');
    const byHand = await origin.remoteGit('rev-parse', 'refs/tags/v1.0.2');
    await expect(repo.deleteRemoteTag('v1.0.2', second)).rejects.toThrow(/rejected/);
    expect(await origin.remoteGit('rev-parse', 'refs/tags/v1.0.2')).toBe(byHand);
    await expect(repo.deleteRemoteTag('v7.0.0', second)).rejects.toBeInstanceOf(RefNotFoundError);
  });

  it('a lightweight tag in the remote also counts as existing', async () => {
    const first = await origin.commit('feat: first');
    await origin.tag('v2.0.0');
    await origin.push('main', 'refs/tags/v2.0.0');
    await repo.sync();
    expect(await repo.listTags()).toEqual(new Map([['v2.0.0', first]]));
    expect(await repo.remoteTag('v2.0.0')).toBe(first);
  });

  it('remoteTag follows a tag deleted or moved in the remote, and sync mirrors it without touching unpushed local tags', async () => {
    const first = await origin.commit('feat: first');
    const second = await origin.commit('fix: second');
    await origin.tag('v1.0.0', { message: 'v1', ref: first });
    await origin.push('main', 'refs/tags/v1.0.0');
    await repo.sync();
    await repo.createAnnotatedTag('v9.9.9', first, 'unpushed');

    await origin.git('tag', '-f', '-a', '-m', 'moved', 'v1.0.0', second);
    await origin.push('--force', 'refs/tags/v1.0.0');
    expect(await repo.remoteTag('v1.0.0')).toBe(second);
    await repo.sync();
    expect((await repo.listTags()).get('v1.0.0')).toBe(second);

    await origin.push(':refs/tags/v1.0.0');
    expect(await repo.remoteTag('v1.0.0')).toBeNull();
    await repo.sync();
    expect(await repo.listTags()).toEqual(new Map());
    // The unpushed tag survived both fetches and can still be pushed.
    await repo.pushTag('v9.9.9');
    expect(await repo.remoteTag('v9.9.9')).toBe(first);
  });

  it('refuses invalid tag names before running git', async () => {
    await origin.commit('feat: first');
    await origin.push();
    await repo.sync();
    const head = await repo.resolveCommit('main');
    for (const name of ['-f', 'a..b', 'v1 0', 'v1^', 'x.lock', 'end.', '@']) {
      await expect(repo.createAnnotatedTag(name, head, 'x')).rejects.toThrow(/not a valid git tag name/);
    }
  });
});

describe('hotfixes', () => {
  async function releasedLine(): Promise<{ tagCommit: string; fixOnMain: string }> {
    await origin.commit('feat: app', { 'app.txt': 'line 1\nline 2\nline 3\n', 'config.txt': 'a = 1\nb = 2\n' });
    const tagCommit = await origin.head();
    await origin.tag('v1.4.0', { message: 'v1.4.0' });
    await origin.commit('feat: unrelated work on main', { 'other.txt': 'other\n' });
    const fixOnMain = await origin.commit('fix: line 2 (API-9)', { 'app.txt': 'line 1\nline 2 fixed\nline 3\n' });
    await origin.push();
    await repo.sync();
    return { tagCommit, fixOnMain };
  }

  it('cherry-picks onto a commit without touching the remote, then publishes branch and tag in one atomic push', async () => {
    const { tagCommit, fixOnMain } = await releasedLine();
    expect(await repo.remoteBranch('hotfix/1.4.x')).toBeNull();
    const before = await origin.remoteGit('for-each-ref');
    const head = await repo.cherryPick(tagCommit, [fixOnMain.slice(0, 12)], 'hotfix/1.4.x');
    // Nothing reaches the remote before publish.
    expect(await origin.remoteGit('for-each-ref')).toBe(before);
    await repo.createAnnotatedTag('v1.4.1', head, 'v1.4.1');
    await repo.publish({ tag: 'v1.4.1', branch: { name: 'hotfix/1.4.x', head, expected: null } });
    expect(await origin.remoteGit('rev-parse', 'refs/heads/hotfix/1.4.x')).toBe(head);
    expect(await origin.remoteGit('rev-parse', 'v1.4.1^{commit}')).toBe(head);
    expect(await repo.remoteBranch('hotfix/1.4.x')).toBe(head);

    const [picked] = await repo.log(tagCommit, head);
    expect(picked).toMatchObject({ subject: 'fix: line 2 (API-9)', authorName: 'Test Author' });
    expect(picked!.body).toContain(`(cherry picked from commit ${fixOnMain})`);
    expect((await repo.messages([head])).get(head)).toContain(`(cherry picked from commit ${fixOnMain})`);
    expect(await origin.remoteGit('show', '-s', '--format=%cn <%ce>', head)).toBe('Slipway <slipway@localhost>');
    expect(await worktreesOfClone()).toEqual([]);
    expect(await repo.isAncestor(tagCommit, head)).toBe(true);
    expect(await repo.isAncestor(head, tagCommit)).toBe(false);
    expect(await repo.changedPaths([head])).toEqual(['app.txt']);
    expect(await repo.mergeBase(head, 'main')).toBe(tagCommit);
  });

  it('reports a conflict naming the commit and files, with the remote untouched and no worktree left', async () => {
    const { tagCommit } = await releasedLine();
    await origin.commit('refactor: rewrite app', { 'app.txt': 'completely\ndifferent\n', 'b.txt': 'b\n' });
    const conflicting = await origin.commit('fix: tweak app', { 'app.txt': 'completely\ndifferent!\n', 'b.txt': 'b2\n' });
    await origin.push();
    await repo.sync();
    const before = await origin.remoteGit('for-each-ref');

    const error = await repo.cherryPick(tagCommit, [conflicting], 'hotfix/1.4.x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CherryPickConflictError);
    const conflict = error as CherryPickConflictError;
    expect(conflict.commit).toBe(conflicting);
    expect(conflict.files).toEqual(expect.arrayContaining(['app.txt', 'b.txt']));
    expect(conflict.code).toBe('cherry_pick_conflict');
    expect(conflict.message).toContain('hotfix/1.4.x');
    expect(await origin.remoteGit('for-each-ref')).toBe(before);
    expect(await worktreesOfClone()).toEqual([]);
    // The clone is still usable afterwards.
    await repo.sync();
  });

  it('skips a commit whose change is already there', async () => {
    const { tagCommit, fixOnMain } = await releasedLine();
    const once = await repo.cherryPick(tagCommit, [fixOnMain], 'hotfix/1.4.x');
    expect(await repo.cherryPick(once, [fixOnMain], 'hotfix/1.4.x')).toBe(once);
    expect((await repo.log(tagCommit, once)).length).toBe(1);
    expect(await worktreesOfClone()).toEqual([]);
  });

  it('refuses merge commits and unknown commits without touching anything', async () => {
    const { tagCommit } = await releasedLine();
    await origin.branch('topic');
    await origin.commit('feat: topic');
    await origin.checkout('main');
    await origin.git('merge', '--no-ff', '--quiet', '-m', 'Merge topic', 'topic');
    await origin.push('main');
    await repo.sync();
    const merge = await repo.resolveCommit('main');
    await expect(repo.cherryPick(tagCommit, [merge], 'hotfix/1.4.x')).rejects.toThrow(/is a merge commit/);
    await expect(repo.cherryPick(tagCommit, ['f'.repeat(40)], 'hotfix/1.4.x')).rejects.toBeInstanceOf(RefNotFoundError);
    await expect(repo.cherryPick('v9.9.9', [merge], 'hotfix/9.9.x')).rejects.toBeInstanceOf(RefNotFoundError);
    expect(await worktreesOfClone()).toEqual([]);
  });

  it('refuses the whole publish when the branch moved or the tag exists, leaving the remote exactly as it was', async () => {
    const { tagCommit, fixOnMain } = await releasedLine();
    const head = await repo.cherryPick(tagCommit, [fixOnMain], 'hotfix/1.4.x');
    // Someone creates the line branch by hand meanwhile: the lease "must not exist" fails, the tag is not pushed either.
    await origin.git('push', '--quiet', 'origin', `${tagCommit}:refs/heads/hotfix/1.4.x`);
    const before = await origin.remoteGit('for-each-ref');
    await repo.createAnnotatedTag('v1.4.1', head, 'v1.4.1');
    await expect(repo.publish({ tag: 'v1.4.1', branch: { name: 'hotfix/1.4.x', head, expected: null } })).rejects.toBeInstanceOf(BranchMovedError);
    expect(await origin.remoteGit('for-each-ref')).toBe(before);

    // A tag made by hand: the branch is not moved either.
    await origin.git('tag', 'v1.4.1', tagCommit);
    await origin.push('refs/tags/v1.4.1');
    const withTag = await origin.remoteGit('for-each-ref');
    await expect(repo.publish({ tag: 'v1.4.1', branch: { name: 'hotfix/1.4.x', head, expected: tagCommit } })).rejects.toBeInstanceOf(TagExistsError);
    expect(await origin.remoteGit('for-each-ref')).toBe(withTag);

    // unpublish puts both back, only while they are what was pushed.
    await repo.deleteLocalTag('v1.4.1');
    await repo.createAnnotatedTag('v1.4.2', head, 'v1.4.2');
    await repo.publish({ tag: 'v1.4.2', branch: { name: 'hotfix/1.4.x', head, expected: tagCommit } });
    await repo.unpublish({ tag: 'v1.4.2', expectedCommit: head, branch: { name: 'hotfix/1.4.x', head, restore: tagCommit } });
    expect(await origin.remoteGit('for-each-ref')).toBe(withTag);
  });

  it('treats an identical tag pushed by someone else as taken', async () => {
    const { tagCommit } = await releasedLine();
    const other = new ProjectRepository({ remote: origin.remote, dir: path.join(dataDir, 'repos', 'other.git') });
    await other.sync();
    // Same name, target, tagger and message in the same second: the very same tag object.
    await repo.createAnnotatedTag('v1.5.0', tagCommit, 'same');
    await other.createAnnotatedTag('v1.5.0', tagCommit, 'same');
    await other.pushTag('v1.5.0');
    await expect(repo.pushTag('v1.5.0')).rejects.toBeInstanceOf(TagExistsError);
  });
});

describe('exclusive', () => {
  it('serialises operations on one clone and is re-entrant inside exclusive()', async () => {
    await origin.commit('feat: first');
    await origin.push();
    const order: string[] = [];
    const slow = repo.exclusive(async () => {
      order.push('a:start');
      await repo.sync();
      await new Promise((resolve) => setTimeout(resolve, 50));
      order.push('a:end');
    });
    const other = new ProjectRepository({ remote: origin.remote, dir: repo.dir });
    const fast = other.exclusive(async () => {
      order.push('b');
    });
    await Promise.all([slow, fast]);
    expect(order).toEqual(['a:start', 'a:end', 'b']);
  });
});
