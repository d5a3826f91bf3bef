import type { Plan, RolloutSpec } from '@slipway/rollout-engine';
import type { RequestContext } from '../auth/actor.js';
import type { Stores } from '../db/stores.js';
import type { Tx } from '../db/unit-of-work.js';
import type { Deployment } from './deployment-store.js';

/**
 * What canary deployments need from the rollouts feature, which is composed after deployments:
 * composition.ts plugs the rollout service in (`CanaryLink.rollouts`).
 */
export interface CanaryRollouts {
  /** Resolves a plan (name or inline) and extra background templates; 4xx naming `body.plan` / `body.analysis.templates`. */
  resolve(projectId: string, plan: string | Plan, templates: string[]): Promise<{ planName: string | null; spec: RolloutSpec }>;
  /** Inserts the rollout of a canary deployment that starts now (id `d.canary.rolloutId`), in the runner's transaction. */
  start(tx: Tx<Stores>, d: Deployment): Promise<void>;
  /** Aborts the rollout of a canary deployment (a cancel, a target that reported a failed step). */
  abort(ctx: RequestContext, rolloutId: string): Promise<void>;
  /** Something a step of this rollout waits for happened (a target's report): the ticker should look at it now. */
  wake(rolloutId: string): Promise<void>;
}

export class CanaryLink {
  rollouts: CanaryRollouts | null = null;

  get(): CanaryRollouts {
    if (!this.rollouts) throw new Error('canary deployments need the rollouts feature (composition.ts links it)');
    return this.rollouts;
  }
}
