import { command as engineCommand, isRefusal, startRollout, nextWakeAt, timeLeftInStep, type Plan, type RolloutCommand, type Transition } from '@slipway/rollout-engine';
import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import { isUniqueViolation } from '../db/connect.js';
import type { Stores, Uow } from '../db/stores.js';
import type { Tx } from '../db/unit-of-work.js';
import type { CanaryRollouts } from '../deployments/canary-port.js';
import type { Deployment } from '../deployments/deployment-store.js';
import { requireProject, type FlagService } from '../flags/flag-service.js';
import type { Clock } from '../shared/clock.js';
import { ConflictError, DomainError, NotFoundError, ValidationError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { decodeCursor, isString, toPage, type Page, type PageRequest } from '../shared/page.js';
import type { AnalysisService } from './analysis-service.js';
import { stableOf, type RolloutDriver } from './drivers.js';
import { recordDecisions } from './rollout-events.js';
import { activeKeyOf, type Rollout, type RolloutTarget, type StoredDecision, type StoredMeasurement } from './rollout-store.js';

export class RolloutConflictError extends DomainError {
  readonly code: string;
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(message, details);
    this.code = code;
  }
}

export interface FlagRolloutInput {
  variant: string;
  plan: string | Plan;
  analysis?: { templates: string[] };
  onFailure?: 'zero' | 'off';
}

export interface RolloutDetails {
  rollout: Rollout;
  decisions: StoredDecision[];
  measurements: StoredMeasurement[];
  /** Time left in the current timed pause, ms (frozen while paused). */
  timeLeftMs: number | null;
  nextCheckAt: string | null;
}

/** When the ticker should look at a rollout next: at once while its driver has work, else when something is due. */
export function nextCheckFor(r: Pick<Rollout, 'spec' | 'state'>, now: number): string | null {
  if (r.state.pending !== null) return new Date(now).toISOString();
  const at = nextWakeAt(r.spec, r.state);
  return at === null ? null : new Date(Math.max(at, now)).toISOString();
}

/**
 * Starting rollouts, reading them, and what people ask of them (pause, resume, promote,
 * promote-full, abort, retry). The ticker (rollout-ticker.ts) does the rest in the background.
 */
export class RolloutService {
  constructor(
    private readonly uow: Uow,
    private readonly analysis: AnalysisService,
    private readonly flags: FlagService,
    private readonly drivers: ReadonlyMap<string, RolloutDriver>,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly wake: () => void,
  ) {}

  driverOf(r: Pick<Rollout, 'target'>): RolloutDriver {
    const driver = this.drivers.get(r.target.kind);
    if (!driver) throw new Error(`no rollout driver for ${r.target.kind}`);
    return driver;
  }

  /** A rollout of one variant's share of a flag's default split in one environment. */
  async startFlagRollout(ctx: RequestContext, projectKey: string, flagKey: string, environmentKey: string, input: FlagRolloutInput): Promise<Rollout> {
    const env = await this.uow.reads.environments.get(environmentKey);
    if (!env) throw new NotFoundError(`Environment ${environmentKey} does not exist.`, { environment: environmentKey });
    authorize(ctx.actor, { role: 'engineer', action: 'Starting a rollout', environment: env });
    const flag = await this.flags.get(projectKey, flagKey);
    if (flag.archived) throw new ConflictError(`Flag ${flagKey} is archived: restore it before rolling it out.`, { flag: flagKey });
    if (!flag.variants.some((v) => v.key === input.variant)) {
      throw new ValidationError(`variant: flag ${flagKey} has no variant "${input.variant}"; it has ${flag.variants.map((v) => v.key).join(', ')}.`, { field: 'body.variant' });
    }
    const config = flag.environments.find((e) => e.environment.key === environmentKey)!.config;
    const stable = stableOf(config.defaultServe, input.variant);
    if (!stable) throw new RolloutConflictError('nothing_to_roll_out', `${flagKey} already serves ${input.variant} to everyone in ${environmentKey} by default: there is nothing to roll out.`, { field: 'body.variant' });
    const target: RolloutTarget = { kind: 'flag', flag: flagKey, variant: input.variant, onFailure: input.onFailure ?? 'zero', stable };
    const rollout = await this.uow.transaction(async (tx) => {
      const project = await requireProject(tx.stores, projectKey);
      const { plan, name } = await this.analysis.planOf(tx.stores, project.id, input.plan, 'body.plan');
      const spec = await this.analysis.resolve(tx.stores, project.id, plan, input.analysis?.templates ?? [], 'body.plan');
      const now = this.clock.now().getTime();
      const started = startRollout(spec, now);
      const r: Rollout = {
        id: this.ids.next(),
        projectId: project.id,
        projectKey: project.key,
        environment: env.key,
        target,
        planName: name,
        spec,
        state: started.state,
        revision: 0,
        lastError: null,
        createdBy: ctx.actor.username,
        createdAt: tx.now,
        updatedAt: tx.now,
        finishedAt: null,
      };
      const key = activeKeyOf(project.key, env.key, target);
      const active = await tx.stores.rollouts.activeFor(key);
      if (active) throw new RolloutConflictError('rollout_in_progress', `Rollout ${active.id} of ${flagKey} in ${env.key} is still ${active.state.status}: abort it or let it finish first.`, { rolloutId: active.id });
      try {
        await tx.stores.rollouts.insert(r, key, nextCheckFor(r, now));
      } catch (error) {
        if (isUniqueViolation(error)) throw new RolloutConflictError('rollout_in_progress', `Another rollout of ${flagKey} in ${env.key} has just started.`, {});
        throw error;
      }
      await recordDecisions(tx, this.ids, ctx, r, started.decisions, this.driverOf(r));
      return r;
    });
    this.wake();
    return rollout;
  }

  /**
   * The rollout of a canary deployment, inserted when the deployment starts (after its approvals),
   * in the caller's transaction, with the id and the spec fixed when the deployment was requested.
   */
  async startDeploymentRollout(tx: Tx<Stores>, d: Deployment): Promise<void> {
    const c = d.canary!;
    const target: RolloutTarget = { kind: 'deployment', deploymentId: d.id, stableVersion: c.stableVersion, canaryVersion: d.version };
    const now = this.clock.now().getTime();
    const started = startRollout(c.spec, now);
    const r: Rollout = {
      id: c.rolloutId,
      projectId: d.projectId,
      projectKey: d.projectKey,
      environment: d.environment,
      target,
      planName: c.planName,
      spec: c.spec,
      state: started.state,
      revision: 0,
      lastError: null,
      createdBy: d.requestedBy,
      createdAt: tx.now,
      updatedAt: tx.now,
      finishedAt: null,
    };
    const key = activeKeyOf(d.projectKey, d.environment, target);
    const active = await tx.stores.rollouts.activeFor(key);
    if (active) throw new RolloutConflictError('rollout_in_progress', `Rollout ${active.id} of a canary in ${d.environment} is still ${active.state.status}.`, { rolloutId: active.id });
    await tx.stores.rollouts.insert(r, key, nextCheckFor(r, now));
    const ctx: RequestContext = { actor: { userId: d.requestedById, username: d.requestedBy, role: 'engineer', tokenId: null }, requestId: null };
    await recordDecisions(tx, this.ids, ctx, r, started.decisions, this.driverOf(r));
  }

  /** What canary deployments use of this service (deployments/canary-port.ts). */
  canaryRollouts(): CanaryRollouts {
    return {
      resolve: async (projectId, plan, templates) => {
        const { plan: p, name } = await this.analysis.planOf(this.uow.reads, projectId, plan, 'body.plan');
        for (const [i, t] of templates.entries()) {
          if (!(await this.analysis.templateExists(this.uow.reads, projectId, t))) throw new ValidationError(`body.analysis.templates[${i}]: there is no analysis template named ${t}.`, { field: `body.analysis.templates[${i}]` });
        }
        return { planName: name, spec: await this.analysis.resolve(this.uow.reads, projectId, p, templates, 'body.plan') };
      },
      start: (tx, d) => this.startDeploymentRollout(tx, d),
      abort: async (ctx, rolloutId) => {
        const r = await this.uow.reads.rollouts.get(rolloutId);
        if (!r || (r.state.status !== 'running' && r.state.status !== 'paused')) return;
        await this.command(ctx, rolloutId, 'abort');
      },
      wake: async (rolloutId) => {
        await this.uow.reads.rollouts.checkNow(rolloutId, this.clock.now().toISOString());
        this.wake();
      },
    };
  }

  async get(id: string): Promise<RolloutDetails> {
    const r = await this.uow.reads.rollouts.get(id);
    if (!r) throw new NotFoundError(`Rollout ${id} does not exist.`, { rollout: id });
    const [decisions, measurements] = await Promise.all([this.uow.reads.rollouts.decisions(id), this.uow.reads.rollouts.measurements(id, { limit: 200 })]);
    const now = this.clock.now().getTime();
    return { rollout: r, decisions, measurements, timeLeftMs: timeLeftInStep(r.spec, r.state, now), nextCheckAt: nextCheckFor(r, now) };
  }

  async list(projectKey: string, filter: { status?: string; environment?: string } & PageRequest): Promise<Page<Rollout>> {
    const project = await requireProject(this.uow.reads, projectKey);
    const rows = await this.uow.reads.rollouts.page(project.id, { ...filter, beforeId: decodeCursor(filter.cursor, isString), limit: filter.limit + 1 });
    return toPage(rows, filter.limit, (r) => r.id);
  }

  /** pause | resume | promote | promote-full | abort | retry, with the permissions of a change in the rollout's environment. */
  async command(ctx: RequestContext, id: string, cmd: RolloutCommand): Promise<Rollout> {
    const existing = await this.uow.reads.rollouts.get(id);
    if (!existing) throw new NotFoundError(`Rollout ${id} does not exist.`, { rollout: id });
    const env = await this.uow.reads.environments.get(existing.environment);
    authorize(ctx.actor, { role: 'engineer', action: `${cmd[0]!.toUpperCase()}${cmd.slice(1)} of a rollout`, environment: env ?? { key: existing.environment, protected: true } });
    const result = await this.uow.transaction(async (tx) => {
      const r = (await tx.stores.rollouts.get(id, true))!;
      const now = this.clock.now().getTime();
      const t = engineCommand(r.spec, r.state, cmd, now, ctx.actor.username);
      if (isRefusal(t)) throw new RolloutConflictError(t.code, t.message, { status: r.state.status });
      if (cmd === 'retry' && r.target.kind === 'deployment') {
        throw new RolloutConflictError('rollout_finished', `The rollout of canary deployment ${r.target.deploymentId} has ended and so has the deployment: deploy ${r.target.canaryVersion} again to start a new canary.`, { status: r.state.status });
      }
      if (cmd === 'retry' && !(await tx.stores.rollouts.reactivate(id, activeKeyOf(r.projectKey, r.environment, r.target)))) {
        throw new RolloutConflictError('rollout_in_progress', `Another rollout of ${r.target.kind === 'flag' ? r.target.flag : 'this deployment'} in ${r.environment} is active: it must end before this one is retried.`, {});
      }
      await save(tx.stores, r, t, now);
      const after = { ...r, state: t.state, revision: r.revision + 1 };
      await recordDecisions(tx, this.ids, ctx, after, t.decisions, this.driverOf(r));
      return after;
    });
    this.wake();
    return result;
  }
}

/** Writes a transition, or throws when someone else wrote the rollout since it was read (the transaction rolls back). */
export async function save(stores: Stores, r: Rollout, t: Transition, now: number, lastError: string | null = null): Promise<void> {
  if (!(await stores.rollouts.saveState(r.id, r.revision, t.state, new Date(now).toISOString(), nextCheckFor({ spec: r.spec, state: t.state }, now), lastError))) {
    throw new RolloutConflictError('rollout_changed', 'The rollout changed while this was decided; try again.', { rollout: r.id });
  }
}
