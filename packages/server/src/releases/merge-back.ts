import type { ProjectRepository } from '../git/project-repository.js';
import type { ProjectRecord } from '../projects/project-store.js';
import type { Release } from './release-store.js';
import { findTickets } from './versioning.js';

/**
 * "Merged back" as engineers mean it (PRODUCT.md §3 rule 3): a hotfix commit's change is on the default
 * branch when the commit itself is there, or the commit it was cherry-picked from is (the
 * `(cherry picked from commit X)` trailer Slipway writes), or a commit there has the same patch id — and,
 * weaker, reported as such, when a commit there names the same ticket.
 */

export type MergedHow = 'ancestor' | 'cherry-pick' | 'patch-id' | 'ticket' | 'empty';

export interface MergeStatus {
  /** true: every change is on the default branch; "by-ticket": some only by a commit naming the same ticket; false: some are not; null: unknown. */
  mergedBack: boolean | 'by-ticket' | null;
  unmergedCommits: string[];
  /** Each hotfix commit and how it was found on the default branch (null: it was not). */
  commits: Array<{ sha: string; how: MergedHow | null; via?: string }>;
  /** The default branch and the head it was checked against. */
  checkedAgainst?: { branch: string; head: string };
  /** Set when the repository could not be asked. */
  error?: string;
}

const TRAILER = /\(cherry picked from commit ([0-9a-f]{7,64})\)/g;

/** A small map that forgets the oldest entry first. */
class Lru<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly size: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value!);
  }
}

const latestKey = (repo: ProjectRepository, project: ProjectRecord, release: Release): string => [repo.dir, release.version, release.commit, project.ticketPattern].join('\0');

/**
 * Answers are cached per hotfix and default-branch head: while the default branch does not move, asking
 * again costs one `ls-remote`. The expensive part — patch ids of the default branch since the line forked —
 * only diffs the commits that touch the files the hotfix changed.
 */
export class MergeBackChecker {
  private readonly results = new Lru<MergeStatus>(1_000);
  /** The last answer per hotfix, whatever head it was checked against: lists show it without asking the repository. */
  private readonly latest = new Lru<MergeStatus>(1_000);

  async status(repo: ProjectRepository, project: ProjectRecord, release: Release, parentCommit: string): Promise<MergeStatus> {
    return repo.exclusive(async () => {
      const { branch, head } = await repo.defaultBranchHead();
      const key = [repo.dir, release.version, release.commit, parentCommit, head, project.ticketPattern].join('\0');
      const cached = this.results.get(key);
      if (cached) {
        this.latest.set(latestKey(repo, project, release), cached);
        return cached;
      }
      const computed = await this.compute(repo, project, release, parentCommit, head);
      const status: MergeStatus = { ...computed, checkedAgainst: { branch, head } };
      this.results.set(key, status);
      this.latest.set(latestKey(repo, project, release), status);
      return status;
    });
  }

  /** The last computed answer for this hotfix (no git call), or undefined when none was computed yet. */
  lastKnown(repo: ProjectRepository, project: ProjectRecord, release: Release): MergeStatus | undefined {
    return this.latest.get(latestKey(repo, project, release));
  }

  private async compute(repo: ProjectRepository, project: ProjectRecord, release: Release, parentCommit: string, head: string): Promise<Omit<MergeStatus, 'checkedAgainst'>> {
    // Imported hotfixes have no recorded changelog: their commits are whatever lies between the two tags.
    const shas = release.changelog.length > 0 ? [...new Set(release.changelog.map((e) => e.sha))] : (await repo.log(parentCommit, release.commit)).map((c) => c.sha);
    const commits = await this.find(repo, project, shas, head, release.commit);
    const unmergedCommits = commits.filter((c) => c.how === null).map((c) => c.sha);
    const mergedBack = unmergedCommits.length > 0 ? false : commits.some((c) => c.how === 'ticket') ? 'by-ticket' : true;
    return { mergedBack, unmergedCommits, commits };
  }

  /**
   * How each of `shas` (commits in the history of `tip`) is found in the history of `head`. Cheapest checks
   * first: ancestry, then the cherry-pick trailer, then patch ids of `head`'s commits since it forked from
   * `tip` (only those touching the same files), then ticket keys in their messages.
   */
  async find(repo: ProjectRepository, project: ProjectRecord, shas: readonly string[], head: string, tip: string): Promise<MergeStatus['commits']> {
    return repo.exclusive(async () => {
      const how = new Map<string, { how: MergedHow; via?: string }>();
      const open = (): string[] => shas.filter((sha) => !how.has(sha));

      for (const sha of shas) if (await repo.isAncestor(sha, head)) how.set(sha, { how: 'ancestor' });

      const messages = await repo.messages(open());
      for (const sha of open()) {
        for (const match of (messages.get(sha) ?? '').matchAll(TRAILER)) {
          const source = match[1]!;
          if (await repo.isAncestor(source, head).catch(() => false)) {
            how.set(sha, { how: 'cherry-pick', via: source });
            break;
          }
        }
      }

      if (open().length > 0) {
        const fork = await repo.mergeBase(head, tip);
        const own = await repo.patchIdsOfCommits(open());
        const ownBySha = new Map([...own].map(([patchId, sha]) => [sha, patchId]));
        for (const sha of open()) if (!ownBySha.has(sha)) how.set(sha, { how: 'empty' });
        if (open().length > 0) {
          const onDefault = await repo.patchIds(fork, head, await repo.changedPaths(open()));
          for (const sha of open()) {
            const twin = onDefault.get(ownBySha.get(sha)!);
            if (twin) how.set(sha, { how: 'patch-id', via: twin });
          }
        }
        if (open().length > 0) {
          const pattern = new RegExp(project.ticketPattern, 'g');
          const ticketsOf = new Map(open().map((sha) => [sha, findTickets([messages.get(sha) ?? ''], pattern)]));
          const candidates = await repo.grep(fork, head, [...new Set([...ticketsOf.values()].flat())]);
          for (const sha of open()) {
            const tickets = ticketsOf.get(sha)!;
            const twin = candidates.find((c) => findTickets([c.subject, c.body], pattern).some((t) => tickets.includes(t)));
            if (twin) how.set(sha, { how: 'ticket', via: twin.sha });
          }
        }
      }
      return shas.map((sha) => {
        const found = how.get(sha);
        return { sha, how: found?.how ?? null, ...(found?.via !== undefined && { via: found.via }) };
      });
    });
  }
}
