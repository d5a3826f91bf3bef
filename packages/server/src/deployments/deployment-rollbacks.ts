import semver from 'semver';
import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import type { Uow } from '../db/stores.js';
import { effectiveTargets, readSettings, type TargetConfig } from '../environments/deployment-settings.js';
import type { Project, ProjectService } from '../projects/project-service.js';
import { NotFoundError } from '../shared/errors.js';
import { NotLatestDeploymentError, NothingToRollBackError, RollbackVersionNeededError, RollbackVersionUnknownError } from './deployment-errors.js';
import type { DeploymentService, RequestedDeployment } from './deployment-service.js';
import type { Deployment } from './deployment-store.js';

export interface RollbackRequest {
  /** The deployment to roll back (must be the environment's latest); or project + environment. */
  deploymentId?: string;
  project?: string;
  environment?: string;
  /** Go back to this version (any release that succeeded there before); default: the last good one. */
  version?: string;
  reason?: string;
  /** The runner's automatic rollback: only targets that changed, and nothing when none did. */
  automatic?: boolean;
}

/** What a rollback would do, shown before it is done (rule 9): `GET …/rollback-preview`. */
export interface RollbackPlan {
  project: string;
  environment: string;
  from: { version: string; deploymentId: string; status: string; kind: string };
  to: { version: string; tag: string; commit: string; kind: string; succeededIn: string; explicit: boolean };
  /** Per target: what it reported last, and whether the rollback deploys to it (only targets that changed: they ran in the deployment undone, or report another version). */
  targets: Array<{ key: string; current: string | null; to: string; rollsBack: boolean }>;
  /** What going back removes: the releases after `to` up to `from`, their tickets and hotfixes. */
  notes: { releases: Array<{ version: string; kind: string; tickets: string[] }>; tickets: string[]; hotfixes: string[] };
  /** The rollback that was tried last and failed, when the environment's latest deployment is one. */
  failedRollback: { deploymentId: string; version: string; failure: string | null } | null;
}

/**
 * Rollbacks go to the last version that SUCCEEDED in the environment (not simply the one before),
 * only to the targets that changed, and never silently further back than a rollback that failed:
 * then an explicit version is asked for (issue 10 §2). Only the environment's latest deployment is
 * rolled back — an old one would put an older version over a newer one (issue 11 §9).
 */
export class DeploymentRollbacks {
  constructor(
    private readonly uow: Uow,
    private readonly projects: ProjectService,
    private readonly deployments: DeploymentService,
  ) {}

  async preview(ctx: RequestContext, request: RollbackRequest): Promise<RollbackPlan> {
    const { plan } = await this.plan(ctx, request);
    return plan;
  }

  async rollback(ctx: RequestContext, request: RollbackRequest): Promise<RequestedDeployment> {
    const { plan, project, subject, deployTo } = await this.plan(ctx, request);
    const env = await this.deployments.environment(plan.environment);
    await this.deployments.refuseIfInFlight(project, env.key);
    const parts = [
      `rollback of ${plan.from.version} (${subject.id}) to ${plan.to.version}`,
      plan.targets.some((t) => !t.rollsBack) ? ` on ${deployTo.map((t) => t.key).join(', ')} only (the targets that changed)` : '',
      request.reason ? `: ${request.reason}` : '',
    ];
    return this.deployments.insert(ctx, {
      project,
      env,
      settings: readSettings(env.settings),
      release: { version: plan.to.version, tag: plan.to.tag, commit: plan.to.commit, kind: plan.to.kind },
      kind: 'rollback',
      rollbackOf: plan.failedRollback ? (subject.rollbackOf ?? subject.id) : subject.id,
      reason: parts.join(''),
      override: null,
      approvalGroups: [],
      targets: deployTo,
    });
  }

  private async plan(ctx: RequestContext, request: RollbackRequest): Promise<{ plan: RollbackPlan; project: Project; subject: Deployment; deployTo: TargetConfig[] }> {
    let project: Project;
    let environment: string;
    let asked: Deployment | null = null;
    if (request.deploymentId !== undefined) {
      asked = await this.deployments.get(request.deploymentId);
      project = await this.projects.get(asked.projectKey);
      environment = asked.environment;
    } else {
      project = await this.projects.get(request.project!);
      environment = request.environment!;
    }
    const env = await this.deployments.environment(environment);
    authorize(ctx.actor, { role: 'engineer', action: 'Rolling back', environment: env });
    const subject = await this.uow.reads.deployments.latestRan(project.id, env.key);
    if (!subject) throw new NothingToRollBackError(`Nothing of ${project.key} has run in ${env.key} yet: there is nothing to roll back.`, { project: project.key, environment: env.key });
    const failedRollback = subject.kind === 'rollback' && subject.status === 'failed' ? subject : null;
    // The deployment a failed rollback tried to undo is still the one being rolled back.
    const base = failedRollback && failedRollback.rollbackOf ? ((await this.uow.reads.deployments.get(failedRollback.rollbackOf)) ?? subject) : subject;
    if (asked && asked.id !== subject.id && asked.id !== base.id) {
      throw new NotLatestDeploymentError(
        `Deployment ${asked.id} (${asked.version}) is not the latest in ${env.key}: ${subject.version} (deployment ${subject.id}, ${subject.status}) ran after it. Rolling it back would put ${asked.version}'s predecessor over ${subject.version}; roll back the latest instead (slipway rollback --project ${project.key} --env ${env.key} --dry-run).`,
        { deployment: asked.id, latest: subject.id, latestVersion: subject.version },
      );
    }
    const to = await this.target(project, env.key, base, failedRollback, request.version);
    const release = await this.uow.reads.releases.get(project.id, to.version);
    if (!release) throw new NotFoundError(`Release ${to.version} of ${project.key} does not exist any more.`, { version: to.version });
    const state = await this.uow.reads.deploymentState.get(project.id, env.key);
    const configured = effectiveTargets(readSettings(env.settings));
    // A target changed when it ran in the deployment being undone (succeeded, failed or timed out:
    // a failure may leave it half-installed) or when what it reported is not the version to go back
    // to. One that was cancelled before doing anything (or said it stopped) did not change.
    const ran = new Set(base.targets.filter((t) => t.status === 'succeeded' || t.status === 'failed' || t.status === 'timed_out').map((t) => t.key));
    const targets = configured.map((t) => {
      const current = state?.targets[t.key]?.version ?? state?.current?.version ?? null;
      return { key: t.key, current, to: to.version, rollsBack: ran.has(t.key) || current !== to.version };
    });
    let deployTo = configured.filter((t) => targets.find((x) => x.key === t.key)!.rollsBack);
    if (deployTo.length === 0) {
      if (request.automatic) {
        throw new NothingToRollBackError(`Every target of ${env.key} still reports ${to.version}: no target changed, so there is nothing to roll back.`, { environment: env.key, version: to.version });
      }
      // Asked for by a person although every target reports the version: deploy it everywhere.
      deployTo = configured;
      for (const t of targets) t.rollsBack = true;
    }
    const plan: RollbackPlan = {
      project: project.key,
      environment: env.key,
      from: { version: base.version, deploymentId: base.id, status: base.status, kind: base.kind },
      to: { version: release.version, tag: release.tag, commit: release.commit, kind: release.kind, succeededIn: to.deploymentId, explicit: request.version !== undefined },
      targets,
      notes: await this.notes(project, release.version, base.version),
      failedRollback: failedRollback ? { deploymentId: failedRollback.id, version: failedRollback.version, failure: failedRollback.failureReason && `${failedRollback.failureReason}${failedRollback.failureTarget ? ` on ${failedRollback.failureTarget}` : ''}` } : null,
    };
    return { plan, project, subject, deployTo };
  }

  /** The version to go back to: the one asked for, or the last that succeeded before `base`. */
  private async target(project: Project, env: string, base: Deployment, failedRollback: Deployment | null, version: string | undefined): Promise<{ version: string; deploymentId: string }> {
    const store = this.uow.reads.deployments;
    if (version !== undefined) {
      const ok = version === base.version ? null : await store.lastSucceededOf(project.id, env, version);
      if (!ok) {
        throw new RollbackVersionUnknownError(
          version === base.version
            ? `${version} is the version being rolled back: name an earlier one that succeeded in ${env}.`
            : `${project.key} ${version} never succeeded in ${env}: a rollback goes to a version that ran there (see slipway deployments --project ${project.key} --env ${env} --status succeeded).`,
          { version, environment: env },
        );
      }
      return { version, deploymentId: ok.id };
    }
    const last = await store.lastSucceededBefore(project.id, env, base.id, base.version);
    if (!last) {
      throw new NothingToRollBackError(`No other version of ${project.key} succeeded in ${env} before ${base.version}: deploy a release instead.`, { environment: env, version: base.version });
    }
    if (failedRollback && failedRollback.version === last.version) {
      throw new RollbackVersionNeededError(
        `The last rollback to ${last.version} (deployment ${failedRollback.id}) failed${failedRollback.failureTarget ? ` on target ${failedRollback.failureTarget}` : ''}: Slipway will not silently go further back. Name the version to roll back to (version in the body; slipway rollback --version V), or fix ${last.version} and try it again explicitly.`,
        { failedRollback: failedRollback.id, version: last.version, environment: env },
      );
    }
    return { version: last.version, deploymentId: last.id };
  }

  private async notes(project: Project, to: string, from: string): Promise<RollbackPlan['notes']> {
    const all = await this.uow.reads.releases.summaries(project.id);
    const removed = all.filter((r) => semver.valid(r.version) && semver.gt(r.version, to) && semver.lte(r.version, from)).sort((a, b) => semver.compare(a.version, b.version));
    const releases = [];
    for (const r of removed.slice(-50)) {
      const full = await this.uow.reads.releases.get(project.id, r.version);
      releases.push({ version: r.version, kind: r.kind, tickets: full?.tickets ?? [] });
    }
    return { releases, tickets: [...new Set(releases.flatMap((r) => r.tickets))], hotfixes: releases.filter((r) => r.kind === 'hotfix').map((r) => r.version) };
  }
}
