// Git helpers for benchmarks: real repositories in temp dirs, commits made in bulk with fast-import.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.com' };

export function git(cwd, args, input) {
  return execFileSync('git', args, { cwd, env: { ...ENV, MALLOC_TOP_PAD_: String(64 << 20) }, input, maxBuffer: 1 << 30 }).toString().trim();
}

/** A bare remote and a working clone with one commit pushed. */
export function makeRepository(root) {
  const remote = path.join(root, 'remote.git');
  const work = path.join(root, 'work');
  git(root, ['init', '--quiet', '--bare', '--initial-branch=main', remote]);
  git(root, ['init', '--quiet', '--initial-branch=main', work]);
  git(work, ['remote', 'add', 'origin', remote]);
  git(work, ['commit', '--quiet', '--allow-empty', '-m', 'chore: initial commit']);
  git(work, ['push', '--quiet', 'origin', 'main']);
  return { remote, work };
}

/** Appends `count` conventional commits with ticket keys to main (fast-import) and pushes them. */
export function appendCommits(work, count) {
  const parent = git(work, ['rev-parse', 'HEAD']);
  const start = Number(git(work, ['log', '-1', '--format=%ct'])) + 1;
  const chunks = [];
  for (let i = 0; i < count; i++) {
    const type = i % 10 === 0 ? 'feat' : i % 3 === 0 ? 'chore' : 'fix';
    const text = `${type}(core): change ${i} (PAY-${i})\n\nDetails of change ${i}.\n`;
    const content = `change ${i}\n`;
    chunks.push(
      'commit refs/heads/main\n',
      `author Bench <bench@example.com> ${start + i} +0000\ncommitter Bench <bench@example.com> ${start + i} +0000\n`,
      `data ${Buffer.byteLength(text)}\n${text}`,
      i === 0 ? `from ${parent}\n` : '',
      `M 644 inline file-${i % 10}.txt\ndata ${Buffer.byteLength(content)}\n${content}\n`,
    );
  }
  git(work, ['fast-import', '--quiet', '--force'], chunks.join(''));
  git(work, ['reset', '--quiet', '--hard', 'HEAD']);
  git(work, ['push', '--quiet', 'origin', 'main']);
  return git(work, ['rev-parse', 'HEAD']);
}
