import type { Kysely, Selectable } from 'kysely';
import { lockRows } from '../db/row-lock.js';
import type { Database, NotificationChannelTable } from '../db/schema.js';
import type { ChannelType, Subscription } from './channel-types.js';

/** A channel row: the clear part of its config, and its secrets sealed by the caller (AES-256-GCM). */
export interface StoredChannel {
  id: string;
  name: string;
  type: ChannelType;
  config: Record<string, unknown>;
  sealedSecrets: string;
  subscriptions: Subscription[];
  enabled: boolean;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

function toChannel(row: Selectable<NotificationChannelTable>): StoredChannel {
  return {
    id: row.id,
    name: row.name,
    type: row.type as ChannelType,
    config: JSON.parse(row.config) as Record<string, unknown>,
    sealedSecrets: row.secrets,
    subscriptions: JSON.parse(row.subscriptions) as Subscription[],
    enabled: row.enabled === 1,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class ChannelStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Locks the channel row (by id or name) until the transaction ends (read-merge-write of PATCH). */
  async lock(idOrName: string): Promise<void> {
    await lockRows(this.db, 'notification_channels', [{ id: idOrName }, { name: idOrName }]);
  }

  async insert(channel: StoredChannel): Promise<void> {
    await this.db
      .insertInto('notification_channels')
      .values({
        id: channel.id,
        name: channel.name,
        type: channel.type,
        config: JSON.stringify(channel.config),
        secrets: channel.sealedSecrets,
        subscriptions: JSON.stringify(channel.subscriptions),
        enabled: channel.enabled ? 1 : 0,
        created_by: channel.createdBy,
        created_at: channel.createdAt,
        updated_at: channel.updatedAt,
      })
      .execute();
  }

  async update(channel: StoredChannel): Promise<void> {
    await this.db
      .updateTable('notification_channels')
      .set({
        name: channel.name,
        config: JSON.stringify(channel.config),
        secrets: channel.sealedSecrets,
        subscriptions: JSON.stringify(channel.subscriptions),
        enabled: channel.enabled ? 1 : 0,
        updated_at: channel.updatedAt,
      })
      .where('id', '=', channel.id)
      .execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('notification_channels').where('id', '=', id).execute();
  }

  /** By id, or by name (names are unique). */
  async find(idOrName: string): Promise<StoredChannel | null> {
    const row = await this.db
      .selectFrom('notification_channels')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .executeTakeFirst();
    return row ? toChannel(row) : null;
  }

  /** Every channel by name; an organisation has tens of them, not thousands. */
  async all(): Promise<StoredChannel[]> {
    const rows = await this.db.selectFrom('notification_channels').selectAll().orderBy('name', 'asc').execute();
    return rows.map(toChannel);
  }

  async page(afterName: string | null, limit: number): Promise<StoredChannel[]> {
    let query = this.db.selectFrom('notification_channels').selectAll();
    if (afterName !== null) query = query.where('name', '>', afterName);
    const rows = await query.orderBy('name', 'asc').limit(limit).execute();
    return rows.map(toChannel);
  }
}
