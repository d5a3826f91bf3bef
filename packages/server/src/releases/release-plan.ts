import semver from 'semver';
import type { GitCommit, ProjectRepository } from '../git/project-repository.js';
import type { ProjectRecord } from '../projects/project-store.js';
import { DomainError } from '../shared/errors.js';
import { analyseCommits, type RevertedPair } from './commit-analysis.js';
import type { MergeBackChecker } from './merge-back.js';
import { DEFAULT_RELEASE_RULES } from './release-rules.js';
import type { ReleaseKind, ReleaseSummary } from './release-store.js';
import { maintenanceLine, nextVersion, NothingToReleaseError, type BumpRequest, type ChangelogEntry, type VersionDecision } from './versioning.js';

/** A release computed but not yet tagged: what a dry run shows and what gets published. */
export interface ReleasePlan {
  version: string;
  kind: ReleaseKind;
  commit: string;
  ref: string;
  parent: string | null;
  previous: string | null;
  entries: ChangelogEntry[];
  /** Commit and revert pairs that dropped out of the range. */
  reverted: RevertedPair[];
  decision: VersionDecision | null;
  /** For a hotfix: move this branch from `expected` to `head` in the same push as the tag. */
  branch?: { name: string; head: string; expected: string | null };
  /** Sentences for the user (e.g. "built on 2.1.4, the latest release of the line"). */
  notices: string[];
}

export interface CreateReleaseInput {
  ref?: string;
  bump?: BumpRequest;
  prerelease?: string;
  idempotencyKey?: string;
  /** Compute and answer what would be released; tag and record nothing. */
  dryRun?: boolean;
}

/** Main would release a version of a line that already has a later release whose change main lacks. */
export class UnmergedHotfixError extends DomainError {
  readonly code = 'hotfix_not_merged';

  constructor(version: string, skipped: readonly string[], unmerged: ReadonlyArray<{ sha: string; subject: string }>, ref: string) {
    const list = unmerged.slice(0, 5).map((c) => `${c.sha.slice(0, 12)} "${c.subject}"`).join(', ');
    const line = maintenanceLine(version);
    super(
      `${ref} would be released as ${version}, after ${skipped.join(', ')} of line ${line}.x, but it lacks ${unmerged.length === 1 ? 'the change' : 'changes'} ${list}` +
        `${unmerged.length > 5 ? ' and more' : ''} released there, so ${version} would drop a fix. Merge hotfix/${line}.x into ${ref} (or cherry-pick ${unmerged.length === 1 ? 'it' : 'them'}), or release with a bump above the line (bump "minor").`,
      { version, skipped, unmerged: unmerged.map((c) => c.sha) },
    );
  }
}

export function ticketRegExp(project: ProjectRecord): RegExp {
  return new RegExp(project.ticketPattern, 'g');
}

export function analyse(commits: GitCommit[], project: ProjectRecord): { entries: ChangelogEntry[]; reverted: RevertedPair[] } {
  return analyseCommits(commits, ticketRegExp(project));
}

/**
 * The highest release matching `accept` whose commit is reachable from `head`. Candidates are tried from
 * the highest version down with one ancestry check each — usually the first one is it — and after a few
 * misses (e.g. many hotfixes on other lines) git is asked once for every tag merged into `head`, which
 * walks the whole history.
 */
export async function highestReachable(repo: ProjectRepository, all: readonly ReleaseSummary[], head: string, accept: (r: ReleaseSummary) => boolean): Promise<ReleaseSummary | null> {
  const candidates = all.filter(accept).sort((a, b) => semver.rcompare(a.version, b.version));
  const DIRECT_CHECKS = 8;
  for (const candidate of candidates.slice(0, DIRECT_CHECKS)) {
    if (await repo.isAncestor(candidate.commit, head)) return candidate;
  }
  if (candidates.length <= DIRECT_CHECKS) return null;
  const merged = await repo.mergedTags(head);
  return candidates.slice(DIRECT_CHECKS).find((r) => merged.has(r.tag)) ?? null;
}

const isFinal = (r: ReleaseSummary): boolean => semver.prerelease(r.version) === null;

/** The commits a release of `ref` would hold: everything since the last final release reachable from it. */
export interface ReleaseRange {
  ref: string;
  head: string;
  /** The latest release of any kind reachable from `head`, and the latest final one. */
  latest: ReleaseSummary | null;
  previousFinal: ReleaseSummary | null;
  commits: GitCommit[];
  entries: ChangelogEntry[];
  reverted: RevertedPair[];
}

/** Reads the range of a release of `ref` (default: the remote's default branch). Call with a freshly synced clone under the repository's lock. */
export async function readRange(repo: ProjectRepository, project: ProjectRecord, all: readonly ReleaseSummary[], ref: string | undefined): Promise<ReleaseRange> {
  const name = ref ?? (await repo.defaultBranch());
  const head = await repo.resolveCommit(name);
  const latest = await highestReachable(repo, all, head, () => true);
  const previousFinal = latest === null || isFinal(latest) ? latest : await highestReachable(repo, all, head, isFinal);
  const commits = await repo.log(previousFinal?.commit ?? null, head);
  return { ref: name, head, latest, previousFinal, commits, ...analyse(commits, project) };
}

/**
 * Decides the next release of a range: the version by the project's release rules, and — when it jumps
 * over versions released on a maintenance line — that `ref` holds their changes.
 * @throws NothingToReleaseError, BumpTooLowError, VersionOrderError, UnmergedHotfixError, ValidationError
 */
export async function decideRelease(
  repo: ProjectRepository,
  project: ProjectRecord,
  all: readonly ReleaseSummary[],
  range: ReleaseRange,
  input: CreateReleaseInput,
  mergeBack: MergeBackChecker,
): Promise<ReleasePlan> {
  const { ref, head, latest, previousFinal, commits, entries, reverted } = range;
  if (commits.length > 0 && entries.length === 0 && previousFinal !== null) {
    throw new NothingToReleaseError(
      previousFinal.version,
      `The ${commits.length} commits since ${previousFinal.version} revert each other (${reverted.map((p) => p.reverted.sha.slice(0, 7)).join(', ')} reverted); nothing to release.`,
      { reverted: reverted.map((p) => ({ commit: p.reverted.sha, revert: p.revert.sha })) },
    );
  }
  const sinceLatest = latest === previousFinal ? commits.length : await repo.countCommits(latest!.commit, head);
  const next = nextVersion({
    previousFinal: previousFinal?.version ?? null,
    existingVersions: all.map((r) => r.version),
    entries,
    bump: input.bump ?? 'auto',
    prerelease: input.prerelease ?? null,
    initialVersion: project.initialVersion,
    commitsSinceLatestRelease: sinceLatest,
    rules: project.releaseRules ?? DEFAULT_RELEASE_RULES,
  });
  if (next.skipped.length > 0) await ensureContains(repo, project, all, next.version, next.skipped, head, ref, mergeBack);
  return {
    version: next.version,
    kind: next.kind,
    commit: head,
    ref,
    parent: null,
    previous: previousFinal?.version ?? null,
    entries,
    reverted,
    decision: next.decision,
    notices: next.skipped.length > 0 ? [`${next.skipped.join(', ')} ${next.skipped.length === 1 ? 'is' : 'are'} already released on a maintenance line and ${ref} contains ${next.skipped.length === 1 ? 'its change' : 'their changes'}: released as ${next.version}.`] : [],
  };
}

/**
 * Versions of the target's line that `ref` jumps over were released elsewhere (a hotfix line). `ref` may
 * release after them only if it holds their changes — else the higher version would lack a fix.
 */
async function ensureContains(
  repo: ProjectRepository,
  project: ProjectRecord,
  all: readonly ReleaseSummary[],
  version: string,
  skipped: readonly string[],
  head: string,
  ref: string,
  mergeBack: MergeBackChecker,
): Promise<void> {
  const shas = new Set<string>();
  let tip: string | null = null;
  for (const taken of skipped) {
    const release = all.find((r) => r.version === taken);
    if (!release) continue;
    tip = release.commit;
    const fork = await repo.mergeBase(head, release.commit);
    for (const commit of await repo.log(fork, release.commit)) shas.add(commit.sha);
  }
  if (tip === null || shas.size === 0) return;
  const found = await mergeBack.find(repo, project, [...shas], head, tip);
  const missing = found.filter((c) => c.how === null);
  if (missing.length === 0) return;
  const subjects = await repo.messages(missing.map((c) => c.sha));
  throw new UnmergedHotfixError(version, skipped, missing.map((c) => ({ sha: c.sha, subject: (subjects.get(c.sha) ?? '').split('\n')[0]! })), ref);
}
