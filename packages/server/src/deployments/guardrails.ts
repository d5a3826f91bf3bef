import { atLeast } from '../auth/roles.js';
import type { Actor } from '../auth/actor.js';
import { PROTECTED_ENVIRONMENT_ROLE } from '../auth/permissions.js';
import type { DeploymentSettings } from '../environments/deployment-settings.js';
import type { Project } from '../projects/project-service.js';
import type { Release } from '../releases/release-store.js';
import { DomainError, ForbiddenError } from '../shared/errors.js';
import { decisiveSignoff } from '../signoffs/signoff-service.js';
import type { Signoff } from '../signoffs/signoff-store.js';
import { activeFreeze, describeWindows, isInWindow, nextWindowOpening } from './deploy-windows.js';

/** One reason a deployment would be refused (PRODUCT.md §3 rule 4). */
export interface Refusal {
  code: string;
  message: string;
  details: Record<string, unknown>;
  /** An emergency override with a reason (release-manager+) sets it aside: windows and freezes. */
  overridable?: boolean;
}

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
}

/** A guard answers the refusals it finds (none: it lets the deployment through). */
export type Guard = (g: GuardrailInput) => Promise<Refusal[]>;

/** Another feature's check as a guard: its refusal is overridable like a freeze. */
export function overridableGuard(check: DeployGuard): Guard {
  return async (g) => {
    const refusal = await check({ project: g.project, release: g.release, environment: g.environment });
    return refusal === null ? [] : [{ code: refusal.code, message: refusal.message, details: refusal.details, overridable: true }];
  };
}

/** The refusal a real request answers with (422, or 409 for conflicts), listing every other one in `details.refusals`. */
export class GuardrailRefusedError extends DomainError {
  readonly code: string;
  constructor(first: Refusal, all: Refusal[]) {
    super(first.message, { ...first.details, ...(all.length > 1 && { refusals: all.map(({ code, message, details }) => ({ code, message, details })) }) });
    this.code = first.code;
  }
}

const OVERRIDE_HINT = 'have a release-manager deploy with override.reason (slipway deploy --override-reason "why")';

function lifecycleOf(g: GuardrailInput): { lifecycle: string[]; name: string; hotfix: boolean } {
  const hotfix = g.release.kind === 'hotfix';
  return { lifecycle: hotfix ? g.project.hotfixLifecycle : g.project.lifecycle, name: hotfix ? 'hotfix lifecycle' : 'lifecycle', hotfix };
}

const lifecycle: Guard = async (g) => {
  const { lifecycle: steps, name, hotfix } = lifecycleOf(g);
  if (steps.includes(g.environment)) return [];
  return [
    {
      code: 'not_in_lifecycle',
      message: `${g.environment} is not in the ${name} of ${g.project.key} (${steps.join(' → ') || 'empty'}): deploy to one of those environments, or add ${g.environment} to the project's ${name}.`,
      details: { environment: g.environment, lifecycle: steps, hotfix },
    },
  ];
};

const promotionOrder: Guard = async (g) => {
  const { lifecycle: steps } = lifecycleOf(g);
  const index = steps.indexOf(g.environment);
  if (index <= 0) return [];
  const previous = steps[index - 1]!;
  if (await g.succeededIn(previous)) return [];
  return [
    {
      code: 'promotion_order',
      message: `${g.release.version} has not succeeded in ${previous} yet: deploy it to ${previous} first (${steps.join(' → ')}).`,
      details: { environment: g.environment, requiredEnvironment: previous, version: g.release.version },
    },
  ];
};

const signoffs: Guard = async (g) => {
  if (g.settings.requiredSignoffs.length === 0) return [];
  const all = await g.signoffs();
  const { project, release, environment: env } = g;
  const out: Refusal[] = [];
  for (const kind of g.settings.requiredSignoffs) {
    const decisive = decisiveSignoff(all, kind, env);
    if (!decisive) {
      out.push({
        code: 'signoff_missing',
        message: `${env} needs a "${kind}" go for ${release.version}: record one with POST /api/v1/projects/${project.key}/releases/${release.version}/signoffs (slipway signoff --project ${project.key} --version ${release.version} --kind ${kind} --go --env ${env}).`,
        details: { kind, environment: env, version: release.version },
      });
    } else if (decisive.decision === 'no-go') {
      out.push({
        code: 'signoff_no_go',
        message: `The latest "${kind}" sign-off of ${release.version} is no-go, by ${decisive.createdBy} at ${decisive.createdAt}: "${decisive.comment}". Fix the issue and ship a new release, or have ${kind} record a go.`,
        details: { kind, environment: env, version: release.version, by: decisive.createdBy, comment: decisive.comment, at: decisive.createdAt },
      });
    }
  }
  return out;
};

const freeze: Guard = async (g) => {
  const f = activeFreeze(g.settings.freezes, g.now);
  if (!f) return [];
  return [
    {
      code: 'frozen',
      message: `${g.environment} is frozen until ${f.to} (${f.reason}): wait until then, or ${OVERRIDE_HINT}.`,
      details: { environment: g.environment, until: f.to, reason: f.reason },
      overridable: true,
    },
  ];
};

const deployWindow: Guard = async (g) => {
  if (isInWindow(g.settings.windows, g.now)) return [];
  const next = nextWindowOpening(g.settings.windows, g.now);
  const when = next ? `the next window opens ${next.local} (${next.at.toISOString()})` : 'no window opens in the next two weeks';
  return [
    {
      code: 'outside_deploy_window',
      message: `${g.environment} accepts deployments ${describeWindows(g.settings.windows)}; ${when}. Deploy then, or ${OVERRIDE_HINT}.`,
      details: { environment: g.environment, windows: g.settings.windows, nextWindowAt: next?.at.toISOString() ?? null },
      overridable: true,
    },
  ];
};

const tagIntact: Guard = async (g) => {
  const remote = await g.remoteTag();
  const { release } = g;
  if (remote === release.commit) return [];
  return [
    {
      code: 'tag_mismatch',
      message:
        remote === null
          ? `The tag ${release.tag} of ${release.version} is missing in the remote repository: deploy a release whose tag is intact (tags are never recreated; cut a new release).`
          : `The tag ${release.tag} now points at ${remote.slice(0, 12)} in the remote, not at the release's commit ${release.commit.slice(0, 12)}: someone moved it. Deploy a new release instead.`,
      details: { tag: release.tag, expected: release.commit, actual: remote },
    },
  ];
};

/**
 * Every guard, from the cheapest to the one that asks the remote. Adding a guard is adding a
 * function here; each is run, so a preflight shows every reason at once (rule 9).
 */
export const GUARDS: Guard[] = [lifecycle, promotionOrder, signoffs, freeze, deployWindow, tagIntact];

/** Every refusal of every guard, in the order of GUARDS. */
export async function collectRefusals(g: GuardrailInput, guards: readonly Guard[] = GUARDS): Promise<Refusal[]> {
  const out: Refusal[] = [];
  for (const guard of guards) out.push(...(await guard(g)));
  return out;
}

export interface Verdict {
  /** Every refusal found. */
  refusals: Refusal[];
  /** The refusals that stop the request (with an override given and allowed, the overridable ones do not). */
  blocking: Refusal[];
  /** Codes an override would set aside (or did, when one was given). */
  overridable: string[];
  /** An override was given by someone whose role may not override. */
  overrideForbidden: boolean;
}

export function judge(refusals: Refusal[], g: Pick<GuardrailInput, 'actor' | 'override'>): Verdict {
  const overridable = refusals.filter((r) => r.overridable).map((r) => r.code);
  const mayOverride = atLeast(g.actor.role, PROTECTED_ENVIRONMENT_ROLE);
  const setAside = g.override !== null && mayOverride;
  return {
    refusals,
    blocking: refusals.filter((r) => !(r.overridable && setAside)),
    overridable,
    overrideForbidden: g.override !== null && !mayOverride && overridable.length > 0,
  };
}

/**
 * Runs every guard; throws the first refusal that stands (with all of them in its details), or
 * returns the refusals the override set aside.
 */
export async function checkGuardrails(g: GuardrailInput, guards: readonly Guard[] = GUARDS): Promise<string[]> {
  const verdict = judge(await collectRefusals(g, guards), g);
  const hard = verdict.blocking.filter((r) => !r.overridable);
  if (hard.length > 0) throw new GuardrailRefusedError(hard[0]!, verdict.refusals);
  if (verdict.overrideForbidden) {
    const code = verdict.overridable[0]!;
    throw new ForbiddenError(`Overriding ${code === 'frozen' ? 'a freeze' : code === 'outside_deploy_window' ? 'a deploy window' : `the ${code} refusal`} needs the ${PROTECTED_ENVIRONMENT_ROLE} role or above; you have ${g.actor.role}.`, {
      required: PROTECTED_ENVIRONMENT_ROLE,
      actual: g.actor.role,
      overriding: code,
    });
  }
  if (verdict.blocking.length > 0) throw new GuardrailRefusedError(verdict.blocking[0]!, verdict.refusals);
  return verdict.overridable;
}
