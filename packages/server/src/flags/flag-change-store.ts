import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** How many changes per environment the log keeps for resuming streams; older ones get a fresh `put`. */
export const CHANGE_LOG_LENGTH = 500;
const TRIM_EVERY = 50;

/** One committed change to an environment's rule set, as SDK streams receive it. */
export interface RuleSetChange {
  projectKey: string;
  environmentKey: string;
  version: number;
  /** The `patch` event body (without `version`, which is added when sent). */
  patch: RuleSetPatchBody;
}

/** What changed: flag definitions (with this environment's configuration) and segments. */
export interface RuleSetPatchBody {
  flags?: unknown[];
  deletedFlags?: string[];
  segments?: unknown[];
  deletedSegments?: string[];
}

/** The per-environment version counter and the bounded change log. */
export class FlagChangeStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Bumps the environment's version inside the caller's transaction and logs the patch. */
  async append(projectKey: string, environmentKey: string, patch: RuleSetPatchBody, at: string): Promise<number> {
    // One upsert both creates the counter and bumps it; on PostgreSQL it locks the row until commit.
    const row = await this.db
      .insertInto('flag_versions')
      .values({ project_key: projectKey, environment_key: environmentKey, version: 1 })
      .onConflict((oc) => oc.columns(['project_key', 'environment_key']).doUpdateSet((eb) => ({ version: eb('flag_versions.version', '+', 1) })))
      .returning('version')
      .executeTakeFirstOrThrow();
    const version = Number(row.version);
    await this.db
      .insertInto('flag_changes')
      .values({ project_key: projectKey, environment_key: environmentKey, version, patch: JSON.stringify(patch), created_at: at })
      .execute();
    // Trimming now and then keeps the log bounded without a delete in every change.
    if (version % TRIM_EVERY === 0) {
      await this.db
        .deleteFrom('flag_changes')
        .where('project_key', '=', projectKey)
        .where('environment_key', '=', environmentKey)
        .where('version', '<=', version - CHANGE_LOG_LENGTH)
        .execute();
    }
    return version;
  }

  async version(projectKey: string, environmentKey: string): Promise<number> {
    const row = await this.db
      .selectFrom('flag_versions')
      .select('version')
      .where('project_key', '=', projectKey)
      .where('environment_key', '=', environmentKey)
      .executeTakeFirst();
    return row ? Number(row.version) : 0;
  }

  /** Every environment's version (for the periodic check that no notification was missed). */
  async allVersions(): Promise<Array<{ projectKey: string; environmentKey: string; version: number }>> {
    const rows = await this.db.selectFrom('flag_versions').selectAll().execute();
    return rows.map((r) => ({ projectKey: r.project_key, environmentKey: r.environment_key, version: Number(r.version) }));
  }

  /** The changes after `afterVersion`, oldest first. */
  async since(projectKey: string, environmentKey: string, afterVersion: number): Promise<RuleSetChange[]> {
    const rows = await this.db
      .selectFrom('flag_changes')
      .selectAll()
      .where('project_key', '=', projectKey)
      .where('environment_key', '=', environmentKey)
      .where('version', '>', afterVersion)
      .orderBy('version', 'asc')
      .execute();
    return rows.map((r) => ({
      projectKey: r.project_key,
      environmentKey: r.environment_key,
      version: Number(r.version),
      patch: JSON.parse(r.patch) as RuleSetPatchBody,
    }));
  }
}
