import semver from 'semver';
import type { RequestContext } from '../auth/actor.js';
import type { Stores } from '../db/stores.js';
import type { Tx } from '../db/unit-of-work.js';
import type { MirroredTag, ProjectRepository } from '../git/project-repository.js';
import type { RepositoryRegistry } from '../git/repository-registry.js';
import type { ProjectRecord } from '../projects/project-store.js';
import { DomainError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import type { ReleaseLocks } from './release-lock.js';
import type { Release, ReleaseKind, ReleaseSummary } from './release-store.js';
import { matchTagTemplate } from './tag-template.js';
import { kindBetween, maintenanceLine } from './versioning.js';

/**
 * Adopting the tags a repository already has as releases (PRODUCT.md §3 rule 2): every tag that matches
 * the project's template and names a semantic version becomes a release — lightweight and annotated alike,
 * with `createdBy: "import"` and `importedAt` — and no tag is ever moved, re-created or pushed. Split in two
 * so the caller can put the database side in its own transaction: {@link planImport} asks git (under the
 * project's release lock), {@link applyImport} records.
 */

export type SkipReason = 'template_mismatch' | 'not_semver' | 'version_recorded' | 'not_a_commit';

export interface SkippedTag {
  tag: string;
  reason: SkipReason;
  message: string;
}

/** What an import did, as the API reports it. */
export interface ImportReport {
  imported: number;
  /** The versions imported, lowest first. */
  versions: string[];
  /** The highest final version among the project's releases after the import (where the next release continues). */
  latest: string | null;
  /** Tags that already are releases of the project (an import is idempotent). */
  alreadyRecorded: number;
  /** Tags left out and why (the first 200; `skippedCount` has them all). */
  skipped: SkippedTag[];
  skippedCount: number;
  /** A template that would adopt the tags that did not match, when one stands out. */
  suggestion: string | null;
}

export interface ImportPlan {
  releases: Array<Omit<Release, 'id' | 'importedAt'>>;
  report: ImportReport;
  /** How many tags the remote has (what "nothing matched" is measured against). */
  tagCount: number;
}

/** None of the repository's tags can be adopted: the template matches nothing, or nothing it matches is semver. */
export class NothingToImportError extends DomainError {
  readonly code = 'nothing_to_import';

  constructor(project: ProjectRecord, plan: ImportPlan) {
    const byReason = new Map<SkipReason, SkippedTag[]>();
    for (const skip of plan.report.skipped) byReason.set(skip.reason, [...(byReason.get(skip.reason) ?? []), skip]);
    const parts = [...byReason].map(([reason, tags]) => `${tags.length} ${REASON_SUMMARY[reason]} (e.g. ${tags[0]!.tag})`);
    super(
      `None of the repository's ${plan.tagCount} tags can be adopted with the tag template ${project.tagTemplate}: ${parts.join('; ')}.` +
        (plan.report.suggestion ? ` ${plan.report.suggestion}` : ''),
      { tagTemplate: project.tagTemplate, skipped: plan.report.skipped, suggestion: plan.report.suggestion },
    );
  }
}

const REASON_SUMMARY: Record<SkipReason, string> = {
  template_mismatch: 'do not match the template',
  not_semver: 'match it but are not semantic versions',
  version_recorded: 'name versions already recorded under another tag',
  not_a_commit: 'do not point at a commit',
};

const SHOWN_SKIPS = 200;
const VERSION_AT_END = /^(.*?)(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/;

function suggestTemplate(project: ProjectRecord, mismatched: readonly string[]): string | null {
  const prefixes = new Map<string, { count: number; example: string }>();
  for (const tag of mismatched) {
    const match = VERSION_AT_END.exec(tag);
    if (!match || semver.valid(match[2]!) !== match[2]) continue;
    const known = prefixes.get(match[1]!) ?? { count: 0, example: tag };
    known.count += 1;
    prefixes.set(match[1]!, known);
  }
  const best = [...prefixes].sort((a, b) => b[1].count - a[1].count)[0];
  if (!best) return null;
  const template = `${best[0].replaceAll(project.key, '{project}')}{version}`;
  if (template === project.tagTemplate) return null;
  return `${best[1].count} tag${best[1].count === 1 ? '' : 's'} look like versions under the template ${template} (e.g. ${best[1].example}); set tagTemplate to ${JSON.stringify(template)} to adopt them.`;
}

/**
 * Decides which tags become which releases. `mergedIntoDefault` lists the tags reachable from the default
 * branch: a patch release that is not (it was made on a maintenance branch) is imported as a hotfix of
 * the release before it on its line.
 */
export function classifyTags(
  project: ProjectRecord,
  tags: ReadonlyMap<string, MirroredTag>,
  notCommits: readonly string[],
  existing: readonly ReleaseSummary[],
  mergedIntoDefault: ReadonlySet<string> | null,
): ImportPlan {
  const recordedTags = new Set(existing.map((r) => r.tag));
  const recordedVersions = new Map(existing.map((r) => [r.version, r.tag]));
  const skipped: SkippedTag[] = notCommits.map((tag) => ({ tag, reason: 'not_a_commit', message: 'points at a tree or blob, not a commit' }));
  const mismatched: string[] = [];
  const candidates: Array<{ tag: string; version: semver.SemVer; info: MirroredTag }> = [];
  let alreadyRecorded = 0;
  for (const [tag, info] of [...tags].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (recordedTags.has(tag)) {
      alreadyRecorded += 1;
      continue;
    }
    const raw = matchTagTemplate(project.tagTemplate, tag, project.key);
    if (raw === null) {
      mismatched.push(tag);
      skipped.push({ tag, reason: 'template_mismatch', message: `does not match the tag template ${project.tagTemplate}` });
    } else if (semver.valid(raw) !== raw) {
      skipped.push({ tag, reason: 'not_semver', message: `${JSON.stringify(raw)} is not a semantic version (like 1.4.0 or 1.5.0-rc.1, no build metadata)` });
    } else if (recordedVersions.has(raw)) {
      skipped.push({ tag, reason: 'version_recorded', message: `${raw} is already a release of ${project.key}, with tag ${recordedVersions.get(raw)}` });
    } else {
      candidates.push({ tag, version: new semver.SemVer(raw), info });
    }
  }

  const finals = [...existing.map((r) => semver.parse(r.version)), ...candidates.map((c) => c.version)]
    .filter((v): v is semver.SemVer => v !== null && v.prerelease.length === 0)
    .sort(semver.compare);
  // Binary search: with a thousand tags, a scan per tag made the import quadratic.
  const finalBelow = (v: semver.SemVer): semver.SemVer | null => {
    let low = 0;
    let high = finals.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (semver.lt(finals[middle]!, v)) low = middle + 1;
      else high = middle;
    }
    return low > 0 ? finals[low - 1]! : null;
  };

  candidates.sort((a, b) => semver.compare(a.version, b.version));
  const releases = candidates.map(({ tag, version, info }): Omit<Release, 'id' | 'importedAt'> => {
    const previous = finalBelow(version);
    let kind: ReleaseKind = version.prerelease.length > 0 ? 'prerelease' : kindBetween(previous, version);
    let parent: string | null = null;
    if (kind === 'patch' && mergedIntoDefault !== null && !mergedIntoDefault.has(tag) && previous && maintenanceLine(previous.version) === maintenanceLine(version.version)) {
      kind = 'hotfix';
      parent = previous.version;
    }
    return {
      projectId: project.id,
      projectKey: project.key,
      version: version.version,
      tag,
      commit: info.commit,
      kind,
      parent,
      previous: previous?.version ?? null,
      ref: tag,
      changelog: [],
      tickets: [],
      idempotencyKey: null,
      createdBy: 'import',
      createdAt: info.date,
    };
  });
  const latest = finals.length > 0 ? finals[finals.length - 1]!.version : null;
  return {
    releases,
    tagCount: tags.size + notCommits.length,
    report: {
      imported: releases.length,
      versions: releases.map((r) => r.version),
      latest,
      alreadyRecorded,
      skipped: skipped.slice(0, SHOWN_SKIPS),
      skippedCount: skipped.length,
      suggestion: suggestTemplate(project, mismatched),
    },
  };
}

/**
 * Fetches the repository (so an unreachable one fails here, with git's message) and plans the import.
 * Call under the project's release lock, and record the plan before releasing it.
 */
export async function planImport(repo: ProjectRepository, project: ProjectRecord, existing: readonly ReleaseSummary[]): Promise<ImportPlan> {
  return repo.exclusive(async () => {
    await repo.sync();
    const { tags, notCommits } = await repo.listTagDetails();
    let merged: Set<string> | null = null;
    if (tags.size > 0) {
      // Without a default branch (an odd remote) nothing is taken for a hotfix.
      merged = await repo
        .defaultBranchHead()
        .then(({ head }) => repo.mergedTags(head))
        .catch(() => null);
    }
    return classifyTags(project, tags, notCommits, existing, merged);
  });
}

/** Records a planned import in the caller's transaction, with one audit record and event for the whole import. */
export async function applyImport(tx: Tx<Stores>, ctx: RequestContext, ids: IdGenerator, project: ProjectRecord, plan: ImportPlan): Promise<ImportReport> {
  if (plan.releases.length === 0) return plan.report;
  const releases: Release[] = plan.releases.map((r) => ({ ...r, id: ids.next(), importedAt: tx.now }));
  await tx.stores.releases.insertMany(releases);
  const { report } = plan;
  await tx.record(ctx, {
    action: 'release.imported',
    resourceType: 'project',
    resourceId: project.key,
    after: { imported: report.imported, versions: report.versions, latest: report.latest, skipped: report.skippedCount },
    event: {
      type: 'release.imported',
      projectKey: project.key,
      payload: { project: project.key, imported: report.imported, versions: report.versions.slice(-50), latest: report.latest, skipped: report.skippedCount },
    },
  });
  return report;
}

/** The releases side of adopting a repository, as projects use it (see `RepositoryAdoption` in project-service.ts). */
export class ReleaseAdoption {
  constructor(
    private readonly repositories: RepositoryRegistry,
    private readonly locks: ReleaseLocks,
    private readonly ids: IdGenerator,
  ) {}

  locked<T>(projectKey: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(projectKey, fn);
  }

  plan(project: ProjectRecord, existing: readonly ReleaseSummary[]): Promise<ImportPlan> {
    return planImport(this.repositories.forProject(project), project, existing);
  }

  apply(tx: Tx<Stores>, ctx: RequestContext, project: ProjectRecord, plan: ImportPlan): Promise<ImportReport> {
    return applyImport(tx, ctx, this.ids, project, plan);
  }
}
