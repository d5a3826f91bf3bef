import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import { hashToken } from '../auth/secrets.js';
import type { SecretBox } from '../shared/secret-box.js';
import { isUniqueViolation } from '../db/connect.js';
import type { Uow } from '../db/stores.js';
import { effectiveTargets, readSettings, type DeploymentSettings } from '../environments/deployment-settings.js';
import type { Environment } from '../environments/environment-store.js';
import type { RepositoryRegistry } from '../git/repository-registry.js';
import type { Project, ProjectService } from '../projects/project-service.js';
import type { Release } from '../releases/release-store.js';
import type { Clock } from '../shared/clock.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { decodeCursor, isString, toPage, type Page, type PageRequest } from '../shared/page.js';
import { DeploymentInProgressError, NothingToRollBackError, ReleaseUnknownError } from './deployment-errors.js';
import type { LogLine } from './deployment-log-store.js';
import type { DeploymentSignals } from './deployment-signals.js';
import type { Deployment, DeploymentStatus } from './deployment-store.js';
import type { DeploymentTransitions } from './deployment-transitions.js';
import { checkGuardrails, type DeployGuard } from './guardrails.js';

export interface RequestDeploymentInput {
  version: string;
  environment: string;
  reason?: string;
  override?: { reason: string };
}

/** A new deployment and its callback token: shown once, for whoever reports the result. */
export interface RequestedDeployment {
  deployment: Deployment;
  callbackToken: string;
}

interface NewDeployment {
  project: Project;
  env: Environment;
  settings: DeploymentSettings;
  release: Pick<Release, 'version' | 'tag' | 'commit'>;
  kind: Deployment['kind'];
  rollbackOf: string | null;
  reason: string | null;
  override: Deployment['override'];
  approvalsRequired: number;
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
    private readonly guards: DeployGuard[] = [],
  ) {}

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

  async request(ctx: RequestContext, projectKey: string, input: RequestDeploymentInput): Promise<RequestedDeployment> {
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
    await this.refuseIfInFlight(project, env.key);
    const settings = readSettings(env.settings);
    const overridden = await checkGuardrails({
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
      extraGuards: this.guards,
    });
    return this.insert(ctx, {
      project,
      env,
      settings,
      release,
      kind: 'deploy',
      rollbackOf: null,
      reason: input.reason ?? null,
      override: input.override ? { reason: input.override.reason, overridden } : null,
      approvalsRequired: settings.approvals.required,
    });
  }

  /**
   * Deploys the last version that succeeded in the environment before `id`. Promotion, sign-off,
   * window and approval gates are skipped — going back to a version that ran there is the
   * emergency path — but permissions are not.
   */
  async rollback(ctx: RequestContext, id: string, input: { reason?: string } = {}): Promise<RequestedDeployment> {
    const original = await this.get(id);
    const env = await this.environment(original.environment);
    authorize(ctx.actor, { role: 'engineer', action: 'Rolling back', environment: env });
    const project = await this.projects.get(original.projectKey);
    if (original.status !== 'succeeded' && original.status !== 'failed') {
      throw new DeploymentInProgressError(
        original.status === 'rolled_back' || original.status === 'cancelled'
          ? `Deployment ${id} is ${original.status}: there is nothing to roll back.`
          : `Deployment ${id} is still ${original.status}: wait for it to end (or cancel it) before rolling back.`,
        { deployment: id, status: original.status },
      );
    }
    const target = await this.uow.reads.deployments.lastSucceededBefore(original.projectId, original.environment, original.id, original.version);
    if (!target) {
      throw new NothingToRollBackError(`No other version succeeded in ${original.environment} before ${original.version}: deploy a release instead.`, {
        deployment: id,
        environment: original.environment,
      });
    }
    await this.refuseIfInFlight(project, env.key);
    return this.insert(ctx, {
      project,
      env,
      settings: readSettings(env.settings),
      release: target,
      kind: 'rollback',
      rollbackOf: original.id,
      reason: `rollback of ${original.version} (${original.id})${input.reason ? `: ${input.reason}` : ''}`,
      override: null,
      approvalsRequired: 0,
    });
  }

  /** An approval by someone with a listed role who is not the requester; the last one needed starts it. */
  async approve(ctx: RequestContext, id: string, input: { comment?: string } = {}): Promise<Deployment> {
    const d = await this.get(id);
    if (d.status !== 'pending_approval') throw new ConflictError(`Deployment ${id} is ${d.status}: only a deployment waiting for approval can be approved.`, { deployment: id, status: d.status });
    if (!d.approvalRoles.includes(ctx.actor.role) && ctx.actor.role !== 'admin') {
      throw new ForbiddenError(`Approving deployments to ${d.environment} needs one of these roles: ${d.approvalRoles.join(', ')}; you have ${ctx.actor.role}.`, { required: d.approvalRoles, actual: ctx.actor.role });
    }
    const userKey = ctx.actor.userId ?? ctx.actor.username;
    if (userKey === (d.requestedById ?? d.requestedBy)) {
      throw new ForbiddenError('You requested this deployment: someone else must approve it.', { deployment: id, requestedBy: d.requestedBy });
    }
    if (d.approvals.some((a) => a.userKey === userKey)) throw new ConflictError(`You already approved deployment ${id}.`, { deployment: id });
    const after = await this.uow.transaction(async (tx) => {
      try {
        await tx.stores.deployments.addApproval(id, { userKey, username: ctx.actor.username, role: ctx.actor.role, createdAt: tx.now });
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`You already approved deployment ${id}.`, { deployment: id });
        throw error;
      }
      const approvals = d.approvals.length + 1;
      const complete = approvals >= d.approvalsRequired;
      if (complete && !(await tx.stores.deployments.update(id, ['pending_approval'], { status: 'pending', nextCheckAt: tx.now, updatedAt: tx.now }))) {
        throw new ConflictError(`Deployment ${id} is no longer waiting for approval.`, { deployment: id });
      }
      const current = (await tx.stores.deployments.get(id))!;
      await this.transitions.log(tx, id, [{ line: `approved by ${ctx.actor.username} (${approvals}/${d.approvalsRequired})${input.comment ? `: ${input.comment}` : ''}` }]);
      if (complete) await this.transitions.progressed(tx, current);
      await this.transitions.event(tx, ctx, current, 'deployment.approved');
      return current;
    });
    this.signals.changed(id);
    return after;
  }

  /** Cancels a deployment that has not started yet. */
  async cancel(ctx: RequestContext, id: string, input: { reason?: string } = {}): Promise<Deployment> {
    const d = await this.get(id);
    authorize(ctx.actor, { role: 'engineer', action: 'Cancelling a deployment', environment: await this.environment(d.environment) });
    const after = await this.uow.transaction(async (tx) => {
      const ended = await this.transitions.finish(tx, ctx, d, 'cancelled', input.reason ? { reason: `cancelled by ${ctx.actor.username}: ${input.reason}`, target: null } : null, ['pending_approval', 'pending']);
      if (!ended) {
        const now = (await tx.stores.deployments.get(id))!;
        throw new ConflictError(`Deployment ${id} is ${now.status}: only a pending deployment can be cancelled${now.status === 'running' ? '; roll it back when it ends' : ''}.`, { deployment: id, status: now.status });
      }
      return ended;
    });
    this.signals.changed(id);
    return after;
  }

  private async insert(ctx: RequestContext, n: NewDeployment): Promise<RequestedDeployment> {
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
          status: n.approvalsRequired > 0 ? 'pending_approval' : 'pending',
          phase: 'targets',
          reason: n.reason,
          override: n.override,
          requestedBy: ctx.actor.username,
          requestedById: ctx.actor.userId,
          approvalsRequired: n.approvalsRequired,
          approvalRoles: n.approvalsRequired > 0 ? n.settings.approvals.roles : [],
          smoke: n.settings.smoke,
          autoRollback: n.settings.autoRollback,
          callbackTokenHash: hashToken(callbackToken),
          failureReason: null,
          failureTarget: null,
          createdAt: tx.now,
          startedAt: null,
          finishedAt: null,
          updatedAt: tx.now,
          targets: effectiveTargets(n.settings).map((t, position) => ({ key: t.key, position, executor: t.executor, status: 'pending', message: null, deadlineAt: null, startedAt: null, finishedAt: null })),
          approvals: [],
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

  private async refuseIfInFlight(project: Project, environment: string): Promise<void> {
    const busy = await this.uow.reads.deployments.inFlight(project.id, environment);
    if (busy) {
      throw new DeploymentInProgressError(
        `Deployment ${busy.id} of ${busy.version} to ${environment} is ${busy.status} (requested by ${busy.requestedBy}): wait for it to end${busy.status === 'running' ? '' : ' or cancel it'}, then deploy again.`,
        { deployment: busy.id, version: busy.version, status: busy.status, environment },
      );
    }
  }

  private async environment(key: string): Promise<Environment> {
    const env = await this.uow.reads.environments.get(key);
    if (!env) throw new NotFoundError(`Environment ${key} does not exist.`, { environment: key });
    return env;
  }
}
