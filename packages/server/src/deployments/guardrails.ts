import { atLeast } from '../auth/roles.js';
import type { Actor } from '../auth/actor.js';
import { PROTECTED_ENVIRONMENT_ROLE } from '../auth/permissions.js';
import type { DeploymentSettings } from '../environments/deployment-settings.js';
import type { Project } from '../projects/project-service.js';
import type { Release } from '../releases/release-store.js';
import { ForbiddenError, type DomainError } from '../shared/errors.js';
import { decisiveSignoff } from '../signoffs/signoff-service.js';
import type { Signoff } from '../signoffs/signoff-store.js';
import { activeFreeze, describeWindows, isInWindow, nextWindowOpening } from './deploy-windows.js';
import {
  FrozenError,
  NotInLifecycleError,
  OutsideDeployWindowError,
  PromotionOrderError,
  SignoffMissingError,
  SignoffNoGoError,
  TagMismatchError,
} from './deployment-errors.js';

/**
 * A check another feature adds to deployments (compatibility, tests gate): the refusal, or null.
 * Refusals it returns are overridable like a freeze.
 */
export type DeployGuard = (input: { project: Project; release: Release; environment: string }) => Promise<DomainError | null>;

export interface GuardrailInput {
  project: Project;
  release: Release;
  environment: string;
  settings: DeploymentSettings;
  actor: Actor;
  override: { reason: string } | null;
  now: Date;
  signoffs: () => Promise<Signoff[]>;
  succeededIn: (environment: string) => Promise<boolean>;
  /** The commit the tag points at in the remote now, or null when the tag is missing there. */
  remoteTag: () => Promise<string | null>;
  /** Checks of other features (insights: `incompatible`, `tests_failing`). */
  extraGuards?: DeployGuard[];
}

/**
 * PRODUCT.md §3 rule 4, in order from the cheapest check to the one that asks the remote. Throws
 * the first refusal; returns the refusals an override set aside (window, freeze).
 */
export async function checkGuardrails(g: GuardrailInput): Promise<string[]> {
  const { project, release, environment: env } = g;
  const hotfix = release.kind === 'hotfix';
  const lifecycle = hotfix ? project.hotfixLifecycle : project.lifecycle;
  const lifecycleName = hotfix ? 'hotfix lifecycle' : 'lifecycle';
  const index = lifecycle.indexOf(env);
  if (index < 0) {
    throw new NotInLifecycleError(
      `${env} is not in the ${lifecycleName} of ${project.key} (${lifecycle.join(' → ') || 'empty'}): deploy to one of those environments, or add ${env} to the project's ${lifecycleName}.`,
      { environment: env, lifecycle, hotfix },
    );
  }
  if (index > 0) {
    const previous = lifecycle[index - 1]!;
    if (!(await g.succeededIn(previous))) {
      throw new PromotionOrderError(`${release.version} has not succeeded in ${previous} yet: deploy it to ${previous} first (${lifecycle.join(' → ')}).`, {
        environment: env,
        requiredEnvironment: previous,
        version: release.version,
      });
    }
  }
  if (g.settings.requiredSignoffs.length > 0) {
    const signoffs = await g.signoffs();
    for (const kind of g.settings.requiredSignoffs) {
      const decisive = decisiveSignoff(signoffs, kind, env);
      if (!decisive) {
        throw new SignoffMissingError(
          `${env} needs a "${kind}" go for ${release.version}: record one with POST /api/v1/projects/${project.key}/releases/${release.version}/signoffs (slipway signoff --project ${project.key} --version ${release.version} --kind ${kind} --go --env ${env}).`,
          { kind, environment: env, version: release.version },
        );
      }
      if (decisive.decision === 'no-go') {
        throw new SignoffNoGoError(
          `The latest "${kind}" sign-off of ${release.version} is no-go, by ${decisive.createdBy} at ${decisive.createdAt}: "${decisive.comment}". Fix the issue and ship a new release, or have ${kind} record a go.`,
          { kind, environment: env, version: release.version, by: decisive.createdBy, comment: decisive.comment, at: decisive.createdAt },
        );
      }
    }
  }
  const overridden: string[] = [];
  const mayOverride = atLeast(g.actor.role, PROTECTED_ENVIRONMENT_ROLE);
  const needOverride = (code: string, error: Error) => {
    if (g.override === null) throw error;
    if (!mayOverride) {
      throw new ForbiddenError(`Overriding ${code === 'frozen' ? 'a freeze' : code === 'outside_deploy_window' ? 'a deploy window' : `the ${code} refusal`} needs the ${PROTECTED_ENVIRONMENT_ROLE} role or above; you have ${g.actor.role}.`, {
        required: PROTECTED_ENVIRONMENT_ROLE,
        actual: g.actor.role,
        overriding: code,
      });
    }
    overridden.push(code);
  };
  const freeze = activeFreeze(g.settings.freezes, g.now);
  if (freeze) {
    needOverride(
      'frozen',
      new FrozenError(`${env} is frozen until ${freeze.to} (${freeze.reason}): wait until then, or have a release-manager deploy with override.reason.`, {
        environment: env,
        until: freeze.to,
        reason: freeze.reason,
      }),
    );
  }
  if (!isInWindow(g.settings.windows, g.now)) {
    const next = nextWindowOpening(g.settings.windows, g.now);
    const when = next ? `the next window opens ${next.local} (${next.at.toISOString()})` : 'no window opens in the next two weeks';
    needOverride(
      'outside_deploy_window',
      new OutsideDeployWindowError(`${env} accepts deployments ${describeWindows(g.settings.windows)}; ${when}. Deploy then, or have a release-manager deploy with override.reason.`, {
        environment: env,
        windows: g.settings.windows,
        nextWindowAt: next?.at.toISOString() ?? null,
      }),
    );
  }
  for (const guard of g.extraGuards ?? []) {
    const refusal = await guard({ project, release, environment: env });
    if (refusal) needOverride(refusal.code, refusal);
  }
  const remote = await g.remoteTag();
  if (remote !== release.commit) {
    throw new TagMismatchError(
      remote === null
        ? `The tag ${release.tag} of ${release.version} is missing in the remote repository: deploy a release whose tag is intact (tags are never recreated; cut a new release).`
        : `The tag ${release.tag} now points at ${remote.slice(0, 12)} in the remote, not at the release's commit ${release.commit.slice(0, 12)}: someone moved it. Deploy a new release instead.`,
      { tag: release.tag, expected: release.commit, actual: remote },
    );
  }
  return overridden;
}
