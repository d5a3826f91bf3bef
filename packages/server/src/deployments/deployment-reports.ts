import { timingSafeEqual } from 'node:crypto';
import type { Actor, RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import { hashToken } from '../auth/secrets.js';
import type { Uow } from '../db/stores.js';
import { ConflictError, NotFoundError, UnauthorizedError } from '../shared/errors.js';
import type { DeploymentSignals } from './deployment-signals.js';
import type { Deployment, TargetStatus } from './deployment-store.js';
import type { DeploymentTransitions } from './deployment-transitions.js';

export interface StatusReport {
  target: string;
  status: 'running' | 'succeeded' | 'failed';
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
  ) {}

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

  async report(ctx: RequestContext, id: string, input: StatusReport, viaCallbackToken: boolean): Promise<Deployment> {
    const d = await this.uow.reads.deployments.get(id);
    if (!d) throw new NotFoundError(`Deployment ${id} does not exist.`, { deployment: id });
    if (!viaCallbackToken) {
      const env = await this.uow.reads.environments.get(d.environment);
      authorize(ctx.actor, { role: 'engineer', action: 'Reporting a deployment result', ...(env && { environment: env }) });
    }
    const target = d.targets.find((t) => t.key === input.target);
    if (!target) throw new NotFoundError(`Deployment ${id} has no target ${input.target}; its targets are ${d.targets.map((t) => t.key).join(', ')}.`, { deployment: id, target: input.target });
    if (d.status !== 'pending' && d.status !== 'running') {
      throw new ConflictError(`Deployment ${id} is ${d.status}: it no longer takes reports.`, { deployment: id, status: d.status });
    }
    if (target.status === input.status && input.status !== 'running') return d;
    const from: TargetStatus[] = ['pending', 'running'];
    const after = await this.uow.transaction(async (tx) => {
      const finished = input.status !== 'running';
      const changed = await tx.stores.deployments.updateTarget(id, input.target, from, {
        status: input.status,
        ...(input.message !== undefined && { message: input.message }),
        ...(target.startedAt === null && { startedAt: tx.now }),
        ...(finished && { finishedAt: tx.now }),
      });
      if (!changed) throw new ConflictError(`Target ${input.target} of deployment ${id} has already ended.`, { deployment: id, target: input.target });
      await this.transitions.log(tx, id, [{ target: input.target, line: `${input.status}${input.message ? `: ${input.message}` : ''}` }]);
      if (finished) await tx.stores.deployments.scheduleCheck(id, tx.now);
      const current = (await tx.stores.deployments.get(id))!;
      await this.transitions.event(tx, ctx, current, 'deployment.target_reported');
      return current;
    });
    this.signals.changed(id);
    return after;
  }
}
