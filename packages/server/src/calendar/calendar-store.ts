import type { Kysely, Selectable } from 'kysely';
import { lockRows } from '../db/row-lock.js';
import type { CalendarScheduleTable } from '../db/insights-schema.js';
import type { Database } from '../db/schema.js';

export const CALENDAR_KINDS = ['release', 'major', 'maintenance', 'freeze', 'custom'] as const;
export type CalendarKind = (typeof CALENDAR_KINDS)[number];

/** A recurring entry of the release calendar, for one project or (project null) the organisation. */
export interface CalendarSchedule {
  id: string;
  projectId: string | null;
  project: string | null;
  name: string;
  kind: CalendarKind;
  rrule: string;
  startsAt: string;
  timezone: string;
  durationMinutes: number;
  /** Announce each occurrence this long before it (e.g. 1440: "cuts tomorrow"); null: never. */
  remindMinutes: number | null;
  description: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

function toSchedule(r: Selectable<CalendarScheduleTable>): CalendarSchedule {
  return {
    id: r.id,
    projectId: r.project_id,
    project: r.project_key,
    name: r.name,
    kind: r.kind as CalendarKind,
    rrule: r.rrule,
    startsAt: r.starts_at,
    timezone: r.timezone,
    durationMinutes: r.duration_minutes,
    remindMinutes: r.remind_minutes,
    description: r.description,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toRow(s: CalendarSchedule): Selectable<CalendarScheduleTable> {
  return {
    id: s.id,
    project_id: s.projectId,
    project_key: s.project,
    name: s.name,
    kind: s.kind,
    rrule: s.rrule,
    starts_at: s.startsAt,
    timezone: s.timezone,
    duration_minutes: s.durationMinutes,
    remind_minutes: s.remindMinutes,
    description: s.description,
    created_by: s.createdBy,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}

export class CalendarStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Locks the schedule row until the transaction ends (read-merge-write of PATCH). */
  async lock(id: string): Promise<void> {
    await lockRows(this.db, 'calendar_schedules', { id });
  }

  async insert(s: CalendarSchedule): Promise<void> {
    await this.db.insertInto('calendar_schedules').values(toRow(s)).execute();
  }

  async update(s: CalendarSchedule): Promise<void> {
    const { id: _id, ...row } = toRow(s);
    await this.db.updateTable('calendar_schedules').set(row).where('id', '=', s.id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('calendar_schedules').where('id', '=', id).execute();
  }

  async get(id: string): Promise<CalendarSchedule | null> {
    const row = await this.db.selectFrom('calendar_schedules').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toSchedule(row) : null;
  }

  /** Every schedule, or those of one project plus the organisation's. */
  async list(projectId?: string): Promise<CalendarSchedule[]> {
    let q = this.db.selectFrom('calendar_schedules').selectAll();
    if (projectId !== undefined) q = q.where((eb) => eb.or([eb('project_id', '=', projectId), eb('project_id', 'is', null)]));
    return (await q.orderBy('name').orderBy('id').execute()).map(toSchedule);
  }

  // --- feed tokens ---

  async insertToken(t: { id: string; name: string; tokenHash: string; prefix: string; createdBy: string; createdAt: string }): Promise<void> {
    await this.db.insertInto('calendar_tokens').values({ id: t.id, name: t.name, token_hash: t.tokenHash, prefix: t.prefix, created_by: t.createdBy, created_at: t.createdAt, revoked_at: null }).execute();
  }

  async tokenByHash(hash: string): Promise<{ id: string; revokedAt: string | null } | null> {
    const row = await this.db.selectFrom('calendar_tokens').select(['id', 'revoked_at']).where('token_hash', '=', hash).executeTakeFirst();
    return row ? { id: row.id, revokedAt: row.revoked_at } : null;
  }

  async tokens(): Promise<Array<{ id: string; name: string; prefix: string; createdBy: string; createdAt: string; revokedAt: string | null }>> {
    const rows = await this.db.selectFrom('calendar_tokens').selectAll().orderBy('created_at', 'desc').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, prefix: r.prefix, createdBy: r.created_by, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    const r = await this.db.updateTable('calendar_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Releases cut in a range (the past side of the calendar). */
  async releasesCut(from: string, to: string, projectId?: string): Promise<Array<{ project: string; version: string; kind: string; createdAt: string }>> {
    let q = this.db.selectFrom('releases').innerJoin('projects', 'projects.id', 'releases.project_id').select(['projects.key as project', 'releases.version', 'releases.kind', 'releases.created_at']).where('releases.created_at', '>=', from).where('releases.created_at', '<', to);
    if (projectId !== undefined) q = q.where('releases.project_id', '=', projectId);
    const rows = await q.orderBy('releases.created_at').limit(2000).execute();
    return rows.map((r) => ({ project: r.project, version: r.version, kind: r.kind, createdAt: r.created_at }));
  }
}

/** Exactly-once markers of job occurrences (digests, reminders). */
export class JobStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** True for the one caller that records this occurrence first. */
  async claim(jobKey: string, fireAt: string, now: string): Promise<boolean> {
    const r = await this.db.insertInto('job_fires').values({ job_key: jobKey, fire_at: fireAt, fired_at: now }).onConflict((oc) => oc.columns(['job_key', 'fire_at']).doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
  }
}
