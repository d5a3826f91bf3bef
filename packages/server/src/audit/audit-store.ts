import type { Kysely, Selectable } from 'kysely';
import type { AuditTable, Database } from '../db/schema.js';

export interface AuditRecord {
  id: string;
  at: string;
  actor: { id: string | null; name: string };
  action: string;
  resourceType: string;
  resourceId: string;
  before: unknown;
  after: unknown;
  requestId: string | null;
}

export interface AuditFilter {
  actor?: string;
  resourceType?: string;
  resourceId?: string;
  action?: string;
  since?: string;
  /** Records before this time (exclusive): with `since`, a time range. */
  until?: string;
  /** Keyset cursor: return records older than this id (newest first). */
  before?: string;
  limit: number;
}

/** Audit rows are append-only: this store has no update or delete. */
export class AuditStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Project records whose before/after JSON holds a URL with userinfo: written before repository credentials were sealed (0012). */
  async projectRecordsWithUserinfo(): Promise<Array<{ id: string; before: string | null; after: string | null }>> {
    return this.db
      .selectFrom('audit_log')
      .select(['id', 'before', 'after'])
      .where('resource_type', '=', 'project')
      .where((eb) => eb.or([eb('before', 'like', '%://%@%'), eb('after', 'like', '%://%@%')]))
      .execute();
  }

  /**
   * Replaces the before/after of one record. The audit log is append-only except for this: redacting a
   * secret that should never have been written there (repository passwords, sealed at start).
   */
  async redact(id: string, before: string | null, after: string | null): Promise<void> {
    await this.db.updateTable('audit_log').set({ before, after }).where('id', '=', id).execute();
  }

  async insert(record: AuditRecord): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        id: record.id,
        at: record.at,
        actor_id: record.actor.id,
        actor_name: record.actor.name,
        action: record.action,
        resource_type: record.resourceType,
        resource_id: record.resourceId,
        before: record.before === undefined || record.before === null ? null : JSON.stringify(record.before),
        after: record.after === undefined || record.after === null ? null : JSON.stringify(record.after),
        request_id: record.requestId,
      })
      .execute();
  }

  /** Every record of one resource, oldest first (a deployment's timeline, a flag's history). */
  async forResource(resourceType: string, resourceId: string, limit: number): Promise<AuditRecord[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('resource_type', '=', resourceType)
      .where('resource_id', '=', resourceId)
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  async list(filter: AuditFilter): Promise<AuditRecord[]> {
    let query = this.db.selectFrom('audit_log').selectAll();
    if (filter.actor !== undefined) query = query.where('actor_name', '=', filter.actor);
    if (filter.resourceType !== undefined) query = query.where('resource_type', '=', filter.resourceType);
    if (filter.resourceId !== undefined) query = query.where('resource_id', '=', filter.resourceId);
    if (filter.action !== undefined) query = query.where('action', '=', filter.action);
    if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('at', '<', filter.until);
    if (filter.before !== undefined) query = query.where('id', '<', filter.before);
    const rows = await query.orderBy('id', 'desc').limit(filter.limit).execute();
    return rows.map(toRecord);
  }
}

function toRecord(row: Selectable<AuditTable>): AuditRecord {
  return {
    id: row.id,
    at: row.at,
    actor: { id: row.actor_id, name: row.actor_name },
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    before: row.before === null ? null : JSON.parse(row.before),
    after: row.after === null ? null : JSON.parse(row.after),
    requestId: row.request_id,
  };
}
