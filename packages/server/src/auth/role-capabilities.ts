import { PROTECTED_ENVIRONMENT_ROLE } from './permissions.js';
import { atLeast, type Role } from './roles.js';

/**
 * What a role may do, so the web app can hide buttons a user cannot use. The services check
 * again on every request (auth/permissions.ts); this summary never grants anything.
 */
export function capabilitiesOf(role: Role) {
  return {
    createReleases: atLeast(role, 'engineer'),
    deploy: atLeast(role, 'engineer'),
    deployProtected: atLeast(role, PROTECTED_ENVIRONMENT_ROLE),
    changeFlags: atLeast(role, 'engineer'),
    changeFlagsProtected: atLeast(role, PROTECTED_ENVIRONMENT_ROLE),
    recordSignoffs: atLeast(role, 'qa'),
    overrideGuards: atLeast(role, 'release-manager'),
    manageEnvironments: atLeast(role, 'release-manager'),
    manageProjects: atLeast(role, 'release-manager'),
    manageChannels: atLeast(role, 'release-manager'),
    manageSdkKeys: atLeast(role, 'engineer'),
    manageUsers: atLeast(role, 'admin'),
    seeAllTokens: atLeast(role, 'admin'),
  };
}

export const CAPABILITY_NAMES = Object.keys(capabilitiesOf('viewer')) as Array<keyof ReturnType<typeof capabilitiesOf>>;
