import semver from 'semver';
import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import type { Uow } from '../db/stores.js';
import type { ProjectRepository } from '../git/project-repository.js';
import type { RepositoryRegistry } from '../git/repository-registry.js';
import type { ProjectRecord } from '../projects/project-store.js';
import { DomainError, NotFoundError, ValidationError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { decodeCursor, isString, toPage, type Page, type PageRequest } from '../shared/page.js';
import { collectTickets } from './changelog.js';
import type { RevertedPair } from './commit-analysis.js';
import { HotfixSourceError, lineBranchOf, planHotfix, type HotfixInput } from './hotfix-plan.js';
import { MergeBackChecker, type MergeStatus } from './merge-back.js';
import { applyImport, NothingToImportError, planImport, type ImportReport } from './release-import.js';
import type { ReleaseLocks } from './release-lock.js';
import { analyse, decideRelease, readRange, type CreateReleaseInput, type ReleasePlan } from './release-plan.js';
import { ReleasePublisher, tagProblem } from './release-publisher.js';
import type { Release, ReleaseKind, ReleaseSummary } from './release-store.js';
import type { RefreshResult, RepositoryRefresher } from './repository-refresher.js';
import { renderTag } from './tag-template.js';
import type { ChangelogEntry, VersionDecision } from './versioning.js';

export type { CreateReleaseInput } from './release-plan.js';
export type { HotfixInput } from './hotfix-plan.js';
export type { MergeStatus } from './merge-back.js';
export { HotfixSourceError };

export interface Comparison {
  from: string;
  to: string;
  commits: ChangelogEntry[];
  tickets: string[];
}

/** A release or hotfix just made (or replayed by its idempotency key). */
export interface CreatedRelease {
  release: Release;
  created: boolean;
  /** Why the version is what it is (not kept: absent on a replay and for hotfixes). */
  decision?: VersionDecision | null;
  notices?: string[];
  requestedFrom?: string;
}

/** What a release would be (`dryRun: true`): nothing tagged, pushed or recorded. */
export interface ReleasePreview {
  /** Whether the same request without `dryRun` would make this release now. */
  wouldRelease: boolean;
  /** Every reason it would be refused (empty when `wouldRelease`). */
  problems: Array<{ code: string; message: string; details: Record<string, unknown> }>;
  project: string;
  version: string | null;
  tag: string | null;
  kind: ReleaseKind | null;
  /** The commit that would be tagged (null when it cannot be made, e.g. a cherry-pick conflict). */
  commit: string | null;
  ref: string;
  parent: string | null;
  previous: string | null;
  /** The commits the release would hold (when nothing is releasable: the pending ones). */
  changelog: ChangelogEntry[];
  tickets: string[];
  commitCount: number;
  decision: VersionDecision | null;
  /** Commit and revert pairs that dropped out. */
  reverted: RevertedPair[];
  notices: string[];
}

type Problem = ReleasePreview['problems'][number];

interface PreviewFallback {
  commit: string | null;
  ref: string;
  previous: string | null;
  entries: ChangelogEntry[];
  reverted: RevertedPair[];
}

/** Runs `fn`; a refusal (a domain error other than bad input) becomes a problem of the preview instead. */
async function refusalAsProblem<T>(problems: Problem[], fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof DomainError) || error instanceof ValidationError || error.code === 'ref_not_found' || error.code === 'repository_unreachable') throw error;
    problems.push({ code: error.code, message: error.message, details: error.details });
    return null;
  }
}

/**
 * Releases: compute the version from git, tag, push, record — under the project's release lock (one
 * process and every replica), on a freshly fetched clone, so two requests never compute the same version
 * and a tag is never recorded without being pushed. Every change of a project's releases — creation,
 * hotfix, import — goes through {@link ReleaseService.exclusively}.
 */
export class ReleaseService {
  private readonly publisher: ReleasePublisher;
  readonly mergeBack = new MergeBackChecker();

  constructor(
    private readonly uow: Uow,
    private readonly repositories: RepositoryRegistry,
    private readonly ids: IdGenerator,
    private readonly locks: ReleaseLocks,
    private readonly refresher: RepositoryRefresher,
  ) {
    this.publisher = new ReleasePublisher(uow, ids);
  }

  async create(ctx: RequestContext, projectKey: string, input: CreateReleaseInput): Promise<CreatedRelease> {
    authorize(ctx.actor, { role: 'engineer', action: 'Creating a release' });
    return this.exclusively(projectKey, input.idempotencyKey, async (repo, project, all) => {
      const plan = await decideRelease(repo, project, all, await readRange(repo, project, all, input.ref), input, this.mergeBack);
      const release = await this.publisher.publish(ctx, repo, project, all, plan, input.idempotencyKey ?? null);
      return { release, created: true, decision: plan.decision, notices: plan.notices };
    });
  }

  /** What `create` would do, with every reason it would be refused; nothing is tagged or recorded. */
  async preview(ctx: RequestContext, projectKey: string, input: CreateReleaseInput): Promise<ReleasePreview> {
    authorize(ctx.actor, { role: 'engineer', action: 'Previewing a release' });
    const project = await this.project(projectKey);
    return this.previewing(project, input.idempotencyKey, async (repo, all, problems) => {
      const range = await readRange(repo, project, all, input.ref);
      const plan = await refusalAsProblem(problems, () => decideRelease(repo, project, all, range, input, this.mergeBack));
      const entries = plan?.entries ?? range.entries;
      return { plan, fallback: { commit: range.head, ref: range.ref, previous: range.previousFinal?.version ?? null, entries, reverted: range.reverted } };
    });
  }

  /** What `hotfix` would do (the cherry-pick is tried in a temporary worktree); nothing is pushed or recorded. */
  async previewHotfix(ctx: RequestContext, projectKey: string, fromVersion: string, input: HotfixInput): Promise<ReleasePreview> {
    authorize(ctx.actor, { role: 'engineer', action: 'Previewing a hotfix' });
    const from = await this.hotfixSource(projectKey, fromVersion, input);
    const project = await this.project(projectKey);
    return this.previewing(project, input.idempotencyKey, async (repo, all, problems) => {
      const plan = await refusalAsProblem(problems, () => planHotfix(repo, project, all, from, input));
      return { plan, fallback: { commit: null, ref: input.branch ?? lineBranchOf(from.version), previous: from.version, entries: [], reverted: [] } };
    });
  }

  async hotfix(ctx: RequestContext, projectKey: string, fromVersion: string, input: HotfixInput): Promise<CreatedRelease> {
    authorize(ctx.actor, { role: 'engineer', action: 'Creating a hotfix' });
    const from = await this.hotfixSource(projectKey, fromVersion, input);
    return this.exclusively(projectKey, input.idempotencyKey, async (repo, project, all) => {
      const plan = await planHotfix(repo, project, all, from, input);
      const release = await this.publisher.publish(ctx, repo, project, all, plan, input.idempotencyKey ?? null);
      return { release, created: true, decision: null, notices: plan.notices, requestedFrom: plan.requestedFrom };
    });
  }

  /** Adopts the repository's existing tags as releases (idempotent); 422 when it has tags and none can be adopted. */
  async importTags(ctx: RequestContext, projectKey: string): Promise<ImportReport> {
    authorize(ctx.actor, { role: 'release-manager', action: 'Importing releases from tags' });
    await this.project(projectKey);
    return this.locks.run(projectKey, async () => {
      const project = await this.project(projectKey);
      const repo = this.repositories.forProject(project);
      const plan = await planImport(repo, project, await this.uow.reads.releases.summaries(project.id));
      if (plan.releases.length === 0 && plan.report.alreadyRecorded === 0 && plan.tagCount > 0) throw new NothingToImportError(project, plan);
      return this.uow.transaction((tx) => applyImport(tx, ctx, this.ids, project, plan));
    });
  }

  /**
   * Fetches the project's repository into the server's clone now (call it after a push, e.g. from CI or a
   * webhook), so the next release has nothing left to fetch. With `wait`, answers when done.
   */
  async refreshRepository(ctx: RequestContext, projectKey: string, wait: boolean): Promise<RefreshResult | null> {
    authorize(ctx.actor, { role: 'engineer', action: 'Refreshing a repository' });
    const project = await this.project(projectKey);
    if (wait) return this.refresher.refresh(project);
    void this.refresher.refresh(project).catch(() => {});
    return null;
  }

  async list(projectKey: string, filter: { kind?: string }, page: PageRequest): Promise<Page<Release>> {
    const project = await this.project(projectKey);
    const rows = await this.uow.reads.releases.page(project.id, { ...filter, beforeId: decodeCursor(page.cursor, isString), limit: page.limit + 1 });
    return toPage(rows, page.limit, (r) => r.id);
  }

  async get(projectKey: string, version: string): Promise<Release> {
    return this.release(await this.project(projectKey), version);
  }

  /** For a hotfix: are its changes on the default branch yet? Asks the repository (answers are cached per default-branch head). */
  async mergeStatus(release: Release): Promise<MergeStatus> {
    if (release.kind !== 'hotfix' || release.parent === null) return { mergedBack: null, unmergedCommits: [], commits: [] };
    const project = await this.project(release.projectKey);
    const parent = await this.release(project, release.parent);
    try {
      return await this.mergeBack.status(this.repositories.forProject(project), project, release, parent.commit);
    } catch (error) {
      return { mergedBack: null, unmergedCommits: [], commits: [], error: error instanceof Error ? error.message : String(error) };
    }
  }

  /**
   * The merged-back answers lists show: the last one computed for each hotfix (after a fetch, or when
   * someone opened it), without asking the repository. Hotfixes never checked yet answer null and
   * are checked in the background, so the next list knows.
   */
  knownMergeStatus(projectKey: string, releases: readonly Release[]): Promise<Map<string, MergeStatus['mergedBack']>> {
    const hotfixes = releases.filter((r) => r.kind === 'hotfix' && r.parent !== null);
    const known = new Map<string, MergeStatus['mergedBack']>();
    if (hotfixes.length === 0) return Promise.resolve(known);
    return this.project(projectKey).then((project) => {
      const repo = this.repositories.forProject(project);
      const unknown: Release[] = [];
      for (const hotfix of hotfixes) {
        const status = this.mergeBack.lastKnown(repo, project, hotfix);
        known.set(hotfix.version, status?.mergedBack ?? null);
        if (status === undefined) unknown.push(hotfix);
      }
      if (unknown.length > 0 && !this.checking.has(project.id)) {
        this.checking.add(project.id);
        void (async () => {
          for (const hotfix of unknown) await this.mergeStatus(hotfix);
        })()
          .catch(() => {})
          .finally(() => this.checking.delete(project.id));
      }
      return known;
    });
  }

  /** Projects whose never-checked hotfixes are being checked in the background. */
  private readonly checking = new Set<string>();

  /** Computes (and caches) merged-back answers of the project's latest hotfixes, after a background fetch. */
  async precomputeMergeStatus(project: ProjectRecord): Promise<void> {
    const hotfixes = await this.uow.reads.releases.page(project.id, { kind: 'hotfix', beforeId: null, limit: 20 });
    for (const hotfix of hotfixes) await this.mergeStatus(hotfix);
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
    const { entries } = analyse(commits, project);
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

  private async hotfixSource(projectKey: string, fromVersion: string, input: HotfixInput): Promise<Release> {
    if ((input.commits === undefined) === (input.branch === undefined)) {
      throw new ValidationError('Give either commits (shas to cherry-pick) or branch (a branch to release), not both.', { fields: ['commits', 'branch'] });
    }
    const from = await this.release(await this.project(projectKey), fromVersion);
    if (semver.prerelease(from.version) !== null) {
      throw new HotfixSourceError(`${from.version} is a prerelease; hotfixes are made from final releases.`, { version: from.version });
    }
    return from;
  }

  /** Runs a preview on a freshly fetched clone (the repository's lock only: nothing will change) and shapes the answer. */
  private async previewing(
    project: ProjectRecord,
    idempotencyKey: string | undefined,
    work: (repo: ProjectRepository, all: ReleaseSummary[], problems: Problem[]) => Promise<{ plan: ReleasePlan | null; fallback: PreviewFallback }>,
  ): Promise<ReleasePreview> {
    const repo = this.repositories.forProject(project);
    return repo.exclusive(async () => {
      await repo.sync();
      const all = await this.uow.reads.releases.summaries(project.id);
      const problems: Problem[] = [];
      const { plan, fallback } = await work(repo, all, problems);
      const tag = plan ? renderTag(project.tagTemplate, { version: plan.version, project: project.key }) : null;
      const taken = tag ? await tagProblem(repo, project, all, tag) : null;
      if (taken) problems.push({ code: taken.code, message: taken.message, details: taken.details });
      if (idempotencyKey !== undefined && (await this.replay(project, idempotencyKey))) {
        problems.push({ code: 'idempotency_key_used', message: `The idempotency key ${JSON.stringify(idempotencyKey)} already made a release; sending it again returns that release.`, details: {} });
      }
      const entries = plan?.entries ?? fallback.entries;
      return {
        wouldRelease: problems.length === 0,
        problems,
        project: project.key,
        version: plan?.version ?? null,
        tag,
        kind: plan?.kind ?? null,
        commit: plan?.commit ?? fallback.commit,
        ref: plan?.ref ?? fallback.ref,
        parent: plan?.parent ?? null,
        previous: plan?.previous ?? fallback.previous,
        changelog: entries,
        tickets: collectTickets(entries),
        commitCount: new Set(entries.map((e) => e.sha)).size,
        decision: plan?.decision ?? null,
        reverted: plan?.reverted ?? fallback.reverted,
        notices: plan?.notices ?? [],
      };
    });
  }

  private async replay(project: ProjectRecord, key: string | undefined): Promise<Release | null> {
    return key === undefined ? null : this.uow.reads.releases.byIdempotencyKey(project.id, key);
  }

  /**
   * Runs `work` under the project's release lock on a freshly fetched clone, with the project and its
   * releases as they are once the lock is held — unless the idempotency key already made a release
   * (checked before and again under the lock, so two requests with one key never both create).
   */
  private async exclusively(
    projectKey: string,
    idempotencyKey: string | undefined,
    work: (repo: ProjectRepository, project: ProjectRecord, all: ReleaseSummary[]) => Promise<CreatedRelease>,
  ): Promise<CreatedRelease> {
    const replay = await this.replay(await this.project(projectKey), idempotencyKey);
    if (replay) return { release: replay, created: false };
    return this.locks.run(projectKey, async () => {
      const project = await this.project(projectKey);
      const again = await this.replay(project, idempotencyKey);
      if (again) return { release: again, created: false };
      const repo = this.repositories.forProject(project);
      return repo.exclusive(async () => {
        await repo.sync();
        return work(repo, project, await this.uow.reads.releases.summaries(project.id));
      });
    });
  }
}
