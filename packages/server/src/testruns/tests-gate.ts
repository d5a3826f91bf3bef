import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import type { Uow } from '../db/stores.js';
import { DomainError, NotFoundError } from '../shared/errors.js';

/** 422 `tests_failing`: the environment's gate needs the last run of a suite on this version to have passed. */
export class TestsFailingError extends DomainError {
  readonly code = 'tests_failing';
}

export interface TestGate {
  environment: string;
  suite: string;
  /** Where the run must have happened (e.g. staging for a production gate); null: anywhere. */
  sourceEnvironment: string | null;
  updatedBy: string;
  updatedAt: string;
}

/**
 * The optional deploy gate "the last E2E run on this version passed", per environment, off by default.
 * Overridable like a freeze. Runs themselves never block anything; only this gate, when switched on.
 */
export class TestsGate {
  constructor(private readonly uow: Uow) {}

  get(environment: string): Promise<TestGate | null> {
    return this.uow.reads.testRuns.gate(environment);
  }

  async set(ctx: RequestContext, environment: string, input: { suite?: string; sourceEnvironment?: string | null }): Promise<TestGate> {
    const env = await this.uow.reads.environments.get(environment);
    if (!env) throw new NotFoundError(`Environment ${environment} does not exist.`, { environment });
    authorize(ctx.actor, { role: 'release-manager', action: 'Changing an environment', environment: env });
    if (input.sourceEnvironment && !(await this.uow.reads.environments.get(input.sourceEnvironment))) throw new NotFoundError(`Environment ${input.sourceEnvironment} does not exist.`, { environment: input.sourceEnvironment, field: 'sourceEnvironment' });
    return this.uow.transaction(async (tx) => {
      const before = await tx.stores.testRuns.gate(environment);
      await tx.stores.testRuns.setGate(environment, input.suite ?? 'e2e', input.sourceEnvironment ?? null, ctx.actor.username, tx.now);
      const after = (await tx.stores.testRuns.gate(environment))!;
      await tx.record(ctx, { action: 'environment.tests_gate_set', resourceType: 'environment', resourceId: environment, before, after, event: { type: 'environment.updated', environmentKey: environment, payload: { environment, changes: ['testsGate'], testsGate: after } } });
      return after;
    });
  }

  async clear(ctx: RequestContext, environment: string): Promise<void> {
    const env = await this.uow.reads.environments.get(environment);
    if (!env) throw new NotFoundError(`Environment ${environment} does not exist.`, { environment });
    authorize(ctx.actor, { role: 'release-manager', action: 'Changing an environment', environment: env });
    await this.uow.transaction(async (tx) => {
      const before = await tx.stores.testRuns.gate(environment);
      if (!(await tx.stores.testRuns.deleteGate(environment))) return;
      await tx.record(ctx, { action: 'environment.tests_gate_cleared', resourceType: 'environment', resourceId: environment, before, event: { type: 'environment.updated', environmentKey: environment, payload: { environment, changes: ['testsGate'], testsGate: null } } });
    });
  }

  /** The deploy guard: the refusal, or null when the gate is off or the last run passed. */
  async refusal(q: { projectId: string; project: string; version: string; environment: string }): Promise<TestsFailingError | null> {
    const gate = await this.get(q.environment);
    if (!gate) return null;
    const run = await this.uow.reads.testRuns.lastFinished(q.projectId, q.version, gate.suite, gate.sourceEnvironment);
    const where = gate.sourceEnvironment ? ` in ${gate.sourceEnvironment}` : '';
    const details = { environment: q.environment, suite: gate.suite, sourceEnvironment: gate.sourceEnvironment, version: q.version, run: run?.id ?? null, status: run?.status ?? null };
    if (!run) return new TestsFailingError(`${q.environment} needs a passing ${gate.suite} run on ${q.project} ${q.version}${where}, and there is none yet: run the suite (or upload its JUnit report with version=${q.version}), or have a release-manager deploy with override.reason.`, details);
    if (run.status === 'passed') return null;
    const what = run.status === 'error' ? `could not run (${run.message ?? 'no results'})` : `failed: ${run.failed + run.errors} of ${run.total} tests`;
    return new TestsFailingError(`The last ${gate.suite} run on ${q.project} ${q.version}${where} (${run.id}, ${run.finishedAt}) ${what}. Fix and run it again, or have a release-manager deploy with override.reason.`, details);
  }
}
