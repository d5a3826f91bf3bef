import { timingSafeEqual } from 'node:crypto';
import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import { isUniqueViolation } from '../db/connect.js';
import type { Stores, Uow } from '../db/stores.js';
import type { Tx } from '../db/unit-of-work.js';
import type { Deployment } from '../deployments/deployment-store.js';
import type { ProjectRecord } from '../projects/project-store.js';
import type { Clock } from '../shared/clock.js';
import { ConflictError, NotFoundError, UnauthorizedError, ValidationError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { decodeCursor, isString, toPage, type Page, type PageRequest } from '../shared/page.js';
import type { SecretBox } from '../shared/secret-box.js';
import { emptyReport, testKey, type ParsedReport, type TestOutcome } from './junit-parser.js';
import { failingMessage, runMessage, testPayload } from './test-run-events.js';
import { isFinishedRun, type RunSource, type RunStatus, type TestRun } from './test-run-store.js';

export interface RunTags {
  environment?: string | null;
  version?: string | null;
  suite?: string;
}

/** A recorded run and what it changed: tests that started failing (a tracker task each), recovered, flaky. */
export interface RecordedRun {
  run: TestRun;
  newlyFailing: string[];
  recovered: string[];
  flakyTests: string[];
}

/** At most this many tracker tasks per run: a whole suite breaking at once is one incident, not 2,000 tasks. */
export const MAX_TASKS_PER_RUN = 50;
const MAX_STORED_OUTCOMES = 5000;
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,99}$/;
const SUITE = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** The callback token of a scheduled run: derived from the server key, never stored. */
export function runTokenFor(secrets: SecretBox, runId: string): string {
  return secrets.derive('slwtr', `test-run-callback:${runId}`);
}

/**
 * Test runs: JUnit uploads, results of scheduled runs (upload or callback) and deployments' smoke
 * checks. Each run updates which tests are failing per project and environment: a test that starts
 * failing raises one `test.failing` event (a tracker task through a `task` channel) and no more until
 * it has passed again; a test that failed earlier on the same version and passes now is flaky.
 */
export class TestRunService {
  constructor(
    private readonly uow: Uow,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly secrets: SecretBox,
  ) {}

  private async project(key: string): Promise<ProjectRecord> {
    const p = await this.uow.reads.projects.get(key);
    if (!p) throw new NotFoundError(`Project ${key} does not exist.`, { project: key });
    return p;
  }

  private checkTags(tags: RunTags): void {
    if (tags.version != null && !VERSION.test(tags.version)) throw new ValidationError('version must be a version or build id (letters, digits, . + _ -, at most 100).', { field: 'version' });
    if (tags.suite !== undefined && !SUITE.test(tags.suite)) throw new ValidationError('suite must be a slug such as e2e or unit.', { field: 'suite' });
  }

  private async environment(key: string | null | undefined): Promise<string | null> {
    if (key === null || key === undefined) return null;
    if (!(await this.uow.reads.environments.get(key))) throw new NotFoundError(`Environment ${key} does not exist.`, { environment: key, field: 'environment' });
    return key;
  }

  async get(id: string): Promise<TestRun> {
    const run = await this.uow.reads.testRuns.get(id);
    if (!run) throw new NotFoundError(`Test run ${id} does not exist.`, { run: id });
    return run;
  }

  async outcomes(id: string) {
    await this.get(id);
    return this.uow.reads.testRuns.outcomes(id);
  }

  async list(projectKey: string, filter: { environment?: string; version?: string; suite?: string; status?: RunStatus }, page: PageRequest): Promise<Page<TestRun>> {
    const p = await this.project(projectKey);
    const rows = await this.uow.reads.testRuns.page(p.id, { ...filter, beforeId: decodeCursor(page.cursor, isString), limit: page.limit + 1 });
    return toPage(rows, page.limit, (r) => r.id);
  }

  async flaky(projectKey: string, since: string, limit: number) {
    return this.uow.reads.testRuns.flaky((await this.project(projectKey)).id, since, limit);
  }

  async failing(projectKey: string, environment: string | null) {
    return this.uow.reads.testRuns.failing((await this.project(projectKey)).id, environment ?? '');
  }

  /** A JUnit upload (POST /projects/{p}/test-runs): a new run, or the results of a scheduled one (`run`). */
  async upload(ctx: RequestContext, projectKey: string, tags: RunTags & { run?: string }, report: ParsedReport): Promise<RecordedRun> {
    authorize(ctx.actor, { role: 'engineer', action: 'Recording test results' });
    this.checkTags(tags);
    const project = await this.project(projectKey);
    if (tags.run !== undefined) {
      const run = await this.get(tags.run);
      if (run.projectId !== project.id) throw new ValidationError(`Run ${run.id} belongs to ${run.project}, not ${project.key}.`, { field: 'run' });
      return this.complete(ctx, run, report, tags);
    }
    const environment = await this.environment(tags.environment);
    return this.uow.transaction((tx) => this.recordNew(tx, ctx, project, { environment, version: tags.version ?? null, suite: tags.suite ?? 'default', source: 'upload' }, report));
  }

  /** Checks a callback token against a run (executors report with it instead of an API token). */
  verifyRunToken(runId: string, token: string): void {
    const expected = Buffer.from(runTokenFor(this.secrets, runId));
    const given = Buffer.from(token);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new UnauthorizedError('The callback token does not belong to this test run.');
  }

  /**
   * Results of a scheduled run (a JUnit upload or a callback): fills the run and ends it, once. A
   * second report for a finished run is a conflict, so a retried upload cannot count twice.
   */
  async complete(ctx: RequestContext, run: TestRun, report: ParsedReport, tags: RunTags = {}): Promise<RecordedRun> {
    this.checkTags(tags);
    // Results that arrive after a run timed out or lost its executor still count: they replace the error.
    if (run.status === 'passed' || run.status === 'failed') throw new ConflictError(`Run ${run.id} already ended (${run.status}) at ${run.finishedAt}: upload the results as a new run instead.`, { run: run.id, status: run.status });
    return this.uow.transaction(async (tx) => {
      const project = (await tx.stores.projects.get(run.project))!;
      const patched: TestRun = { ...run, ...(tags.version != null && { version: tags.version }) };
      return this.record(tx, ctx, project, patched, report, ['queued', 'running', 'error']);
    });
  }

  /** A callback without JUnit: the executor says passed or failed, with counts and failures if it has them. */
  async callback(ctx: RequestContext, runId: string, input: { status: 'running' | 'passed' | 'failed'; message?: string; total?: number; failed?: number; skipped?: number; durationMs?: number; failures?: Array<{ name: string; classname?: string; message?: string }> }): Promise<TestRun | RecordedRun> {
    const run = await this.get(runId);
    if (input.status === 'running') {
      if (isFinishedRun(run.status)) throw new ConflictError(`Run ${run.id} already ended (${run.status}).`, { run: run.id, status: run.status });
      const now = this.clock.now().toISOString();
      await this.uow.reads.testRuns.update(run.id, ['queued', 'running'], { status: 'running', ...(run.startedAt === null && { startedAt: now }), ...(input.message !== undefined && { message: input.message }), updatedAt: now });
      return this.get(run.id);
    }
    const report = emptyReport();
    for (const f of input.failures ?? []) {
      const classname = f.classname ?? run.suite;
      report.outcomes.push({ key: testKey(classname, f.name), suite: run.suite, classname, name: f.name, kind: 'failed', message: f.message ?? null, detail: null, durationMs: null });
    }
    report.failed = Math.max(input.failed ?? 0, report.outcomes.length, input.status === 'failed' ? 1 : 0);
    report.skipped = input.skipped ?? 0;
    report.total = Math.max(input.total ?? 0, report.failed + report.skipped);
    report.durationMs = input.durationMs ?? 0;
    const recorded = await this.complete(ctx, run, report);
    if (input.message !== undefined) await this.uow.reads.testRuns.update(run.id, ['passed', 'failed'], { message: input.message, updatedAt: this.clock.now().toISOString() });
    return { ...recorded, run: await this.get(run.id) };
  }

  /**
   * Ends a scheduled run that produced no report: its command exited (0: passed, else failed), or it
   * could not run (error: the webhook refused, the deadline passed, the server running it stopped).
   * No-op when results already ended it.
   */
  async finishWithoutResults(ctx: RequestContext, runId: string, status: 'passed' | 'failed' | 'error', message: string): Promise<boolean> {
    return this.uow.transaction(async (tx) => {
      const run = await tx.stores.testRuns.get(runId);
      if (!run || isFinishedRun(run.status)) return false;
      if (!(await tx.stores.testRuns.update(runId, ['queued', 'running'], { status, message, finishedAt: tx.now, startedAt: run.startedAt ?? tx.now, updatedAt: tx.now }))) return false;
      const finished: TestRun = { ...run, status, message, finishedAt: tx.now, updatedAt: tx.now };
      await tx.record(ctx, {
        action: `test_run.${status}`,
        resourceType: 'test_run',
        resourceId: runId,
        after: { ...finished, executor: undefined },
        event: {
          type: status === 'passed' ? 'test_run.passed' : 'test_run.failed',
          projectKey: run.project,
          environmentKey: run.environment,
          payload: { runId, project: run.project, environment: run.environment, version: run.version, suite: run.suite, source: run.source, status, total: 0, failed: 0, errors: 0, skipped: 0, flaky: 0, durationMs: 0, newlyFailing: [], flakyTests: [], reason: message, message: runMessage(finished, []) },
        },
      });
      return true;
    });
  }

  /** A deployment's smoke check, as a run of suite `smoke` with one test (from the outbox, once per deployment). */
  async recordSmoke(tx: Tx<Stores>, ctx: RequestContext, d: Deployment): Promise<RecordedRun | null> {
    if (d.smoke === null) return null;
    const passed = d.status === 'succeeded' || (d.status === 'rolled_back' && d.failureReason === null);
    if (!passed && d.failureReason !== 'smoke_failed') return null;
    if (await tx.stores.testRuns.byDeployment(d.id)) return null;
    const project = await tx.stores.projects.get(d.projectKey);
    if (!project) return null;
    const name = 'http' in d.smoke ? `GET ${d.smoke.http.url}` : d.smoke.command.join(' ');
    const report = emptyReport();
    report.total = 1;
    const key = testKey('smoke', name);
    if (passed) report.passed.add(key);
    else {
      report.failed = 1;
      const logs = await tx.stores.deploymentLogs.tail(d.id, 5);
      report.outcomes.push({ key, suite: 'smoke', classname: 'smoke', name, kind: 'failed', message: logs.map((l) => l.line).find((l) => l.startsWith('smoke:')) ?? 'the smoke check failed', detail: logs.map((l) => l.line).join('\n') || null, durationMs: null });
    }
    try {
      return await this.recordNew(tx, ctx, project, { environment: d.environment, version: d.version, suite: 'smoke', source: 'smoke', deploymentId: d.id }, report);
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  private async recordNew(tx: Tx<Stores>, ctx: RequestContext, project: ProjectRecord, t: { environment: string | null; version: string | null; suite: string; source: RunSource; deploymentId?: string }, report: ParsedReport): Promise<RecordedRun> {
    const run: TestRun = {
      id: this.ids.next(),
      projectId: project.id,
      project: project.key,
      environment: t.environment,
      version: t.version,
      suite: t.suite,
      source: t.source,
      status: 'running',
      total: 0,
      failed: 0,
      errors: 0,
      skipped: 0,
      flaky: 0,
      durationMs: 0,
      message: null,
      scheduleId: null,
      deploymentId: t.deploymentId ?? null,
      executor: null,
      deadlineAt: null,
      startedAt: tx.now,
      finishedAt: null,
      createdBy: ctx.actor.username,
      createdAt: tx.now,
      updatedAt: tx.now,
    };
    await tx.stores.testRuns.insert(run);
    return this.record(tx, ctx, project, run, report, ['running']);
  }

  /** Fills a run with a report, tracks failing tests, raises the events; inside the caller's transaction. */
  private async record(tx: Tx<Stores>, ctx: RequestContext, project: ProjectRecord, run: TestRun, report: ParsedReport, from: RunStatus[]): Promise<RecordedRun> {
    const outcomes: TestOutcome[] = [...report.outcomes];
    // Failed before on this version, passing now: flaky (the code did not change, the result did).
    const flakyTests = outcomes.filter((o) => o.kind === 'flaky').map((o) => o.key);
    if (run.version !== null && report.passed.size > 0) {
      const before = await tx.stores.testRuns.failedBefore(project.id, run.version, run.id);
      for (const [key, firstRun] of before) {
        if (!report.passed.has(key) || flakyTests.includes(key)) continue;
        const [classname, ...rest] = key.split('::');
        outcomes.push({ key, suite: run.suite, classname: classname ?? '', name: rest.join('::'), kind: 'flaky', message: `failed in run ${firstRun} on ${run.version}, passed in this one`, detail: null, durationMs: null });
        flakyTests.push(key);
      }
    }
    const status: RunStatus = report.failed + report.errors > 0 ? 'failed' : 'passed';
    const finished: TestRun = {
      ...run,
      status,
      total: report.total,
      failed: report.failed,
      errors: report.errors,
      skipped: report.skipped,
      flaky: flakyTests.length,
      durationMs: report.durationMs,
      finishedAt: tx.now,
      startedAt: run.startedAt ?? tx.now,
      updatedAt: tx.now,
    };
    const ok = await tx.stores.testRuns.update(run.id, from, {
      status,
      total: finished.total,
      failed: finished.failed,
      errors: finished.errors,
      skipped: finished.skipped,
      flaky: finished.flaky,
      durationMs: finished.durationMs,
      version: finished.version,
      startedAt: finished.startedAt,
      finishedAt: tx.now,
      updatedAt: tx.now,
    });
    if (!ok) throw new ConflictError(`Run ${run.id} already has its results.`, { run: run.id });
    await tx.stores.testRuns.insertOutcomes(run.id, outcomes.slice(0, MAX_STORED_OUTCOMES).map((o) => ({ ...o, id: this.ids.next() })));
    const { newlyFailing, recovered } = await this.track(tx, ctx, project, finished, outcomes, report.passed);
    await tx.record(ctx, {
      action: `test_run.${status}`,
      resourceType: 'test_run',
      resourceId: run.id,
      after: { ...finished, executor: undefined, newlyFailing: newlyFailing.length, recovered: recovered.length },
      event: {
        type: `test_run.${status}`,
        projectKey: project.key,
        environmentKey: finished.environment,
        payload: {
          runId: run.id,
          project: project.key,
          environment: finished.environment,
          version: finished.version,
          suite: finished.suite,
          source: finished.source,
          status,
          total: finished.total,
          failed: finished.failed,
          errors: finished.errors,
          skipped: finished.skipped,
          flaky: finished.flaky,
          durationMs: finished.durationMs,
          newlyFailing: newlyFailing.slice(0, 50),
          flakyTests: flakyTests.slice(0, 50),
          message: runMessage(finished, newlyFailing),
        },
      },
    });
    return { run: finished, newlyFailing, recovered, flakyTests };
  }

  /** Which tests start failing, stay failing, or recover, per project and environment. */
  private async track(tx: Tx<Stores>, ctx: RequestContext, project: ProjectRecord, run: TestRun, outcomes: TestOutcome[], passed: Set<string>): Promise<{ newlyFailing: string[]; recovered: string[] }> {
    const env = run.environment ?? '';
    const failingNow = new Map(outcomes.filter((o) => o.kind === 'failed' || o.kind === 'error').map((o) => [o.key, o]));
    const known = await tx.stores.testRuns.failing(project.id, env);
    const knownKeys = new Set(known.map((k) => k.key));
    const started = [...failingNow.values()].filter((o) => !knownKeys.has(o.key));
    const still = [...failingNow.keys()].filter((k) => knownKeys.has(k));
    const recovered = known.filter((k) => passed.has(k.key));
    await tx.stores.testRuns.startFailing(project.id, env, started.map((o) => ({ key: o.key, suite: o.suite, name: o.name, message: o.message })), run.id, tx.now);
    await tx.stores.testRuns.stillFailing(project.id, env, still, run.id);
    await tx.stores.testRuns.recovered(project.id, env, recovered.map((r) => r.key));
    for (const o of started.slice(0, MAX_TASKS_PER_RUN)) {
      await tx.record(ctx, {
        action: 'test.failing',
        resourceType: 'test',
        resourceId: `${project.key}/${env || '-'}/${o.key}`.slice(0, 1000),
        after: { run: run.id, message: o.message },
        event: {
          type: 'test.failing',
          projectKey: project.key,
          environmentKey: run.environment,
          payload: { project: project.key, environment: run.environment, version: run.version, suite: run.suite, runId: run.id, test: testPayload(o), message: failingMessage(run, o) },
        },
      });
    }
    if (started.length > MAX_TASKS_PER_RUN) {
      await tx.record(ctx, {
        action: 'test.failing_many',
        resourceType: 'test_run',
        resourceId: run.id,
        after: { started: started.length },
        event: {
          type: 'test.failing',
          projectKey: project.key,
          environmentKey: run.environment,
          payload: {
            project: project.key,
            environment: run.environment,
            version: run.version,
            suite: run.suite,
            runId: run.id,
            test: { key: `${run.suite}::(${started.length - MAX_TASKS_PER_RUN} more)`, name: `${started.length - MAX_TASKS_PER_RUN} more tests`, classname: run.suite, suite: run.suite, message: `${started.length} tests started failing in run ${run.id}; tasks were opened for the first ${MAX_TASKS_PER_RUN}.`, detail: started.slice(MAX_TASKS_PER_RUN, MAX_TASKS_PER_RUN + 100).map((o) => o.key).join('\n') },
            message: { title: `${started.length - MAX_TASKS_PER_RUN} more tests started failing in ${project.key}`, summary: `Run ${run.id} has ${started.length} newly failing tests.`, tone: 'failure', facts: [] },
          },
        },
      });
    }
    for (const r of recovered.slice(0, MAX_TASKS_PER_RUN)) {
      await tx.record(ctx, {
        action: 'test.recovered',
        resourceType: 'test',
        resourceId: `${project.key}/${env || '-'}/${r.key}`.slice(0, 1000),
        after: { run: run.id, failingSince: r.sinceAt },
        event: {
          type: 'test.recovered',
          projectKey: project.key,
          environmentKey: run.environment,
          payload: { project: project.key, environment: run.environment, version: run.version, runId: run.id, test: { key: r.key, name: r.name, suite: r.suite }, failingSince: r.sinceAt, message: { title: `Test passes again: ${r.name}`, summary: `Failing since ${r.sinceAt} (run ${r.sinceRunId}).`, tone: 'success', facts: [] } },
        },
      });
    }
    return { newlyFailing: started.map((o) => o.key), recovered: recovered.map((r) => r.key) };
  }
}
