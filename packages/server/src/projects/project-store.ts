import type { Kysely, Selectable } from 'kysely';
import { lockRows } from '../db/row-lock.js';
import type { Database, ProjectTable } from '../db/schema.js';
import type { ReleaseRule } from '../releases/release-rules.js';

/** A project as stored: lifecycles are null when they follow the default. */
export interface ProjectRecord {
  id: string;
  key: string;
  name: string;
  repository: string;
  tagTemplate: string;
  ticketPattern: string;
  lifecycle: string[] | null;
  hotfixLifecycle: string[] | null;
  initialVersion: string;
  /** Link template for ticket keys (`{ticket}` is replaced), or null for no links. */
  ticketUrl: string | null;
  /** The project's release rules; null while it follows the defaults. */
  releaseRules: ReleaseRule[] | null;
  /** Sealed credentials of an http(s) repository (never shown; `repository` shows `***` instead), or null. */
  repositoryCredentials: string | null;
  createdAt: string;
  updatedAt: string;
}

function toRecord(row: Selectable<ProjectTable>): ProjectRecord {
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    repository: row.repository,
    tagTemplate: row.tag_template,
    ticketPattern: row.ticket_pattern,
    lifecycle: row.lifecycle === null ? null : (JSON.parse(row.lifecycle) as string[]),
    hotfixLifecycle: row.hotfix_lifecycle === null ? null : (JSON.parse(row.hotfix_lifecycle) as string[]),
    initialVersion: row.initial_version,
    ticketUrl: row.ticket_url,
    releaseRules: row.release_rules === null ? null : (JSON.parse(row.release_rules) as ReleaseRule[]),
    repositoryCredentials: row.repository_credentials ?? null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRow(p: ProjectRecord): Omit<Selectable<ProjectTable>, 'id' | 'key' | 'created_at'> {
  return {
    name: p.name,
    repository: p.repository,
    tag_template: p.tagTemplate,
    ticket_pattern: p.ticketPattern,
    lifecycle: p.lifecycle === null ? null : JSON.stringify(p.lifecycle),
    hotfix_lifecycle: p.hotfixLifecycle === null ? null : JSON.stringify(p.hotfixLifecycle),
    initial_version: p.initialVersion,
    ticket_url: p.ticketUrl,
    release_rules: p.releaseRules === null ? null : JSON.stringify(p.releaseRules),
    repository_credentials: p.repositoryCredentials,
    updated_at: p.updatedAt,
  };
}

export class ProjectStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Locks the project row until the transaction ends (read-merge-write of PATCH). */
  async lock(key: string): Promise<void> {
    await lockRows(this.db, 'projects', { key });
  }

  async insert(project: ProjectRecord): Promise<void> {
    await this.db
      .insertInto('projects')
      .values({ id: project.id, key: project.key, created_at: project.createdAt, ...toRow(project) })
      .execute();
  }

  async get(key: string): Promise<ProjectRecord | null> {
    const row = await this.db.selectFrom('projects').selectAll().where('key', '=', key).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async page(afterKey: string | null, limit: number): Promise<ProjectRecord[]> {
    let query = this.db.selectFrom('projects').selectAll();
    if (afterKey !== null) query = query.where('key', '>', afterKey);
    const rows = await query.orderBy('key', 'asc').limit(limit).execute();
    return rows.map(toRecord);
  }

  async update(project: ProjectRecord): Promise<void> {
    await this.db.updateTable('projects').set(toRow(project)).where('id', '=', project.id).execute();
  }

  /** Every project whose repository URL has userinfo (`…://…@`): candidates for sealing credentials still in the URL. */
  async withUserinfo(): Promise<Array<{ id: string; repository: string; repositoryCredentials: string | null }>> {
    const rows = await this.db.selectFrom('projects').select(['id', 'repository', 'repository_credentials']).where('repository', 'like', '%://%@%').execute();
    return rows.map((r) => ({ id: r.id, repository: r.repository, repositoryCredentials: r.repository_credentials ?? null }));
  }

  /** Replaces a project's repository URL and sealed credentials (sealing at start). */
  async setRepository(id: string, repository: string, sealed: string | null): Promise<void> {
    await this.db.updateTable('projects').set({ repository, repository_credentials: sealed }).where('id', '=', id).execute();
  }

  /** Keys of projects whose explicit lifecycle names the environment. */
  async usingEnvironment(environmentKey: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('projects')
      .select(['key', 'lifecycle', 'hotfix_lifecycle'])
      .where((eb) => eb.or([eb('lifecycle', 'is not', null), eb('hotfix_lifecycle', 'is not', null)]))
      .orderBy('key')
      .execute();
    return rows
      .filter((row) => [row.lifecycle, row.hotfix_lifecycle].some((l) => l !== null && (JSON.parse(l) as string[]).includes(environmentKey)))
      .map((row) => row.key);
  }
}
