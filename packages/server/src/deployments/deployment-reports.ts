import { timingSafeEqual } from 'node:crypto';
import type { Actor, RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import { hashToken } from '../auth/secrets.js';
import type { Uow } from '../db/stores.js';
import { ConflictError, NotFoundError, UnauthorizedError } from '../shared/errors.js';
import type { DeploymentSignals } from './deployment-signals.js';
import { targetEnded, type Deployment } from './deployment-store.js';
import type { DeploymentTransitions } from './deployment-transitions.js';
import { CanaryLink } from './canary-port.js';

export interface StatusReport {
  target: string;
  /** `cancelled`: the executor stopped when told to (action `cancel`). */
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  message?: string;
}

export const CALLBACK_TOKEN_PREFIX = 'slwcb_';

/**
 * Progress and results reported by executors (a webhook receiver with the deployment's callback
 * token) or by people and scripts (an API token): the `record` executor's only input.
 */
export class DeploymentReports {
  constructor(
    private readonly uow: Uow,
    private readonly transitions: DeploymentTransitions,
    private readonly signals: DeploymentSignals,
    private readonly canary: CanaryLink = new CanaryLink(),
  ) {}

  /**
   * A running canary: a report answers the step its target was told (`succeeded`: the weight is in
   * place; `failed`: it could not be, and the rollout is aborted — weight 0, rollback to stable).
   */
  private async canaryStep(ctx: RequestContext, d: Deployment, input: StatusReport): Promise<Deployment> {
    const call = d.canary!.call;
    const step = call?.targets[input.target];
    if (input.status === 'running') {
      await this.uow.transaction((tx) => this.transitions.log(tx, d.id, [{ target: input.target, line: `running${input.message ? `: ${input.message}` : ''}` }]));
      return d;
    }
    if (!call || !step || step.status !== 'sent') {
      if (step?.status === 'confirmed' && input.status === 'succeeded') return d; // the same report again
      throw new ConflictError(`No step of canary deployment ${d.id} waits for a report from target ${input.target}${call ? ` (step ${d.id}:${call.seq}, ${call.action} ${call.weight} %, is ${step?.status ?? 'not sent to it'})` : ''}.`, { deployment: d.id, target: input.target });
    }
    const status = input.status === 'succeeded' ? 'confirmed' : 'failed';
    const after = await this.uow.transaction(async (tx) => {
      await tx.stores.deployments.lock(d.id);
      const now = (await tx.stores.deployments.get(d.id))!;
      const c = now.canary!;
      if (c.call?.seq !== call.seq || c.call.targets[input.target]?.status !== 'sent') throw new ConflictError(`The step of target ${input.target} changed meanwhile; look at the deployment again.`, { deployment: d.id, target: input.target });
      const next = { ...c, call: { ...c.call, targets: { ...c.call.targets, [input.target]: { status, at: tx.now, ...(input.message !== undefined && { message: input.message }) } } } } as typeof c;
      await tx.stores.deployments.setCanary(d.id, next, tx.now);
      await this.transitions.log(tx, d.id, [{ target: input.target, line: `step ${d.id}:${call.seq} (${call.action} ${call.weight} %) reported ${input.status} by ${ctx.actor.username}${input.message ? `: ${input.message}` : ''}` }]);
      return { ...now, canary: next };
    });
    this.signals.changed(d.id);
    if (status === 'failed') await this.canary.get().abort({ ...ctx, actor: { ...ctx.actor, username: `${ctx.actor.username} (target ${input.target} failed ${call.action} ${call.weight} %)`, role: 'admin' } }, d.canary!.rolloutId);
    else await this.canary.get().wake(d.canary!.rolloutId);
    return after;
  }

  /** The actor of a callback token, or 401 when it is not this deployment's token. */
  async callbackActor(id: string, token: string): Promise<Actor> {
    const d = await this.uow.reads.deployments.get(id);
    const expected = Buffer.from(d?.callbackTokenHash ?? '0'.repeat(64), 'hex');
    const actual = Buffer.from(hashToken(token), 'hex');
    if (!d || expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      throw new UnauthorizedError('The callback token is not valid for this deployment.');
    }
    return { userId: null, username: `executor:${d.projectKey}/${d.environment}`, role: 'engineer', tokenId: null };
  }

  /**
   * A target's progress or result. Reports are taken until that target has ended — also after
   * another target failed and the deployment is waiting for the rest (issue 10 §1).
   */
  async report(ctx: RequestContext, id: string, input: StatusReport, viaCallbackToken: boolean): Promise<Deployment> {
    const d = await this.uow.reads.deployments.get(id);
    if (!d) throw new NotFoundError(`Deployment ${id} does not exist.`, { deployment: id });
    if (!viaCallbackToken) {
      const env = await this.uow.reads.environments.get(d.environment);
      authorize(ctx.actor, { role: 'engineer', action: 'Reporting a deployment result', ...(env && { environment: env }) });
    }
    const target = d.targets.find((t) => t.key === input.target);
    if (!target) throw new NotFoundError(`Deployment ${id} has no target ${input.target}; its targets are ${d.targets.map((t) => t.key).join(', ')}.`, { deployment: id, target: input.target });
    if (targetEnded(target.status)) {
      if (target.status === input.status) return d;
      throw new ConflictError(`Target ${input.target} of deployment ${id} has already ended ${target.status}${target.message ? ` (${target.message})` : ''}: it no longer takes reports.`, {
        deployment: id,
        target: input.target,
        status: target.status,
      });
    }
    if (d.canary && d.status === 'running') return this.canaryStep(ctx, d, input);
    if (d.canary && (d.status === 'pending' || d.status === 'pending_approval')) {
      throw new ConflictError(`Canary deployment ${id} has not started (${d.status}): its targets are told each step once its rollout runs; report then.`, { deployment: id, status: d.status });
    }
    if (d.status === 'pending_approval') {
      throw new ConflictError(`Deployment ${id} is waiting for approval: it has not started, so there is nothing to report yet.`, { deployment: id, status: d.status });
    }
    const after = await this.uow.transaction(async (tx) => {
      // The deployment's row first, as every transition does: reports of one deployment take turns.
      await tx.stores.deployments.lock(id);
      if (input.status !== 'running') {
        const ended = await this.transitions.targetEnded(tx, ctx, id, input.target, input.status, input.message ?? null);
        if (!ended) throw new ConflictError(`Target ${input.target} of deployment ${id} has already ended.`, { deployment: id, target: input.target });
        return ended;
      }
      const changed = await tx.stores.deployments.updateTarget(id, input.target, ['pending', 'running'], {
        status: 'running',
        ...(input.message !== undefined && { message: input.message }),
        ...(target.startedAt === null && { startedAt: tx.now }),
      });
      if (!changed) throw new ConflictError(`Target ${input.target} of deployment ${id} has already ended.`, { deployment: id, target: input.target });
      await this.transitions.log(tx, id, [{ target: input.target, line: `running${input.message ? `: ${input.message}` : ''}` }]);
      return (await tx.stores.deployments.get(id))!;
    });
    this.signals.changed(id);
    return after;
  }
}
