import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** "web requires api ^2.3.0": a semver range on another project. */
export interface Requirement {
  project: string;
  range: string;
}

export type RequirementSource = 'api' | 'file' | 'none';

/** Requirements between projects: per release (version) or for a whole project (version ''). */
export class CompatibilityStore {
  constructor(private readonly db: Kysely<Database>) {}

  async requirements(projectId: string, version: string): Promise<Requirement[]> {
    const rows = await this.db.selectFrom('project_requirements').select(['requires_project', 'version_range']).where('project_id', '=', projectId).where('version', '=', version).orderBy('requires_project').execute();
    return rows.map((r) => ({ project: r.requires_project, range: r.version_range }));
  }

  async replace(projectId: string, version: string, requires: Requirement[], source: string, now: string): Promise<void> {
    await this.db.deleteFrom('project_requirements').where('project_id', '=', projectId).where('version', '=', version).execute();
    if (requires.length > 0) {
      await this.db
        .insertInto('project_requirements')
        .values(requires.map((r) => ({ project_id: projectId, version, requires_project: r.project, version_range: r.range, source, created_at: now })))
        .execute();
    }
  }

  async source(projectId: string, version: string): Promise<{ source: RequirementSource; file: string | null; note: string | null } | null> {
    const row = await this.db.selectFrom('release_requirement_sources').selectAll().where('project_id', '=', projectId).where('version', '=', version).executeTakeFirst();
    return row ? { source: row.source as RequirementSource, file: row.file, note: row.note } : null;
  }

  async setSource(projectId: string, version: string, source: RequirementSource, file: string | null, note: string | null, now: string): Promise<void> {
    const values = { project_id: projectId, version, source, file, note, read_at: now };
    await this.db
      .insertInto('release_requirement_sources')
      .values(values)
      .onConflict((oc) => oc.columns(['project_id', 'version']).doUpdateSet({ source, file, note, read_at: now }))
      .execute();
  }

  /** What runs in an environment: every project's current version there. */
  async running(environment: string): Promise<Array<{ projectId: string; project: string; repository: string; repositoryCredentials: string | null; version: string }>> {
    const rows = await this.db
      .selectFrom('deployment_state')
      .innerJoin('projects', 'projects.id', 'deployment_state.project_id')
      .select(['deployment_state.project_id', 'projects.key', 'projects.repository', 'projects.repository_credentials', 'deployment_state.current_version'])
      .where('deployment_state.environment_key', '=', environment)
      .where('deployment_state.current_version', 'is not', null)
      .orderBy('projects.key')
      .execute();
    return rows.map((r) => ({ projectId: r.project_id, project: r.key, repository: r.repository, repositoryCredentials: r.repository_credentials ?? null, version: r.current_version! }));
  }
}
