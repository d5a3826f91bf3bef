import type { Kysely, Selectable } from 'kysely';
import { lockRows } from '../db/row-lock.js';
import type { Database, SdkKeyTable } from '../db/schema.js';

export type SdkKeyKind = 'server' | 'client';

/** An SDK key as stored: only the SHA-256 of the secret, never the secret itself. */
export interface SdkKeyRecord {
  id: string;
  projectId: string;
  projectKey: string;
  environmentKey: string;
  kind: SdkKeyKind;
  name: string;
  prefix: string;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
}

function toRecord(row: Selectable<SdkKeyTable>): SdkKeyRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    projectKey: row.project_key,
    environmentKey: row.environment_key,
    kind: row.kind as SdkKeyKind,
    name: row.name,
    prefix: row.prefix,
    createdBy: row.created_by,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

export class SdkKeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(key: SdkKeyRecord, hash: string): Promise<void> {
    await this.db
      .insertInto('sdk_keys')
      .values({
        id: key.id,
        project_id: key.projectId,
        project_key: key.projectKey,
        environment_key: key.environmentKey,
        kind: key.kind,
        name: key.name,
        key_hash: hash,
        prefix: key.prefix,
        created_by: key.createdBy,
        created_at: key.createdAt,
        revoked_at: null,
      })
      .execute();
  }

  async findByHash(hash: string): Promise<SdkKeyRecord | null> {
    const row = await this.db.selectFrom('sdk_keys').selectAll().where('key_hash', '=', hash).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async get(id: string): Promise<SdkKeyRecord | null> {
    const row = await this.db.selectFrom('sdk_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async page(projectId: string, environmentKey: string, afterId: string | null, limit: number): Promise<SdkKeyRecord[]> {
    let query = this.db.selectFrom('sdk_keys').selectAll().where('project_id', '=', projectId).where('environment_key', '=', environmentKey);
    if (afterId !== null) query = query.where('id', '>', afterId);
    const rows = await query.orderBy('id', 'asc').limit(limit).execute();
    return rows.map(toRecord);
  }

  /** Locks the key's row until the transaction ends (a revocation is recorded once). */
  async lock(id: string): Promise<void> {
    await lockRows(this.db, 'sdk_keys', { id });
  }

  async revoke(id: string, at: string): Promise<void> {
    await this.db.updateTable('sdk_keys').set({ revoked_at: at }).where('id', '=', id).execute();
  }
}
