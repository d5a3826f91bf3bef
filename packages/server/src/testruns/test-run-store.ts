import type { Kysely, Selectable } from 'kysely';
import type { TestRunTable } from '../db/insights-schema.js';
import type { Database } from '../db/schema.js';
import type { ExecutorConfig } from '../environments/deployment-settings.js';
import type { TestOutcome } from './junit-parser.js';

export const RUN_STATUSES = ['queued', 'running', 'passed', 'failed', 'error'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const RUN_SOURCES = ['upload', 'schedule', 'smoke', 'callback'] as const;
export type RunSource = (typeof RUN_SOURCES)[number];
export const isFinishedRun = (s: RunStatus) => s === 'passed' || s === 'failed' || s === 'error';

export interface TestRun {
  id: string;
  projectId: string;
  project: string;
  environment: string | null;
  version: string | null;
  suite: string;
  source: RunSource;
  status: RunStatus;
  total: number;
  failed: number;
  errors: number;
  skipped: number;
  flaky: number;
  durationMs: number;
  message: string | null;
  scheduleId: string | null;
  deploymentId: string | null;
  /** For scheduled runs: the executor as it was when the run was created (webhook secret sealed). */
  executor: ExecutorConfig | null;
  deadlineAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface StoredOutcome extends TestOutcome {
  id: string;
  runId: string;
}

function toRun(r: Selectable<TestRunTable>): TestRun {
  return {
    id: r.id,
    projectId: r.project_id,
    project: r.project_key,
    environment: r.environment_key,
    version: r.version,
    suite: r.suite,
    source: r.source as RunSource,
    status: r.status as RunStatus,
    total: r.total,
    failed: r.failed,
    errors: r.errors,
    skipped: r.skipped,
    flaky: r.flaky,
    durationMs: r.duration_ms,
    message: r.message,
    scheduleId: r.schedule_id,
    deploymentId: r.deployment_id,
    executor: r.executor === null ? null : (JSON.parse(r.executor) as ExecutorConfig),
    deadlineAt: r.deadline_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export type RunPatch = Partial<Pick<TestRun, 'status' | 'total' | 'failed' | 'errors' | 'skipped' | 'flaky' | 'durationMs' | 'message' | 'version' | 'deadlineAt' | 'startedAt' | 'finishedAt'>> & { nextCheckAt?: string | null; updatedAt: string };

export class TestRunStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(r: TestRun, nextCheckAt: string | null = null): Promise<void> {
    await this.db
      .insertInto('test_runs')
      .values({
        id: r.id,
        project_id: r.projectId,
        project_key: r.project,
        environment_key: r.environment,
        version: r.version,
        suite: r.suite,
        source: r.source,
        status: r.status,
        total: r.total,
        failed: r.failed,
        errors: r.errors,
        skipped: r.skipped,
        flaky: r.flaky,
        duration_ms: r.durationMs,
        message: r.message,
        schedule_id: r.scheduleId,
        deployment_id: r.deploymentId,
        executor: r.executor === null ? null : JSON.stringify(r.executor),
        lease_owner: null,
        lease_expires_at: null,
        deadline_at: r.deadlineAt,
        next_check_at: nextCheckAt,
        started_at: r.startedAt,
        finished_at: r.finishedAt,
        created_by: r.createdBy,
        created_at: r.createdAt,
        updated_at: r.updatedAt,
      })
      .execute();
  }

  async get(id: string): Promise<TestRun | null> {
    const row = await this.db.selectFrom('test_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRun(row) : null;
  }

  async byDeployment(deploymentId: string): Promise<TestRun | null> {
    const row = await this.db.selectFrom('test_runs').selectAll().where('deployment_id', '=', deploymentId).executeTakeFirst();
    return row ? toRun(row) : null;
  }

  /** Compare-and-set on status; a finished status also drops the lease and the next check. */
  async update(id: string, from: readonly RunStatus[], p: RunPatch): Promise<boolean> {
    const finished = p.status !== undefined && isFinishedRun(p.status);
    const r = await this.db
      .updateTable('test_runs')
      .set({
        ...(p.status !== undefined && { status: p.status }),
        ...(p.total !== undefined && { total: p.total }),
        ...(p.failed !== undefined && { failed: p.failed }),
        ...(p.errors !== undefined && { errors: p.errors }),
        ...(p.skipped !== undefined && { skipped: p.skipped }),
        ...(p.flaky !== undefined && { flaky: p.flaky }),
        ...(p.durationMs !== undefined && { duration_ms: p.durationMs }),
        ...(p.message !== undefined && { message: p.message }),
        ...(p.version !== undefined && { version: p.version }),
        ...(p.deadlineAt !== undefined && { deadline_at: p.deadlineAt }),
        ...(p.startedAt !== undefined && { started_at: p.startedAt }),
        ...(p.finishedAt !== undefined && { finished_at: p.finishedAt }),
        ...(p.nextCheckAt !== undefined && { next_check_at: p.nextCheckAt }),
        ...(finished && { next_check_at: null, lease_owner: null, lease_expires_at: null }),
        updated_at: p.updatedAt,
      })
      .where('id', '=', id)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Newest first, keyset on id. */
  async page(projectId: string, f: { environment?: string; version?: string; suite?: string; status?: RunStatus; beforeId: string | null; limit: number }): Promise<TestRun[]> {
    let q = this.db.selectFrom('test_runs').selectAll().where('project_id', '=', projectId);
    if (f.environment !== undefined) q = q.where('environment_key', '=', f.environment);
    if (f.version !== undefined) q = q.where('version', '=', f.version);
    if (f.suite !== undefined) q = q.where('suite', '=', f.suite);
    if (f.status !== undefined) q = q.where('status', '=', f.status);
    if (f.beforeId !== null) q = q.where('id', '<', f.beforeId);
    return (await q.orderBy('id', 'desc').limit(f.limit).execute()).map(toRun);
  }

  /** The newest finished run of a suite on a version (optionally in one environment): what the deploy gate reads. */
  async lastFinished(projectId: string, version: string, suite: string, environment: string | null): Promise<TestRun | null> {
    let q = this.db.selectFrom('test_runs').selectAll().where('project_id', '=', projectId).where('version', '=', version).where('suite', '=', suite).where('status', 'in', ['passed', 'failed', 'error']);
    if (environment !== null) q = q.where('environment_key', '=', environment);
    const row = await q.orderBy('finished_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
    return row ? toRun(row) : null;
  }

  async insertOutcomes(runId: string, outcomes: Array<TestOutcome & { id: string }>): Promise<void> {
    for (let i = 0; i < outcomes.length; i += 200) {
      await this.db
        .insertInto('test_failures')
        .values(outcomes.slice(i, i + 200).map((o) => ({ id: o.id, run_id: runId, test_key: o.key, suite: o.suite, classname: o.classname, name: o.name, kind: o.kind, message: o.message, detail: o.detail, duration_ms: o.durationMs })))
        .execute();
    }
  }

  async outcomes(runId: string, limit = 1000): Promise<StoredOutcome[]> {
    const rows = await this.db.selectFrom('test_failures').selectAll().where('run_id', '=', runId).orderBy('kind', 'asc').orderBy('test_key', 'asc').limit(limit).execute();
    return rows.map((r) => ({ id: r.id, runId: r.run_id, key: r.test_key, suite: r.suite, classname: r.classname, name: r.name, kind: r.kind as TestOutcome['kind'], message: r.message, detail: r.detail, durationMs: r.duration_ms }));
  }

  /** Tests that failed (or errored) in earlier runs of this version of the project: test key → the first such run. */
  async failedBefore(projectId: string, version: string, excludeRun: string): Promise<Map<string, string>> {
    const rows = await this.db
      .selectFrom('test_failures as f')
      .innerJoin('test_runs as r', 'r.id', 'f.run_id')
      .select(['f.test_key', 'f.run_id'])
      .where('r.project_id', '=', projectId)
      .where('r.version', '=', version)
      .where('r.id', '<>', excludeRun)
      .where('f.kind', 'in', ['failed', 'error'])
      .orderBy('f.run_id', 'asc')
      .execute();
    const out = new Map<string, string>();
    for (const r of rows) if (!out.has(r.test_key)) out.set(r.test_key, r.run_id);
    return out;
  }

  /** Flaky tests of a project (kind `flaky` outcomes) since a time, with how often and on which versions. */
  async flaky(projectId: string, since: string, limit: number): Promise<Array<{ key: string; suite: string; name: string; count: number; lastSeen: string; versions: string[] }>> {
    const rows = await this.db
      .selectFrom('test_failures as f')
      .innerJoin('test_runs as r', 'r.id', 'f.run_id')
      .select(['f.test_key', 'f.suite', 'f.name', 'r.version', 'r.created_at'])
      .where('r.project_id', '=', projectId)
      .where('r.created_at', '>=', since)
      .where('f.kind', '=', 'flaky')
      .orderBy('r.created_at', 'desc')
      .limit(10_000)
      .execute();
    const by = new Map<string, { key: string; suite: string; name: string; count: number; lastSeen: string; versions: string[] }>();
    for (const r of rows) {
      const e = by.get(r.test_key) ?? { key: r.test_key, suite: r.suite, name: r.name, count: 0, lastSeen: r.created_at, versions: [] };
      e.count++;
      if (r.version !== null && !e.versions.includes(r.version)) e.versions.push(r.version);
      by.set(r.test_key, e);
    }
    return [...by.values()].sort((a, b) => b.count - a.count || (a.lastSeen < b.lastSeen ? 1 : -1)).slice(0, limit);
  }

  // --- failing tests (what opened a tracker task) ---

  async failing(projectId: string, environment: string): Promise<Array<{ key: string; suite: string; name: string; message: string | null; sinceRunId: string; sinceAt: string; lastRunId: string }>> {
    const rows = await this.db.selectFrom('failing_tests').selectAll().where('project_id', '=', projectId).where('environment_key', '=', environment).orderBy('since_at', 'asc').execute();
    return rows.map((r) => ({ key: r.test_key, suite: r.suite, name: r.name, message: r.message, sinceRunId: r.since_run_id, sinceAt: r.since_at, lastRunId: r.last_run_id }));
  }

  async startFailing(projectId: string, environment: string, rows: Array<{ key: string; suite: string; name: string; message: string | null }>, runId: string, at: string): Promise<void> {
    for (let i = 0; i < rows.length; i += 200) {
      await this.db
        .insertInto('failing_tests')
        .values(rows.slice(i, i + 200).map((r) => ({ project_id: projectId, environment_key: environment, test_key: r.key, suite: r.suite, name: r.name, message: r.message, since_run_id: runId, since_at: at, last_run_id: runId })))
        .onConflict((oc) => oc.columns(['project_id', 'environment_key', 'test_key']).doNothing())
        .execute();
    }
  }

  async stillFailing(projectId: string, environment: string, keys: string[], runId: string): Promise<void> {
    for (let i = 0; i < keys.length; i += 500) {
      await this.db.updateTable('failing_tests').set({ last_run_id: runId }).where('project_id', '=', projectId).where('environment_key', '=', environment).where('test_key', 'in', keys.slice(i, i + 500)).execute();
    }
  }

  async recovered(projectId: string, environment: string, keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 500) {
      await this.db.deleteFrom('failing_tests').where('project_id', '=', projectId).where('environment_key', '=', environment).where('test_key', 'in', keys.slice(i, i + 500)).execute();
    }
  }

  // --- scheduled runs: the runner's queue, with leases ---

  async due(now: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('test_runs')
      .select('id')
      .where('status', 'in', ['queued', 'running'])
      .where('next_check_at', '<=', now)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
      .orderBy('next_check_at', 'asc')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  async claim(id: string, owner: string, now: string, expiresAt: string): Promise<boolean> {
    const r = await this.db
      .updateTable('test_runs')
      .set({ lease_owner: owner, lease_expires_at: expiresAt })
      .where('id', '=', id)
      .where('status', 'in', ['queued', 'running'])
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now), eb('lease_owner', '=', owner)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async renew(id: string, owner: string, expiresAt: string): Promise<boolean> {
    const r = await this.db.updateTable('test_runs').set({ lease_expires_at: expiresAt }).where('id', '=', id).where('lease_owner', '=', owner).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async release(id: string, owner: string, nextCheckAt: string | null): Promise<void> {
    await this.db.updateTable('test_runs').set({ lease_owner: null, lease_expires_at: null, next_check_at: nextCheckAt }).where('id', '=', id).where('lease_owner', '=', owner).execute();
  }

  /** The lease of a run, to tell "a server holds it" from "its server died". */
  async lease(id: string): Promise<{ owner: string | null; expiresAt: string | null }> {
    const row = await this.db.selectFrom('test_runs').select(['lease_owner', 'lease_expires_at']).where('id', '=', id).executeTakeFirst();
    return { owner: row?.lease_owner ?? null, expiresAt: row?.lease_expires_at ?? null };
  }

  // --- the optional deploy gate per environment ---

  async gate(environment: string): Promise<{ environment: string; suite: string; sourceEnvironment: string | null; updatedBy: string; updatedAt: string } | null> {
    const row = await this.db.selectFrom('test_gates').selectAll().where('environment_key', '=', environment).executeTakeFirst();
    return row ? { environment: row.environment_key, suite: row.suite, sourceEnvironment: row.source_environment, updatedBy: row.updated_by, updatedAt: row.updated_at } : null;
  }

  async setGate(environment: string, suite: string, sourceEnvironment: string | null, by: string, at: string): Promise<void> {
    await this.db
      .insertInto('test_gates')
      .values({ environment_key: environment, suite, source_environment: sourceEnvironment, updated_by: by, updated_at: at })
      .onConflict((oc) => oc.column('environment_key').doUpdateSet({ suite, source_environment: sourceEnvironment, updated_by: by, updated_at: at }))
      .execute();
  }

  async deleteGate(environment: string): Promise<boolean> {
    const r = await this.db.deleteFrom('test_gates').where('environment_key', '=', environment).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Runs finished in a range (all projects or some): how many, how many failed, how many flaky tests. */
  async summary(from: string, to: string, projectIds?: string[]): Promise<{ runs: number; failed: number; flaky: number }> {
    let q = this.db
      .selectFrom('test_runs')
      .select([(eb) => eb.fn.countAll<number>().as('runs'), (eb) => eb.fn.sum<number>(eb.case().when('status', 'in', ['failed', 'error']).then(1).else(0).end()).as('failed'), (eb) => eb.fn.sum<number>('flaky').as('flaky')])
      .where('finished_at', '>=', from)
      .where('finished_at', '<', to);
    if (projectIds !== undefined) q = q.where('project_id', 'in', projectIds.length > 0 ? projectIds : ['']);
    const row = await q.executeTakeFirst();
    return { runs: Number(row?.runs ?? 0), failed: Number(row?.failed ?? 0), flaky: Number(row?.flaky ?? 0) };
  }
}
