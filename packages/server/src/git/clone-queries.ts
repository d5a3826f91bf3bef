import { ValidationError } from '../shared/errors.js';
import { REMOTE_TAGS, resolutionCandidates } from './bare-clone.js';
import { RefNotFoundError } from './git-errors.js';
import { parseBatchCheck } from './git-output.js';
import type { RepoGit } from './worktree.js';

/** Read-only questions to the server's bare clone, used by `ProjectRepository` (which holds the lock). */

const BATCH_CHECK = '--batch-check=%(objectname) %(objecttype)';

/** See `ProjectRepository.resolveCommit`: every candidate location is checked in one `cat-file`. */
export async function resolveInClone(git: RepoGit, ref: string): Promise<string> {
  const candidates = resolutionCandidates(ref);
  const input = candidates.flatMap((candidate) => [candidate, `${candidate}^{commit}`]).join('\n') + '\n';
  const answers = parseBatchCheck((await git(['cat-file', BATCH_CHECK], { input })).stdout);
  for (let i = 0; i < candidates.length; i++) {
    if (!answers[2 * i]) continue;
    const commit = answers[2 * i + 1];
    if (commit?.type === 'commit') return commit.sha;
    throw new RefNotFoundError(ref, 'is not a commit');
  }
  throw new RefNotFoundError(ref);
}

/** A tag of the remote as mirrored in the clone. */
export interface MirroredTag {
  /** The commit it points at (annotated tags peeled, tags of tags followed). */
  commit: string;
  /** Tagger date for an annotated tag, committer date for a lightweight one (ISO 8601). */
  date: string;
  annotated: boolean;
}

/**
 * The mirrored remote tags: name → commit, date and kind (annotated tags peeled, tags of tags followed).
 * Tags of non-commits (trees, blobs) are listed in `notCommits`.
 */
export async function listMirroredTagDetails(git: RepoGit): Promise<{ tags: Map<string, MirroredTag>; notCommits: string[] }> {
  const { stdout } = await git([
    'for-each-ref',
    '--format=%(refname)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)%00%(creatordate:iso-strict)',
    REMOTE_TAGS,
  ]);
  const tags = new Map<string, MirroredTag>();
  const nested: Array<{ name: string; date: string }> = [];
  const notCommits: string[] = [];
  for (const line of stdout.split('\n')) {
    if (!line) continue;
    const [refname = '', type, sha = '', peeledType, peeled = '', date = ''] = line.split('\0');
    const name = refname.slice(REMOTE_TAGS.length);
    const when = date ? new Date(date).toISOString() : new Date(0).toISOString();
    if (type === 'commit') tags.set(name, { commit: sha, date: when, annotated: false });
    else if (type === 'tag' && peeledType === 'commit') tags.set(name, { commit: peeled, date: when, annotated: true });
    else if (type === 'tag' && peeledType === 'tag') nested.push({ name, date: when });
    else notCommits.push(name);
  }
  if (nested.length > 0) {
    const input = nested.map(({ name }) => `${REMOTE_TAGS}${name}^{commit}`).join('\n') + '\n';
    const answers = parseBatchCheck((await git(['cat-file', BATCH_CHECK], { input })).stdout);
    nested.forEach(({ name, date }, i) => {
      const answer = answers[i];
      if (answer?.type === 'commit') tags.set(name, { commit: answer.sha, date, annotated: true });
      else notCommits.push(name);
    });
  }
  return { tags, notCommits };
}

/** The mirrored remote tags: name → commit (annotated tags peeled, tags of tags followed, tags of non-commits left out). */
export async function listMirroredTags(git: RepoGit): Promise<Map<string, string>> {
  const { tags } = await listMirroredTagDetails(git);
  return new Map([...tags].map(([name, tag]) => [name, tag.commit]));
}

/** The object a full ref name points at, or null. */
export async function refValue(git: RepoGit, fullRef: string): Promise<string | null> {
  const { stdout } = await git(['rev-parse', '--verify', '--quiet', fullRef], { okExitCodes: [1] });
  return stdout.trim() || null;
}

/** The commit a full ref name peels to; {@link RefNotFoundError} naming `shown` otherwise. */
export async function peeledCommit(git: RepoGit, fullRef: string, shown: string): Promise<string> {
  const sha = await refValue(git, `${fullRef}^{commit}`);
  if (!sha) throw new RefNotFoundError(shown);
  return sha;
}

/** Short names of the refs under `prefix`. */
export async function refNames(git: RepoGit, prefix: string): Promise<string[]> {
  const { stdout } = await git(['for-each-ref', '--format=%(refname)', prefix]);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((name) => name.slice(prefix.length));
}

/** Cherry-picking a merge needs a mainline choice Slipway will not guess: refuse merges up front. */
export async function rejectMerges(git: RepoGit, commits: readonly string[]): Promise<void> {
  if (commits.length === 0) return;
  const { stdout } = await git(['rev-list', '--no-walk=unsorted', '--parents', '--stdin'], { input: commits.join('\n') + '\n' });
  for (const line of stdout.split('\n')) {
    const [sha, ...parents] = line.split(' ');
    if (sha && parents.length > 1) {
      throw new ValidationError(`${sha.slice(0, 12)} is a merge commit; cherry-pick the commits it merged instead`, { commit: sha });
    }
  }
}
