import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import { hashToken } from '../auth/secrets.js';
import type { SecretBox } from '../shared/secret-box.js';
import { isUniqueViolation } from '../db/connect.js';
import type { Uow } from '../db/stores.js';
import { effectiveTargets, groupsFor, readSettings, type ApprovalGroup, type DeploymentSettings, type TargetConfig } from '../environments/deployment-settings.js';
import type { Environment } from '../environments/environment-store.js';
import type { RepositoryRegistry } from '../git/repository-registry.js';
import type { Project, ProjectService } from '../projects/project-service.js';
import type { Release } from '../releases/release-store.js';
import type { Clock } from '../shared/clock.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { decodeCursor, isString, toPage, type Page, type PageRequest } from '../shared/page.js';
import { DeploymentInProgressError, ReleaseUnknownError } from './deployment-errors.js';
import type { LogLine } from './deployment-log-store.js';
import type { DeploymentSignals } from './deployment-signals.js';
import type { Deployment, DeploymentStatus } from './deployment-store.js';
import type { DeploymentTransitions } from './deployment-transitions.js';
import { checkGuardrails, collectRefusals, GUARDS, judge, type Guard, type GuardrailInput, type Refusal } from './guardrails.js';
import { describeGroup } from './deployment-approvals.js';
import { CanaryLink } from './canary-port.js';
import { CanaryRefusedError } from './deployment-errors.js';
import type { CanaryState } from './deployment-store.js';
import type { Plan } from '@slipway/rollout-engine';

export interface RequestDeploymentInput {
  version: string;
  environment: string;
  reason?: string;
  override?: { reason: string };
  /** `canary`: a progressive rollout drives the executors (docs/rollouts.md); default: all at once. */
  strategy?: 'canary' | 'all-at-once';
  /** Canary only: a plan's name (default `standard-canary`) or an inline plan. */
  plan?: string | Plan;
  /** Canary only: background analysis templates added to the plan's. */
  analysis?: { templates: string[] };
}

/** What `dryRun: true` answers: every refusal, the approval groups it would wait for, nothing created. */
export interface Preflight {
  allowed: boolean;
  refusals: Refusal[];
  /** Codes an override with a reason (release-manager+) would set aside. */
  overridable: string[];
  approvals: Array<{ name: string; required: number; roles: string[]; users: string[]; description: string }>;
  targets: string[];
}

/** A new deployment and its callback token: shown once, for whoever reports the result. */
export interface RequestedDeployment {
  deployment: Deployment;
  callbackToken: string;
}

export interface NewDeployment {
  project: Project;
  env: Environment;
  settings: DeploymentSettings;
  release: Pick<Release, 'version' | 'tag' | 'commit'> & { kind?: string };
  kind: Deployment['kind'];
  rollbackOf: string | null;
  reason: string | null;
  override: Deployment['override'];
  approvalGroups: ApprovalGroup[];
  /** The targets to deploy to (a rollback may go to some of them only). */
  targets: TargetConfig[];
  canary?: CanaryState;
}

/** The callback token of a deployment: derived from the server key, so only its hash is stored. */
export function callbackTokenFor(secrets: SecretBox, deploymentId: string): string {
  return secrets.derive('slwcb', `deployment-callback:${deploymentId}`);
}

/** Deployment requests, approvals, cancellation, rollback, history. Execution is the runner's. */
export class DeploymentService {
  constructor(
    private readonly uow: Uow,
    private readonly projects: ProjectService,
    private readonly repositories: RepositoryRegistry,
    private readonly transitions: DeploymentTransitions,
    private readonly signals: DeploymentSignals,
    private readonly secrets: SecretBox,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    /** The guards every request passes (issue 14 adds its own to the list). */
    private readonly guards: readonly Guard[] = GUARDS,
    private readonly canaryLink: CanaryLink = new CanaryLink(),
  ) {}

  /**
   * A canary's plan and analysis, resolved (4xx naming the field), and the stable version it is
   * compared with; a refusal when the environment runs nothing yet or already runs this version.
   */
  private async canaryOf(project: Project, env: Environment, release: Pick<Release, 'version'>, input: RequestDeploymentInput): Promise<{ canary: CanaryState | null; refusal: Refusal | null }> {
    const { planName, spec } = await this.canaryLink.get().resolve(project.id, input.plan ?? 'standard-canary', input.analysis?.templates ?? []);
    const state = await this.uow.reads.deploymentState.get(project.id, env.key);
    const current = state?.current ?? null;
    if (current === null) {
      return { canary: null, refusal: { code: 'no_stable_version', message: `${project.key} has never been deployed to ${env.key}: a canary needs a stable version to compare with and to go back to. Deploy ${release.version} normally (without strategy canary) first.`, details: { field: 'body.strategy', environment: env.key } } };
    }
    if (current.version === release.version) {
      return { canary: null, refusal: { code: 'already_deployed', message: `${env.key} already runs ${release.version}: a canary of it would compare it with itself.`, details: { field: 'body.version', environment: env.key, version: release.version } } };
    }
    const canary: CanaryState = { rolloutId: this.ids.next(), stableVersion: current.version, stableDeploymentId: current.deploymentId, planName, spec, deployed: false, weight: 0, ended: null, call: null, rolloutStatus: 'pending' };
    return { canary, refusal: null };
  }

  private refuseCanaryInput(input: RequestDeploymentInput): void {
    if (input.strategy !== 'canary' && (input.plan !== undefined || input.analysis !== undefined)) {
      throw new ValidationError(`${input.plan !== undefined ? 'body.plan' : 'body.analysis'}: only a canary deployment (strategy "canary") takes a plan or analysis.`, { field: input.plan !== undefined ? 'body.plan' : 'body.analysis' });
    }
  }

  async get(id: string): Promise<Deployment> {
    const d = await this.uow.reads.deployments.get(id);
    if (!d) throw new NotFoundError(`Deployment ${id} does not exist.`, { deployment: id });
    return d;
  }

  async list(projectKey: string, filter: { environment?: string; status?: DeploymentStatus; version?: string }, page: PageRequest): Promise<Page<Deployment>> {
    const project = await this.projects.get(projectKey);
    const rows = await this.uow.reads.deployments.page(project.id, { ...filter, beforeId: decodeCursor(page.cursor, isString), limit: page.limit + 1 });
    return toPage(rows, page.limit, (d) => d.id);
  }

  async logs(id: string, afterId: string | null, limit: number): Promise<LogLine[]> {
    await this.get(id);
    return this.uow.reads.deploymentLogs.after(id, afterId, limit);
  }

  private async prepare(ctx: RequestContext, projectKey: string, input: RequestDeploymentInput) {
    authorize(ctx.actor, { role: 'engineer', action: 'Deploying' });
    const project = await this.projects.get(projectKey);
    const env = await this.environment(input.environment);
    authorize(ctx.actor, { role: 'engineer', action: 'Deploying', environment: env });
    const release = await this.uow.reads.releases.get(project.id, input.version);
    if (!release) {
      throw new ReleaseUnknownError(`${project.key} has no release ${input.version}: pick one from GET /api/v1/projects/${project.key}/releases, or create it first.`, {
        project: project.key,
        version: input.version,
      });
    }
    const settings = readSettings(env.settings);
    const guard: GuardrailInput = {
      project,
      release,
      environment: env.key,
      settings,
      actor: ctx.actor,
      override: input.override ?? null,
      now: this.clock.now(),
      signoffs: () => this.uow.reads.signoffs.forRelease(project.id, release.version),
      succeededIn: (e) => this.uow.reads.deployments.hasSucceeded(project.id, e, release.version),
      remoteTag: () => this.repositories.forProject(project).remoteTag(release.tag),
    };
    return { project, env, release, settings, guard };
  }

  /**
   * `dryRun`: every guard that would refuse (not only the first), which approval groups the
   * request would wait for, and what an override would set aside. Creates nothing (rule 9).
   */
  async preflight(ctx: RequestContext, projectKey: string, input: RequestDeploymentInput): Promise<Preflight> {
    this.refuseCanaryInput(input);
    const { project, env, release, settings, guard } = await this.prepare(ctx, projectKey, input);
    const refusals = await collectRefusals(guard, this.guards);
    if (input.strategy === 'canary') {
      const { refusal } = await this.canaryOf(project, env, release, input);
      if (refusal) refusals.unshift(refusal);
    }
    const busy = await this.uow.reads.deployments.inFlight(project.id, env.key);
    if (busy) refusals.unshift(this.inFlightRefusal(busy, env.key));
    const verdict = judge(refusals, guard);
    const groups = groupsFor(settings.approvals, release.kind);
    return {
      allowed: verdict.blocking.length === 0 && !verdict.overrideForbidden,
      refusals,
      overridable: verdict.overridable,
      approvals: groups.map((g) => ({ name: g.name, required: g.required, roles: g.roles, users: g.users, description: describeGroup(g) })),
      targets: effectiveTargets(settings).map((t) => t.key),
    };
  }

  async request(ctx: RequestContext, projectKey: string, input: RequestDeploymentInput): Promise<RequestedDeployment> {
    this.refuseCanaryInput(input);
    const { project, env, release, settings, guard } = await this.prepare(ctx, projectKey, input);
    let canary: CanaryState | null = null;
    if (input.strategy === 'canary') {
      const c = await this.canaryOf(project, env, release, input);
      if (c.refusal) throw new CanaryRefusedError(c.refusal.code, c.refusal.message, c.refusal.details);
      canary = c.canary;
    }
    await this.refuseIfInFlight(project, env.key);
    const overridden = await checkGuardrails(guard, this.guards);
    return this.insert(ctx, {
      project,
      env,
      settings,
      release,
      kind: 'deploy',
      rollbackOf: null,
      reason: input.reason ?? null,
      override: input.override ? { reason: input.override.reason, overridden } : null,
      approvalGroups: groupsFor(settings.approvals, release.kind),
      targets: effectiveTargets(settings),
      ...(canary && { canary }),
    });
  }

  /**
   * Cancels a deployment. One that has not started ends at once; a running one is stopped: each
   * target is told to stop as far as its executor can hear it, and the deployment ends
   * `cancelled` when every target has ended (what each one really did stays recorded).
   */
  async cancel(ctx: RequestContext, id: string, input: { reason?: string } = {}): Promise<Deployment> {
    const d = await this.get(id);
    authorize(ctx.actor, { role: 'engineer', action: 'Cancelling a deployment', environment: await this.environment(d.environment) });
    const why = `cancelled by ${ctx.actor.username}${input.reason ? `: ${input.reason}` : ''}`;
    const after = await this.uow.transaction(async (tx) => {
      await tx.stores.deployments.lock(id);
      const now = (await tx.stores.deployments.get(id))!;
      if (now.status === 'pending_approval' || now.status === 'pending') {
        for (const t of now.targets) await tx.stores.deployments.updateTarget(id, t.key, ['pending'], { status: 'cancelled', message: why, finishedAt: tx.now });
        const fresh = (await tx.stores.deployments.get(id))!;
        const ended = await this.transitions.finish(tx, ctx, fresh, 'cancelled', input.reason ? { reason: why, target: null } : null, ['pending_approval', 'pending']);
        if (ended) return ended;
      }
      if (now.status === 'running' && now.canary) return null;
      if (now.status === 'running') {
        if (now.stopReason !== null) throw new ConflictError(`Deployment ${id} is already stopping (${now.stopReason === 'cancelled' ? 'cancelled' : `target ${now.failureTarget} failed`}): it ends when every target has.`, { deployment: id, status: now.status });
        await tx.stores.deployments.update(id, ['running'], { stopReason: 'cancelled', updatedAt: tx.now });
        await tx.stores.deployments.scheduleCheck(id, tx.now);
        await this.transitions.log(tx, id, [{ line: `${why}; the targets are told to stop` }]);
        const fresh = (await tx.stores.deployments.get(id))!;
        await this.transitions.event(tx, ctx, fresh, 'deployment.cancel_requested', { cancelledBy: ctx.actor.username });
        return fresh;
      }
      throw new ConflictError(`Deployment ${id} is ${now.status}: it has ended, so there is nothing to cancel${now.status === 'succeeded' || now.status === 'failed' ? '; roll it back instead' : ''}.`, { deployment: id, status: now.status });
    });
    if (after === null) {
      // A running canary: cancelling aborts its rollout, which takes the weight back to 0 and rolls back to the stable version.
      await this.canaryLink.get().abort({ ...ctx, actor: { ...ctx.actor, role: 'admin' } }, d.canary!.rolloutId);
      await this.uow.reads.deploymentLogs.append(id, [{ id: this.ids.next(), target: null, stream: 'slipway', line: `${why}: the canary's rollout is aborted (weight 0, then rollback to ${d.canary!.stableVersion})`, at: this.clock.now().toISOString() }]);
      this.signals.changed(id);
      return this.get(id);
    }
    this.signals.changed(id);
    return after;
  }

  async insert(ctx: RequestContext, n: NewDeployment): Promise<RequestedDeployment> {
    const id = this.ids.next();
    const callbackToken = callbackTokenFor(this.secrets, id);
    const result = await this.uow
      .transaction(async (tx) => {
        const deployment: Deployment = {
          id,
          projectId: n.project.id,
          projectKey: n.project.key,
          environment: n.env.key,
          version: n.release.version,
          tag: n.release.tag,
          commit: n.release.commit,
          kind: n.kind,
          rollbackOf: n.rollbackOf,
          status: n.approvalGroups.length > 0 ? 'pending_approval' : 'pending',
          phase: 'targets',
          reason: n.reason,
          override: n.override,
          requestedBy: ctx.actor.username,
          requestedById: ctx.actor.userId,
          approvalsRequired: n.approvalGroups.reduce((sum, g) => sum + g.required, 0),
          approvalRoles: [...new Set(n.approvalGroups.flatMap((g) => g.roles))],
          approvalGroups: n.approvalGroups,
          releaseKind: n.release.kind ?? null,
          stopReason: null,
          rejection: null,
          smoke: n.settings.smoke,
          autoRollback: n.settings.autoRollback,
          callbackTokenHash: hashToken(callbackToken),
          failureReason: null,
          failureTarget: null,
          createdAt: tx.now,
          startedAt: null,
          finishedAt: null,
          updatedAt: tx.now,
          targets: n.targets.map((t, position) => ({ key: t.key, position, executor: t.executor, status: 'pending', message: null, deadlineAt: null, startedAt: null, finishedAt: null, stopRequestedAt: null })),
          approvals: [],
          canary: n.canary ?? null,
        };
        await tx.stores.deployments.insert(deployment);
        await this.transitions.requested(tx, ctx, deployment);
        return deployment;
      })
      .catch(async (error: unknown) => {
        // The unique in-flight key: another request for this project and environment won the race.
        if (isUniqueViolation(error)) {
          await this.refuseIfInFlight(n.project, n.env.key);
          throw new DeploymentInProgressError(`Another deployment to ${n.env.key} was requested at the same moment: look at GET /api/v1/projects/${n.project.key}/deployments and try again.`, { environment: n.env.key });
        }
        throw error;
      });
    this.signals.changed(result.id);
    return { deployment: result, callbackToken };
  }

  private inFlightRefusal(busy: Deployment, environment: string): Refusal {
    return {
      code: 'deployment_in_progress',
      message: `Deployment ${busy.id} of ${busy.version} to ${environment} is ${busy.status} (requested by ${busy.requestedBy}): wait for it to end or cancel it (slipway cancel ${busy.id}), then deploy again.`,
      details: { deployment: busy.id, version: busy.version, status: busy.status, environment },
    };
  }

  async refuseIfInFlight(project: Project, environment: string): Promise<void> {
    const busy = await this.uow.reads.deployments.inFlight(project.id, environment);
    if (busy) {
      const r = this.inFlightRefusal(busy, environment);
      throw new DeploymentInProgressError(r.message, r.details);
    }
  }

  async environment(key: string): Promise<Environment> {
    const env = await this.uow.reads.environments.get(key);
    if (!env) throw new NotFoundError(`Environment ${key} does not exist.`, { environment: key });
    return env;
  }
}
