import type { Uow } from '../db/stores.js';
import type { RepositoryRegistry } from '../git/repository-registry.js';
import type { ProjectService } from '../projects/project-service.js';
import type { Clock } from '../shared/clock.js';
import type { IdGenerator } from '../shared/ids.js';
import type { OutboundPolicy } from '../shared/outbound-policy.js';
import type { SecretBox } from '../shared/secret-box.js';
import { CanaryDriver } from './canary-driver.js';
import { CanaryLink } from './canary-port.js';
import { DeploymentApprovals } from './deployment-approvals.js';
import { DeploymentReports } from './deployment-reports.js';
import { DeploymentRollbacks } from './deployment-rollbacks.js';
import { DeploymentRunner } from './deployment-runner.js';
import { DeploymentService } from './deployment-service.js';
import { DeploymentSignals } from './deployment-signals.js';
import { DeploymentTransitions } from './deployment-transitions.js';
import { GUARDS, overridableGuard, type DeployGuard } from './guardrails.js';

/** The deployments feature as the composition root wires it. */
export interface Deployments {
  readonly service: DeploymentService;
  readonly approvals: DeploymentApprovals;
  readonly rollbacks: DeploymentRollbacks;
  readonly reports: DeploymentReports;
  readonly signals: DeploymentSignals;
  /** Started by server.ts, stopped on shutdown; tests drive it with runOnce(). */
  readonly runner: DeploymentRunner;
  /** Where composition.ts plugs the rollouts feature in, for canary deployments. */
  readonly canary: CanaryLink;
  /** The rollout driver of canary deployments, registered with the rollouts feature under `deployment`. */
  readonly canaryDriver: CanaryDriver;
}

export interface DeploymentsOptions {
  uow: Uow;
  projects: ProjectService;
  repositories: RepositoryRegistry;
  secrets: SecretBox;
  ids: IdGenerator;
  clock: Clock;
  publicUrl: string;
  leaseMs?: number;
  onError?: (error: unknown) => void;
  /** Checks other features add after the built-in GUARDS (insights: incompatible, tests_failing); overridable like a freeze. */
  guards?: DeployGuard[];
  /** Where webhook executors and smoke checks may send (SLIPWAY_OUTBOUND_*). */
  outbound?: OutboundPolicy;
}

export function createDeployments(o: DeploymentsOptions): Deployments {
  const signals = new DeploymentSignals();
  const transitions = new DeploymentTransitions(o.ids);
  const canary = new CanaryLink();
  const service = new DeploymentService(o.uow, o.projects, o.repositories, transitions, signals, o.secrets, o.ids, o.clock, [...GUARDS, ...(o.guards ?? []).map(overridableGuard)], canary);
  const rollbacks = new DeploymentRollbacks(o.uow, o.projects, service);
  const runner = new DeploymentRunner({
    uow: o.uow,
    transitions,
    deployments: rollbacks,
    canary,
    signals,
    secrets: o.secrets,
    clock: o.clock,
    ids: o.ids,
    publicUrl: o.publicUrl,
    ...(o.leaseMs !== undefined && { leaseMs: o.leaseMs }),
    ...(o.onError && { onError: o.onError }),
    ...(o.outbound && { outbound: o.outbound }),
  });
  const canaryDriver = new CanaryDriver({ uow: o.uow, transitions, signals, secrets: o.secrets, clock: o.clock, ids: o.ids, publicUrl: o.publicUrl, ...(o.outbound && { outbound: o.outbound }) });
  return { service, approvals: new DeploymentApprovals(o.uow, transitions, signals), rollbacks, reports: new DeploymentReports(o.uow, transitions, signals, canary), signals, runner, canary, canaryDriver };
}
