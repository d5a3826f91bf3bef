import type { RequestContext } from '../auth/actor.js';
import { isUniqueViolation } from '../db/connect.js';
import type { Uow } from '../db/stores.js';
import { TagExistsError } from '../git/git-errors.js';
import type { ProjectRepository } from '../git/project-repository.js';
import type { ProjectRecord } from '../projects/project-store.js';
import { ConflictError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { collectTickets } from './changelog.js';
import type { ReleasePlan } from './release-plan.js';
import type { Release, ReleaseSummary } from './release-store.js';
import { renderTag } from './tag-template.js';

/** Why a tag name cannot be used, or null: owned by a recorded release, or present in the remote. */
export async function tagProblem(repo: ProjectRepository, project: ProjectRecord, all: readonly ReleaseSummary[], tag: string): Promise<TagExistsError | null> {
  const owner = all.find((r) => r.tag === tag);
  if (owner) return new TagExistsError(tag, `it is the tag of release ${owner.version}`);
  if ((await repo.remoteTag(tag)) !== null) {
    return new TagExistsError(
      tag,
      `it was made outside Slipway. To adopt it as a release, run POST /api/v1/projects/${project.key}/releases/import (slipway release import --project ${project.key}); else remove it from the remote`,
    );
  }
  return null;
}

/**
 * The last step of every release and hotfix: tag, push (tag and line branch in one atomic push), record
 * — in that order, under the project's release lock. A tag is never recorded without being pushed, and
 * never left pushed without being recorded: see {@link ReleasePublisher.record}.
 */
export class ReleasePublisher {
  constructor(
    private readonly uow: Uow,
    private readonly ids: IdGenerator,
  ) {}

  async publish(ctx: RequestContext, repo: ProjectRepository, project: ProjectRecord, all: readonly ReleaseSummary[], plan: ReleasePlan, idempotencyKey: string | null): Promise<Release> {
    const tag = renderTag(project.tagTemplate, { version: plan.version, project: project.key });
    const problem = await tagProblem(repo, project, all, tag);
    if (problem) throw problem;
    const tickets = collectTickets(plan.entries);
    const commitCount = new Set(plan.entries.map((e) => e.sha)).size;
    const message = [
      `${project.key} ${plan.version}`,
      '',
      `${commitCount} commit${commitCount === 1 ? '' : 's'} since ${plan.previous ?? 'the beginning'}${tickets.length > 0 ? `; tickets: ${tickets.join(', ')}` : ''}.`,
      `Released by ${ctx.actor.username} with Slipway.`,
    ].join('\n');
    await repo.createAnnotatedTag(tag, plan.commit, message);
    try {
      await repo.publish({ tag, ...(plan.branch && { branch: plan.branch }) });
    } catch (error) {
      await repo.deleteLocalTag(tag).catch(() => {});
      throw error;
    }
    return this.record(ctx, repo, project, plan, tag, tickets, idempotencyKey);
  }

  /**
   * Records a pushed release. A transient database failure is retried; if the database still refuses, the
   * push is undone — tag deleted, line branch put back, each only while it is exactly what Slipway pushed —
   * because a tag without its release row would be a release nobody can see or deploy. Never when a
   * recorded release owns the tag: then the tag is that release's, and it stays.
   */
  private async record(ctx: RequestContext, repo: ProjectRepository, project: ProjectRecord, plan: ReleasePlan, tag: string, tickets: string[], idempotencyKey: string | null): Promise<Release> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.insert(ctx, project, plan, tag, tickets, idempotencyKey);
      } catch (error) {
        if (attempt < 3 && !isUniqueViolation(error)) {
          await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
          continue;
        }
        const owner = await this.uow.reads.releases.byTag(project.id, tag).catch(() => undefined);
        if (owner === null) {
          await repo
            .unpublish({ tag, expectedCommit: plan.commit, ...(plan.branch && { branch: { name: plan.branch.name, head: plan.branch.head, restore: plan.branch.expected } }) })
            .catch(() => {});
        }
        if (isUniqueViolation(error)) {
          throw new ConflictError(`${project.key} ${plan.version} was recorded by another request at the same time; list the releases to see it.`, { project: project.key, version: plan.version });
        }
        throw error;
      }
    }
  }

  private insert(ctx: RequestContext, project: ProjectRecord, plan: ReleasePlan, tag: string, tickets: string[], idempotencyKey: string | null): Promise<Release> {
    return this.uow.transaction(async (tx) => {
      const release: Release = {
        id: this.ids.next(),
        projectId: project.id,
        projectKey: project.key,
        version: plan.version,
        tag,
        commit: plan.commit,
        kind: plan.kind,
        parent: plan.parent,
        previous: plan.previous,
        ref: plan.ref,
        changelog: plan.entries,
        tickets,
        idempotencyKey,
        createdBy: ctx.actor.username,
        createdAt: tx.now,
        importedAt: null,
      };
      await tx.stores.releases.insert(release);
      const { changelog: _changelog, ...summary } = release;
      const commits = new Set(release.changelog.map((e) => e.sha)).size;
      await tx.record(ctx, {
        action: 'release.created',
        resourceType: 'release',
        resourceId: `${project.key}@${release.version}`,
        after: { ...summary, commits },
        event: {
          type: 'release.created',
          projectKey: project.key,
          payload: { project: project.key, version: release.version, tag: release.tag, commit: release.commit, kind: release.kind, parent: release.parent, previous: release.previous, commits, tickets: release.tickets },
        },
      });
      return release;
    });
  }
}
