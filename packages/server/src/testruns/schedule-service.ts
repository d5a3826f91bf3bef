import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import { isUniqueViolation } from '../db/connect.js';
import type { Stores, Uow } from '../db/stores.js';
import type { Tx } from '../db/unit-of-work.js';
import type { ExecutorConfig } from '../environments/deployment-settings.js';
import type { ProjectRecord } from '../projects/project-store.js';
import type { Clock } from '../shared/clock.js';
import { ConflictError, NotFoundError, SecretRequiredError, ValidationError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { DEFAULT_OUTBOUND_POLICY, REFUSED_MESSAGE, type OutboundPolicy } from '../shared/outbound-policy.js';
import type { SecretBox } from '../shared/secret-box.js';
import { nextFire, validateCron } from './cron.js';
import type { TestSchedule } from './schedule-store.js';
import type { TestRun } from './test-run-store.js';

export type ExecutorInput = { type: 'command'; command: string[] } | { type: 'webhook'; url: string; secret?: string };

export interface ScheduleInput {
  name: string;
  environment: string;
  cron: string;
  timezone?: string;
  suite?: string;
  executor: ExecutorInput;
  timeoutMs?: number;
  enabled?: boolean;
}

export type SchedulePatch = Partial<Omit<ScheduleInput, 'name'>>;

/** Six hours: the seed's daily E2E run takes that long. */
export const DEFAULT_RUN_TIMEOUT_MS = 6 * 3_600_000;
const MANAGE = 'Managing test schedules';

/**
 * Test schedules: per project and environment, a cron expression in a time zone that starts a run
 * through a command or a webhook (like a deployment target). Firing is a compare-and-set on the
 * schedule's next time, so each occurrence fires once across servers and restarts; occurrences missed
 * while no server ran are fired once, not once each.
 */
export class TestScheduleService {
  constructor(
    private readonly uow: Uow,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly box: SecretBox,
    private readonly outbound: OutboundPolicy = DEFAULT_OUTBOUND_POLICY,
  ) {}

  present(s: TestSchedule) {
    const { projectId: _p, executor, ...rest } = s;
    return { ...rest, executor: executor.type === 'webhook' ? { type: 'webhook', url: executor.url, hasSecret: executor.secret !== '' } : executor.type === 'command' ? { type: 'command', command: executor.command } : { type: executor.type } };
  }

  private async project(key: string): Promise<ProjectRecord> {
    const p = await this.uow.reads.projects.get(key);
    if (!p) throw new NotFoundError(`Project ${key} does not exist.`, { project: key });
    return p;
  }

  private async find(projectKey: string, name: string): Promise<TestSchedule> {
    const p = await this.project(projectKey);
    const s = await this.uow.reads.testSchedules.get(p.id, name);
    if (!s) throw new NotFoundError(`${projectKey} has no test schedule ${name}.`, { project: projectKey, schedule: name });
    return s;
  }

  private executor(input: ExecutorInput, timeoutMs: number, previous: ExecutorConfig | null): ExecutorConfig {
    if (input.type === 'command') return { type: 'command', command: input.command, timeoutMs };
    const refused = this.outbound.urlProblem(input.url);
    if (refused) throw new ValidationError(`executor.url: ${REFUSED_MESSAGE}: ${refused}.`, { field: 'executor.url' });
    if (input.secret === undefined && previous?.type === 'webhook' && previous.url !== input.url) {
      throw new SecretRequiredError('executor.url changes where the signing secret is sent: send executor.secret again in the same request.', { field: 'executor.secret' });
    }
    let secret = input.secret === undefined ? undefined : this.box.encrypt(input.secret);
    if (secret === undefined && previous?.type === 'webhook') secret = previous.secret;
    if (secret === undefined) throw new ValidationError('executor.secret: a webhook executor needs a secret (at least 16 characters) to sign its requests.', { field: 'executor.secret' });
    return { type: 'webhook', url: input.url, secret, timeoutMs };
  }

  async list(projectKey: string): Promise<TestSchedule[]> {
    return this.uow.reads.testSchedules.list((await this.project(projectKey)).id);
  }

  get(projectKey: string, name: string): Promise<TestSchedule> {
    return this.find(projectKey, name);
  }

  async create(ctx: RequestContext, projectKey: string, input: ScheduleInput): Promise<TestSchedule> {
    authorize(ctx.actor, { role: 'release-manager', action: MANAGE });
    const project = await this.project(projectKey);
    if (!(await this.uow.reads.environments.get(input.environment))) throw new NotFoundError(`Environment ${input.environment} does not exist.`, { environment: input.environment, field: 'environment' });
    const timezone = input.timezone ?? 'UTC';
    validateCron(input.cron, timezone);
    const timeoutMs = input.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
    return this.uow.transaction(async (tx) => {
      const enabled = input.enabled ?? true;
      const s: TestSchedule = {
        id: this.ids.next(),
        projectId: project.id,
        project: project.key,
        environment: input.environment,
        name: input.name,
        cron: input.cron,
        timezone,
        suite: input.suite ?? 'e2e',
        executor: this.executor(input.executor, timeoutMs, null),
        timeoutMs,
        enabled,
        nextFireAt: enabled ? (nextFire(input.cron, timezone, this.clock.now())?.toISOString() ?? null) : null,
        lastFiredAt: null,
        createdBy: ctx.actor.username,
        createdAt: tx.now,
        updatedAt: tx.now,
      };
      try {
        await tx.stores.testSchedules.insert(s);
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`${project.key} already has a test schedule named ${input.name}.`, { schedule: input.name });
        throw error;
      }
      await tx.record(ctx, { action: 'test_schedule.created', resourceType: 'test_schedule', resourceId: s.id, after: this.present(s), event: { type: 'test_schedule.created', projectKey: project.key, environmentKey: s.environment, payload: { project: project.key, environment: s.environment, schedule: s.name, cron: s.cron, timezone } } });
      return s;
    });
  }

  async update(ctx: RequestContext, projectKey: string, name: string, patch: SchedulePatch): Promise<TestSchedule> {
    authorize(ctx.actor, { role: 'release-manager', action: MANAGE });
    const found = await this.find(projectKey, name);
    if (patch.environment !== undefined && !(await this.uow.reads.environments.get(patch.environment))) throw new NotFoundError(`Environment ${patch.environment} does not exist.`, { environment: patch.environment, field: 'environment' });
    const merge = (before: TestSchedule): TestSchedule => {
      const cron = patch.cron ?? before.cron;
      const timezone = patch.timezone ?? before.timezone;
      validateCron(cron, timezone);
      const timeoutMs = patch.timeoutMs ?? before.timeoutMs;
      const enabled = patch.enabled ?? before.enabled;
      const retimed = cron !== before.cron || timezone !== before.timezone || enabled !== before.enabled;
      const after: TestSchedule = {
        ...before,
        environment: patch.environment ?? before.environment,
        cron,
        timezone,
        suite: patch.suite ?? before.suite,
        executor: patch.executor !== undefined ? this.executor(patch.executor, timeoutMs, before.executor) : { ...before.executor, timeoutMs },
        timeoutMs,
        enabled,
        nextFireAt: !enabled ? null : retimed || before.nextFireAt === null ? (nextFire(cron, timezone, this.clock.now())?.toISOString() ?? null) : before.nextFireAt,
        updatedAt: this.clock.now().toISOString(),
      };
      return after;
    };
    merge(found); // refuses bad input before the transaction
    return this.uow.transaction(async (tx) => {
      // Merged into the row read under its lock: two PATCHes at once both land (issue 11 §1).
      await tx.stores.testSchedules.lock(found.id);
      const before = (await tx.stores.testSchedules.get(found.projectId, name)) ?? found;
      const after = merge(before);
      await tx.stores.testSchedules.update(after);
      await tx.record(ctx, { action: 'test_schedule.updated', resourceType: 'test_schedule', resourceId: after.id, before: this.present(before), after: this.present(after) });
      return after;
    });
  }

  async delete(ctx: RequestContext, projectKey: string, name: string): Promise<void> {
    authorize(ctx.actor, { role: 'release-manager', action: MANAGE });
    const s = await this.find(projectKey, name);
    await this.uow.transaction(async (tx) => {
      await tx.stores.testSchedules.delete(s.id);
      await tx.record(ctx, { action: 'test_schedule.deleted', resourceType: 'test_schedule', resourceId: s.id, before: this.present(s) });
    });
  }

  /** Starts a run of a schedule now, outside its cron (engineers may; the executor is the admin's). */
  async trigger(ctx: RequestContext, projectKey: string, name: string): Promise<TestRun> {
    authorize(ctx.actor, { role: 'engineer', action: 'Starting a scheduled test run' });
    const s = await this.find(projectKey, name);
    return this.uow.transaction((tx) => this.createRun(tx, ctx, s, `started by ${ctx.actor.username}`));
  }

  /**
   * Fires every schedule whose time has come, each once: the first server to move `next_fire_at`
   * creates the run. Occurrences missed while no server ran collapse into this one run.
   */
  async fireDue(ctx: RequestContext, limit = 50): Promise<TestRun[]> {
    const now = this.clock.now();
    const fired: TestRun[] = [];
    for (const s of await this.uow.reads.testSchedules.due(now.toISOString(), limit)) {
      const run = await this.uow.transaction(async (tx) => {
        const next = nextFire(s.cron, s.timezone, now)?.toISOString() ?? null;
        if (!(await tx.stores.testSchedules.advance(s.id, s.nextFireAt!, next, tx.now))) return null;
        return this.createRun(tx, ctx, s, `cron ${s.cron} (${s.timezone}) due at ${s.nextFireAt}`);
      });
      if (run) fired.push(run);
    }
    return fired;
  }

  private async createRun(tx: Tx<Stores>, ctx: RequestContext, s: TestSchedule, reason: string): Promise<TestRun> {
    // The version running in the environment is the one under test.
    const state = await tx.stores.deploymentState.get(s.projectId, s.environment);
    const run: TestRun = {
      id: this.ids.next(),
      projectId: s.projectId,
      project: s.project,
      environment: s.environment,
      version: state?.current?.version ?? null,
      suite: s.suite,
      source: 'schedule',
      status: 'queued',
      total: 0,
      failed: 0,
      errors: 0,
      skipped: 0,
      flaky: 0,
      durationMs: 0,
      message: reason,
      scheduleId: s.id,
      deploymentId: null,
      executor: { ...s.executor, timeoutMs: s.timeoutMs },
      deadlineAt: null,
      startedAt: null,
      finishedAt: null,
      createdBy: ctx.actor.username,
      createdAt: tx.now,
      updatedAt: tx.now,
    };
    await tx.stores.testRuns.insert(run, tx.now);
    await tx.record(ctx, {
      action: 'test_run.scheduled',
      resourceType: 'test_run',
      resourceId: run.id,
      after: { ...run, executor: { type: s.executor.type } },
      event: { type: 'test_run.scheduled', projectKey: s.project, environmentKey: s.environment, payload: { runId: run.id, project: s.project, environment: s.environment, version: run.version, suite: s.suite, schedule: s.name, reason } },
    });
    return run;
  }
}
