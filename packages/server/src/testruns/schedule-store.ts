import type { Kysely, Selectable } from 'kysely';
import { lockRows } from '../db/row-lock.js';
import type { TestScheduleTable } from '../db/insights-schema.js';
import type { Database } from '../db/schema.js';
import type { ExecutorConfig } from '../environments/deployment-settings.js';

/** A recurring test run of a project in an environment (daily E2E), fired by cron in a time zone. */
export interface TestSchedule {
  id: string;
  projectId: string;
  project: string;
  environment: string;
  name: string;
  cron: string;
  timezone: string;
  suite: string;
  /** command or webhook; a webhook secret is sealed. */
  executor: ExecutorConfig;
  timeoutMs: number;
  enabled: boolean;
  nextFireAt: string | null;
  lastFiredAt: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

function toSchedule(r: Selectable<TestScheduleTable>): TestSchedule {
  return {
    id: r.id,
    projectId: r.project_id,
    project: r.project_key,
    environment: r.environment_key,
    name: r.name,
    cron: r.cron,
    timezone: r.timezone,
    suite: r.suite,
    executor: JSON.parse(r.executor) as ExecutorConfig,
    timeoutMs: r.timeout_ms,
    enabled: r.enabled === 1,
    nextFireAt: r.next_fire_at,
    lastFiredAt: r.last_fired_at,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toRow(s: TestSchedule): Selectable<TestScheduleTable> {
  return {
    id: s.id,
    project_id: s.projectId,
    project_key: s.project,
    environment_key: s.environment,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    suite: s.suite,
    executor: JSON.stringify(s.executor),
    timeout_ms: s.timeoutMs,
    enabled: s.enabled ? 1 : 0,
    next_fire_at: s.nextFireAt,
    last_fired_at: s.lastFiredAt,
    created_by: s.createdBy,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}

export class TestScheduleStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Locks the schedule row until the transaction ends (read-merge-write of PATCH). */
  async lock(id: string): Promise<void> {
    await lockRows(this.db, 'test_schedules', { id });
  }

  async insert(s: TestSchedule): Promise<void> {
    await this.db.insertInto('test_schedules').values(toRow(s)).execute();
  }

  async update(s: TestSchedule): Promise<void> {
    const { id: _id, ...row } = toRow(s);
    await this.db.updateTable('test_schedules').set(row).where('id', '=', s.id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('test_schedules').where('id', '=', id).execute();
  }

  async get(projectId: string, name: string): Promise<TestSchedule | null> {
    const row = await this.db.selectFrom('test_schedules').selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
    return row ? toSchedule(row) : null;
  }

  async byId(id: string): Promise<TestSchedule | null> {
    const row = await this.db.selectFrom('test_schedules').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toSchedule(row) : null;
  }

  async list(projectId: string): Promise<TestSchedule[]> {
    return (await this.db.selectFrom('test_schedules').selectAll().where('project_id', '=', projectId).orderBy('name').execute()).map(toSchedule);
  }

  async due(now: string, limit: number): Promise<TestSchedule[]> {
    const rows = await this.db.selectFrom('test_schedules').selectAll().where('enabled', '=', 1).where('next_fire_at', '<=', now).orderBy('next_fire_at', 'asc').limit(limit).execute();
    return rows.map(toSchedule);
  }

  /**
   * Moves a schedule past its due time: a compare-and-set on `next_fire_at`, so of two servers (or a
   * server before and after a restart) exactly one fires each occurrence.
   */
  async advance(id: string, expectedNext: string, next: string | null, firedAt: string): Promise<boolean> {
    const r = await this.db.updateTable('test_schedules').set({ next_fire_at: next, last_fired_at: firedAt, updated_at: firedAt }).where('id', '=', id).where('next_fire_at', '=', expectedNext).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}
