import type { EnvConfig, FlagKind, Variant } from '@slipway/flag-engine';
import type { Kysely, Selectable } from 'kysely';
import { lockRows, selectForUpdate } from '../db/row-lock.js';
import type { Database, FlagEnvironmentTable, FlagTable } from '../db/schema.js';

/** A flag definition as stored; shared by every environment of its project. */
export interface Flag {
  id: string;
  projectId: string;
  key: string;
  name: string;
  description: string;
  type: FlagKind;
  variants: Variant[];
  owner: string | null;
  tags: string[];
  archived: boolean;
  createdBy: string;
  createdAt: string;
  /** The last change to the definition or to any environment's configuration. */
  updatedAt: string;
  /** Counted up by every change of the definition or a configuration (0011); with the id, the ETag. */
  version: number;
}

/** A flag's stored configuration in one environment. */
export interface FlagEnvironment {
  flagId: string;
  environmentKey: string;
  config: EnvConfig;
  updatedBy: string;
  updatedAt: string;
}

function toFlag(row: Selectable<FlagTable>): Flag {
  return {
    id: row.id,
    projectId: row.project_id,
    key: row.key,
    name: row.name,
    description: row.description,
    type: row.kind as FlagKind,
    variants: JSON.parse(row.variants) as Variant[],
    owner: row.owner,
    tags: JSON.parse(row.tags) as string[],
    archived: row.archived === 1,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

function toFlagEnvironment(row: Selectable<FlagEnvironmentTable>): FlagEnvironment {
  return {
    flagId: row.flag_id,
    environmentKey: row.environment_key,
    config: JSON.parse(row.config) as EnvConfig,
    updatedBy: row.updated_by,
    updatedAt: row.updated_at,
  };
}

export class FlagStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(flag: Omit<Flag, 'version'>): Promise<void> {
    await this.db
      .insertInto('flags')
      .values({
        id: flag.id,
        project_id: flag.projectId,
        key: flag.key,
        name: flag.name,
        description: flag.description,
        kind: flag.type,
        variants: JSON.stringify(flag.variants),
        owner: flag.owner,
        tags: JSON.stringify(flag.tags),
        archived: flag.archived ? 1 : 0,
        created_by: flag.createdBy,
        created_at: flag.createdAt,
        updated_at: flag.updatedAt,
      })
      .execute();
  }

  async update(flag: Flag): Promise<void> {
    await this.db
      .updateTable('flags')
      .set({
        name: flag.name,
        description: flag.description,
        kind: flag.type,
        variants: JSON.stringify(flag.variants),
        owner: flag.owner,
        tags: JSON.stringify(flag.tags),
        archived: flag.archived ? 1 : 0,
        updated_at: flag.updatedAt,
        version: (eb) => eb('version', '+', 1),
      })
      .where('id', '=', flag.id)
      .execute();
  }

  /** A configuration changed: the flag's answer (which shows every environment) did too. */
  async touch(flagId: string, at: string): Promise<void> {
    await this.db.updateTable('flags').set({ updated_at: at, version: (eb) => eb('version', '+', 1) }).where('id', '=', flagId).execute();
  }

  /**
   * Reads the flag and locks its row until the transaction ends: definition changes and
   * configurations of one flag take turns (PostgreSQL `FOR UPDATE`; on SQLite a no-op write takes
   * the one write lock first, so the transaction never has to upgrade a read lock).
   */
  async getForUpdate(projectId: string, key: string): Promise<Flag | null> {
    if (selectForUpdate(this.db)) {
      const row = await this.db.selectFrom('flags').selectAll().where('project_id', '=', projectId).where('key', '=', key).forUpdate().executeTakeFirst();
      return row ? toFlag(row) : null;
    }
    await lockRows(this.db, 'flags', { project_id: projectId, key });
    return this.get(projectId, key);
  }

  async get(projectId: string, key: string): Promise<Flag | null> {
    const row = await this.db.selectFrom('flags').selectAll().where('project_id', '=', projectId).where('key', '=', key).executeTakeFirst();
    return row ? toFlag(row) : null;
  }

  /** A page of a project's flags by key; archived ones only when asked. */
  async page(projectId: string, options: { afterKey: string | null; limit: number; archived: boolean | null }): Promise<Flag[]> {
    let query = this.db.selectFrom('flags').selectAll().where('project_id', '=', projectId);
    if (options.archived !== null) query = query.where('archived', '=', options.archived ? 1 : 0);
    if (options.afterKey !== null) query = query.where('key', '>', options.afterKey);
    const rows = await query.orderBy('key', 'asc').limit(options.limit).execute();
    return rows.map(toFlag);
  }

  /** Every flag of a project, archived or not, by key (projects have hundreds, not millions). */
  async all(projectId: string): Promise<Flag[]> {
    const rows = await this.db.selectFrom('flags').selectAll().where('project_id', '=', projectId).orderBy('key', 'asc').execute();
    return rows.map(toFlag);
  }

  async environments(flagId: string): Promise<FlagEnvironment[]> {
    const rows = await this.db.selectFrom('flag_environments').selectAll().where('flag_id', '=', flagId).execute();
    return rows.map(toFlagEnvironment);
  }

  /** The stored configurations of several flags at once (one query for a page of flags). */
  async environmentsOf(flagIds: string[]): Promise<FlagEnvironment[]> {
    if (flagIds.length === 0) return [];
    const rows = await this.db.selectFrom('flag_environments').selectAll().where('flag_id', 'in', flagIds).execute();
    return rows.map(toFlagEnvironment);
  }

  async environment(flagId: string, environmentKey: string): Promise<FlagEnvironment | null> {
    const row = await this.db
      .selectFrom('flag_environments')
      .selectAll()
      .where('flag_id', '=', flagId)
      .where('environment_key', '=', environmentKey)
      .executeTakeFirst();
    return row ? toFlagEnvironment(row) : null;
  }

  /** Every stored configuration of a project's flags in one environment. */
  async configsIn(projectId: string, environmentKey: string): Promise<FlagEnvironment[]> {
    const rows = await this.db
      .selectFrom('flag_environments')
      .innerJoin('flags', 'flags.id', 'flag_environments.flag_id')
      .selectAll('flag_environments')
      .where('flags.project_id', '=', projectId)
      .where('flag_environments.environment_key', '=', environmentKey)
      .execute();
    return rows.map(toFlagEnvironment);
  }

  /** Every stored configuration of a project's flags, in all environments. */
  async allConfigs(projectId: string): Promise<FlagEnvironment[]> {
    const rows = await this.db
      .selectFrom('flag_environments')
      .innerJoin('flags', 'flags.id', 'flag_environments.flag_id')
      .selectAll('flag_environments')
      .where('flags.project_id', '=', projectId)
      .execute();
    return rows.map(toFlagEnvironment);
  }

  async putEnvironment(env: FlagEnvironment): Promise<void> {
    const values = { config: JSON.stringify(env.config), updated_by: env.updatedBy, updated_at: env.updatedAt };
    await this.db
      .insertInto('flag_environments')
      .values({ flag_id: env.flagId, environment_key: env.environmentKey, ...values })
      .onConflict((oc) => oc.columns(['flag_id', 'environment_key']).doUpdateSet(values))
      .execute();
  }
}
