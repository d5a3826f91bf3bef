import type { Kysely, Selectable } from 'kysely';
import type { Database, ReleaseTable } from '../db/schema.js';
import type { ChangelogEntry, VersionKind } from './versioning.js';

export type ReleaseKind = VersionKind | 'hotfix';

/** An immutable version of a project, as recorded when its tag was pushed. */
export interface Release {
  id: string;
  projectId: string;
  projectKey: string;
  version: string;
  tag: string;
  commit: string;
  kind: ReleaseKind;
  /** The release a hotfix was made from. */
  parent: string | null;
  /** The release the changelog counts from (null for a first release). */
  previous: string | null;
  /** The ref that was released (branch, tag or sha as requested). */
  ref: string;
  changelog: ChangelogEntry[];
  tickets: string[];
  idempotencyKey: string | null;
  /** Who made it; `import` for a release adopted from an existing tag. */
  createdBy: string;
  /** When it was made (for an imported release: the tag's date). */
  createdAt: string;
  /** When it was adopted from an existing tag; null for releases Slipway made. */
  importedAt: string | null;
}

/** What version rules need of every release: no changelog. */
export type ReleaseSummary = Pick<Release, 'version' | 'tag' | 'commit' | 'kind' | 'parent' | 'createdAt'>;

type Row = Selectable<ReleaseTable> & { project_key: string };

function toRelease(row: Row): Release {
  return {
    id: row.id,
    projectId: row.project_id,
    projectKey: row.project_key,
    version: row.version,
    tag: row.tag,
    commit: row.commit_sha,
    kind: row.kind as ReleaseKind,
    parent: row.parent_version,
    previous: row.previous_version,
    ref: row.ref,
    changelog: JSON.parse(row.changelog) as ChangelogEntry[],
    tickets: JSON.parse(row.tickets) as string[],
    idempotencyKey: row.idempotency_key,
    createdBy: row.created_by,
    createdAt: row.created_at,
    importedAt: row.imported_at,
  };
}

function toRow(release: Release) {
  return {
    id: release.id,
    project_id: release.projectId,
    version: release.version,
    tag: release.tag,
    commit_sha: release.commit,
    kind: release.kind,
    parent_version: release.parent,
    previous_version: release.previous,
    ref: release.ref,
    changelog: JSON.stringify(release.changelog),
    tickets: JSON.stringify(release.tickets),
    idempotency_key: release.idempotencyKey,
    created_by: release.createdBy,
    created_at: release.createdAt,
    imported_at: release.importedAt,
  };
}

export class ReleaseStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(release: Release): Promise<void> {
    await this.db.insertInto('releases').values(toRow(release)).execute();
  }

  /** Many releases at once (an import), in batches that stay under every driver's parameter limit. */
  async insertMany(releases: readonly Release[]): Promise<void> {
    for (let at = 0; at < releases.length; at += 50) {
      await this.db.insertInto('releases').values(releases.slice(at, at + 50).map(toRow)).execute();
    }
  }

  private base() {
    return this.db.selectFrom('releases').innerJoin('projects', 'projects.id', 'releases.project_id').selectAll('releases').select('projects.key as project_key');
  }

  async get(projectId: string, version: string): Promise<Release | null> {
    const row = await this.base().where('releases.project_id', '=', projectId).where('releases.version', '=', version).executeTakeFirst();
    return row ? toRelease(row) : null;
  }

  async byIdempotencyKey(projectId: string, key: string): Promise<Release | null> {
    const row = await this.base().where('releases.project_id', '=', projectId).where('releases.idempotency_key', '=', key).executeTakeFirst();
    return row ? toRelease(row) : null;
  }

  /** The release that owns a tag, or null. */
  async byTag(projectId: string, tag: string): Promise<Release | null> {
    const row = await this.base().where('releases.project_id', '=', projectId).where('releases.tag', '=', tag).executeTakeFirst();
    return row ? toRelease(row) : null;
  }

  /** Every release of a project without changelogs (versions, tags, commits): what version rules need. */
  async summaries(projectId: string): Promise<ReleaseSummary[]> {
    const rows = await this.db
      .selectFrom('releases')
      .select(['version', 'tag', 'commit_sha', 'kind', 'parent_version', 'created_at'])
      .where('project_id', '=', projectId)
      .orderBy('id', 'asc')
      .execute();
    return rows.map((r) => ({ version: r.version, tag: r.tag, commit: r.commit_sha, kind: r.kind as ReleaseKind, parent: r.parent_version, createdAt: r.created_at }));
  }

  /** Newest first; `beforeId` is the keyset cursor. */
  async page(projectId: string, filter: { kind?: string; beforeId: string | null; limit: number }): Promise<Release[]> {
    let query = this.base().where('releases.project_id', '=', projectId);
    if (filter.kind !== undefined) query = query.where('releases.kind', '=', filter.kind);
    if (filter.beforeId !== null) query = query.where('releases.id', '<', filter.beforeId);
    const rows = await query.orderBy('releases.id', 'desc').limit(filter.limit).execute();
    return rows.map(toRelease);
  }
}
