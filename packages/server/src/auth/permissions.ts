import { ForbiddenError } from '../shared/errors.js';
import type { Actor } from './actor.js';
import { atLeast, type Role } from './roles.js';

/** What an action touches, as far as permissions are concerned. */
export type Permission =
  /** A plain role requirement, e.g. `{ role: 'release-manager' }` to create a project. */
  | { readonly role: Role; readonly action: string }
  /**
   * A change that lands in an environment (a deployment, a flag change): needs `role`, and
   * `release-manager` or above when the environment is protected.
   */
  | { readonly role: Role; readonly action: string; readonly environment: { readonly key: string; readonly protected: boolean } };

export const PROTECTED_ENVIRONMENT_ROLE: Role = 'release-manager';

/** The lowest role that may deploy to an environment and change its flags (what `authorize` enforces for changes there). */
export function changeRoleOf(environment: { readonly protected: boolean }): Role {
  return environment.protected ? PROTECTED_ENVIRONMENT_ROLE : 'engineer';
}

/** The one permission check every feature calls. Throws ForbiddenError saying what is needed. */
export function authorize(actor: Actor, permission: Permission): void {
  if (!atLeast(actor.role, permission.role)) {
    throw new ForbiddenError(`${permission.action} needs the ${permission.role} role or above; you have ${actor.role}.`, {
      required: permission.role,
      actual: actor.role,
    });
  }
  if ('environment' in permission && permission.environment.protected && !atLeast(actor.role, PROTECTED_ENVIRONMENT_ROLE)) {
    throw new ForbiddenError(
      `${permission.environment.key} is a protected environment: ${permission.action} there needs the ${PROTECTED_ENVIRONMENT_ROLE} role or above; you have ${actor.role}.`,
      { required: PROTECTED_ENVIRONMENT_ROLE, actual: actor.role, environment: permission.environment.key },
    );
  }
}
