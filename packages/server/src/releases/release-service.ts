import semver from 'semver';
import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import { isUniqueViolation } from '../db/connect.js';
import type { Uow } from '../db/stores.js';
import { TagExistsError } from '../git/git-errors.js';
import type { GitCommit, ProjectRepository } from '../git/project-repository.js';
import type { RepositoryRegistry } from '../git/repository-registry.js';
import type { ProjectRecord } from '../projects/project-store.js';
import { DomainError, NotFoundError, ValidationError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { decodeCursor, isString, toPage, type Page, type PageRequest } from '../shared/page.js';
import { collectTickets } from './changelog.js';
import type { Release, ReleaseKind } from './release-store.js';
import { maintenanceLine, nextHotfixVersion, nextVersion, parseCommit, renderTag, type BumpRequest, type ChangelogEntry } from './versioning.js';

export interface CreateReleaseInput {
  ref?: string;
  bump?: BumpRequest;
  prerelease?: string;
  idempotencyKey?: string;
}

export interface HotfixInput {
  /** Commits to cherry-pick onto the maintenance branch, in order. */
  commits?: string[];
  /** Or: release the head of this existing branch (it must descend from the release's tag). */
  branch?: string;
  idempotencyKey?: string;
}

export interface Comparison {
  from: string;
  to: string;
  commits: ChangelogEntry[];
  tickets: string[];
}

/** Whether a hotfix's changes reached the default branch (compared by patch id). */
export interface MergeStatus {
  mergedBack: boolean | null;
  unmergedCommits: string[];
  /** Set when the repository could not be asked. */
  error?: string;
}

export class HotfixSourceError extends DomainError {
  readonly code = 'invalid_hotfix_source';
}

/** A release computed but not yet tagged. */
interface ReleaseDraft {
  version: string;
  kind: ReleaseKind;
  commit: string;
  ref: string;
  parent: string | null;
  previous: string | null;
  entries: ChangelogEntry[];
  idempotencyKey: string | null;
}

type TaggedDraft = ReleaseDraft & { tag: string; tickets: string[] };

type Summary = Awaited<ReturnType<Uow['reads']['releases']['summaries']>>[number];

/**
 * Releases: compute the version from git, tag, push, record — in that order, under the project's
 * repository lock, so two creations never compute the same version and a tag is never recorded
 * without being pushed (or pushed without being recorded: see {@link ReleaseService.record}).
 */
export class ReleaseService {
  constructor(
    private readonly uow: Uow,
    private readonly repositories: RepositoryRegistry,
    private readonly ids: IdGenerator,
  ) {}

  async create(ctx: RequestContext, projectKey: string, input: CreateReleaseInput): Promise<{ release: Release; created: boolean }> {
    authorize(ctx.actor, { role: 'engineer', action: 'Creating a release' });
    const project = await this.project(projectKey);
    return this.exclusivelyOnce(project, input.idempotencyKey, async (repo) => {
      const ref = input.ref ?? (await repo.defaultBranch());
      const head = await repo.resolveCommit(ref);
      const all = await this.uow.reads.releases.summaries(project.id);
      const latest = await this.highestReachable(repo, all, head, () => true);
      const previousFinal =
        latest === null || semver.prerelease(latest.version) === null ? latest : await this.highestReachable(repo, all, head, (r) => semver.prerelease(r.version) === null);
      const entries = this.parse(await repo.log(previousFinal?.commit ?? null, head), project);
      const sinceLatest = latest === previousFinal ? entries.length : await repo.countCommits(latest!.commit, head);
      const next = nextVersion({
        previousFinal: previousFinal?.version ?? null,
        existingVersions: all.map((r) => r.version),
        entries,
        bump: input.bump ?? 'auto',
        prerelease: input.prerelease ?? null,
        initialVersion: project.initialVersion,
        commitsSinceLatestRelease: sinceLatest,
      });
      return {
        release: await this.tagAndRecord(ctx, repo, project, all, {
          version: next.version,
          kind: next.kind,
          commit: head,
          ref,
          parent: null,
          previous: previousFinal?.version ?? null,
          entries,
          idempotencyKey: input.idempotencyKey ?? null,
        }),
        created: true,
      };
    });
  }

  async hotfix(ctx: RequestContext, projectKey: string, fromVersion: string, input: HotfixInput): Promise<{ release: Release; created: boolean }> {
    authorize(ctx.actor, { role: 'engineer', action: 'Creating a hotfix' });
    if ((input.commits === undefined) === (input.branch === undefined)) {
      throw new ValidationError('Give either commits (shas to cherry-pick) or branch (a branch to release), not both.', { fields: ['commits', 'branch'] });
    }
    const project = await this.project(projectKey);
    const base = await this.release(project, fromVersion);
    if (semver.prerelease(base.version) !== null) {
      throw new HotfixSourceError(`${base.version} is a prerelease; hotfixes are made from final releases.`, { version: base.version });
    }
    return this.exclusivelyOnce(project, input.idempotencyKey, async (repo) => {
      const line = maintenanceLine(base.version);
      const maintenanceBranch = `hotfix/${line}.x`;
      let head: string;
      let ref: string;
      if (input.commits !== undefined) {
        await repo.ensureBranchFromTag(maintenanceBranch, base.tag);
        head = await repo.cherryPickOnto(maintenanceBranch, input.commits);
        ref = maintenanceBranch;
      } else {
        ref = input.branch!;
        head = await repo.resolveCommit(ref);
        if (!(await repo.isAncestor(base.commit, head))) {
          throw new HotfixSourceError(`Branch ${ref} does not descend from ${base.tag}; a hotfix of ${base.version} must be built on it.`, { branch: ref, tag: base.tag });
        }
      }
      const all = await this.uow.reads.releases.summaries(project.id);
      const previous = (await this.highestReachable(repo, all, head, (r) => semver.prerelease(r.version) === null && maintenanceLine(r.version) === line)) ?? base;
      const entries = this.parse(await repo.log(previous.commit, head), project);
      const version = nextHotfixVersion(line, all.map((r) => r.version));
      if (entries.length === 0) {
        throw new HotfixSourceError(`${ref} has no commits after ${previous.version}; nothing to release.`, { ref, since: previous.version });
      }
      if (input.commits !== undefined) await repo.pushBranch(maintenanceBranch);
      return {
        release: await this.tagAndRecord(ctx, repo, project, all, {
          version,
          kind: 'hotfix',
          commit: head,
          ref,
          parent: base.version,
          previous: previous.version,
          entries,
          idempotencyKey: input.idempotencyKey ?? null,
        }),
        created: true,
      };
    });
  }

  async list(projectKey: string, filter: { kind?: string }, page: PageRequest): Promise<Page<Release>> {
    const project = await this.project(projectKey);
    const rows = await this.uow.reads.releases.page(project.id, { ...filter, beforeId: decodeCursor(page.cursor, isString), limit: page.limit + 1 });
    return toPage(rows, page.limit, (r) => r.id);
  }

  async get(projectKey: string, version: string): Promise<Release> {
    return this.release(await this.project(projectKey), version);
  }

  /** For a hotfix: are its commits on the default branch yet? Asks the repository. */
  async mergeStatus(release: Release): Promise<MergeStatus> {
    if (release.kind !== 'hotfix' || release.parent === null) return { mergedBack: null, unmergedCommits: [] };
    const project = await this.project(release.projectKey);
    const parent = await this.release(project, release.parent);
    const repo = this.repositories.forProject(project);
    try {
      return await repo.exclusive(async () => {
        await repo.sync();
        const head = await repo.resolveCommit(await repo.defaultBranch());
        const unmerged = await repo.unmergedCommits(release.changelog.map((e) => e.sha), head, parent.commit);
        return { mergedBack: unmerged.length === 0, unmergedCommits: unmerged };
      });
    } catch (error) {
      return { mergedBack: null, unmergedCommits: [], error: error instanceof Error ? error.message : String(error) };
    }
  }

  async compare(projectKey: string, fromVersion: string, toVersion: string): Promise<Comparison> {
    const project = await this.project(projectKey);
    const from = await this.release(project, fromVersion);
    const to = await this.release(project, toVersion);
    const repo = this.repositories.forProject(project);
    const commits = await repo.exclusive(async () => {
      await repo.sync();
      return repo.log(from.commit, to.commit);
    });
    const entries = this.parse(commits, project);
    return { from: from.version, to: to.version, commits: entries, tickets: collectTickets(entries) };
  }

  /** The project record, or 404. */
  private async project(key: string): Promise<ProjectRecord> {
    const project = await this.uow.reads.projects.get(key);
    if (!project) throw new NotFoundError(`Project ${key} does not exist.`, { project: key });
    return project;
  }

  private async release(project: ProjectRecord, version: string): Promise<Release> {
    const release = await this.uow.reads.releases.get(project.id, version);
    if (!release) throw new NotFoundError(`Release ${version} of ${project.key} does not exist.`, { project: project.key, version });
    return release;
  }

  private async replay(project: ProjectRecord, key: string | undefined): Promise<Release | null> {
    return key === undefined ? null : this.uow.reads.releases.byIdempotencyKey(project.id, key);
  }

  /**
   * Runs `work` under the project's repository lock on a freshly fetched clone, unless the
   * idempotency key already made a release (checked before and again under the lock, so two
   * requests with one key never both create).
   */
  private async exclusivelyOnce(
    project: ProjectRecord,
    idempotencyKey: string | undefined,
    work: (repo: ProjectRepository) => Promise<{ release: Release; created: boolean }>,
  ): Promise<{ release: Release; created: boolean }> {
    const replay = await this.replay(project, idempotencyKey);
    if (replay) return { release: replay, created: false };
    const repo = this.repositories.forProject(project);
    return repo.exclusive(async () => {
      const again = await this.replay(project, idempotencyKey);
      if (again) return { release: again, created: false };
      await repo.sync();
      return work(repo);
    });
  }

  /**
   * The highest release matching `accept` whose commit is reachable from `head`. Candidates are
   * tried from the highest version down with one ancestry check each — usually the first one is
   * it — and after a few misses (e.g. many hotfixes on other lines) git is asked once for every
   * tag merged into `head`, which walks the whole history.
   */
  private async highestReachable(repo: ProjectRepository, all: Summary[], head: string, accept: (r: Summary) => boolean): Promise<Summary | null> {
    const candidates = all.filter(accept).sort((a, b) => semver.rcompare(a.version, b.version));
    const DIRECT_CHECKS = 8;
    for (const candidate of candidates.slice(0, DIRECT_CHECKS)) {
      if (await repo.isAncestor(candidate.commit, head)) return candidate;
    }
    if (candidates.length <= DIRECT_CHECKS) return null;
    const merged = await repo.mergedTags(head);
    return candidates.slice(DIRECT_CHECKS).find((r) => merged.has(r.tag)) ?? null;
  }

  private parse(commits: GitCommit[], project: ProjectRecord): ChangelogEntry[] {
    const pattern = new RegExp(project.ticketPattern, 'g');
    return commits.map((c) => parseCommit(c, pattern));
  }

  private async tagAndRecord(
    ctx: RequestContext,
    repo: ProjectRepository,
    project: ProjectRecord,
    all: Summary[],
    next: ReleaseDraft,
  ): Promise<Release> {
    const tag = renderTag(project.tagTemplate, { version: next.version, project: project.key });
    if (all.some((r) => r.tag === tag) || (await repo.remoteTag(tag)) !== null) throw new TagExistsError(tag);
    const tickets = collectTickets(next.entries);
    const message = [
      `${project.key} ${next.version}`,
      '',
      `${next.entries.length} commit${next.entries.length === 1 ? '' : 's'} since ${next.previous ?? 'the beginning'}${tickets.length > 0 ? `; tickets: ${tickets.join(', ')}` : ''}.`,
      `Released by ${ctx.actor.username} with Slipway.`,
    ].join('\n');
    await repo.createAnnotatedTag(tag, next.commit, message);
    try {
      await repo.pushTag(tag);
    } catch (error) {
      await repo.deleteLocalTag(tag).catch(() => {});
      throw error;
    }
    return this.record(ctx, repo, project, { ...next, tag, tickets });
  }

  /**
   * Records a pushed release. A transient database failure is retried; if the database still
   * refuses (it is down, or another process recorded the version first), the tag just pushed is
   * deleted again — only if it is still exactly the tag we pushed — because a tag without its
   * release row would be a release nobody can see or deploy. This is the one case where Slipway
   * removes a tag, and no release ever referred to it.
   */
  private async record(
    ctx: RequestContext,
    repo: ProjectRepository,
    project: ProjectRecord,
    next: TaggedDraft,
  ): Promise<Release> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.insertRelease(ctx, project, next);
      } catch (error) {
        if (attempt < 3 && !isUniqueViolation(error)) {
          await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
          continue;
        }
        await repo.deleteRemoteTag(next.tag, next.commit).catch(() => {});
        throw error;
      }
    }
  }

  private insertRelease(
    ctx: RequestContext,
    project: ProjectRecord,
    next: TaggedDraft,
  ): Promise<Release> {
    return this.uow.transaction(async (tx) => {
      const release: Release = {
        id: this.ids.next(),
        projectId: project.id,
        projectKey: project.key,
        version: next.version,
        tag: next.tag,
        commit: next.commit,
        kind: next.kind,
        parent: next.parent,
        previous: next.previous,
        ref: next.ref,
        changelog: next.entries,
        tickets: next.tickets,
        idempotencyKey: next.idempotencyKey,
        createdBy: ctx.actor.username,
        createdAt: tx.now,
      };
      await tx.stores.releases.insert(release);
      const { changelog: _changelog, ...summary } = release;
      await tx.record(ctx, {
        action: 'release.created',
        resourceType: 'release',
        resourceId: `${project.key}@${release.version}`,
        after: { ...summary, commits: release.changelog.length },
        event: {
          type: 'release.created',
          projectKey: project.key,
          payload: { project: project.key, version: release.version, tag: release.tag, commit: release.commit, kind: release.kind, parent: release.parent, previous: release.previous, commits: release.changelog.length, tickets: release.tickets },
        },
      });
      return release;
    });
  }
}
