import type { Migration } from 'kysely';
import * as foundation from './0001-foundation.js';
import * as releases from './0002-releases.js';
import * as deployments from './0003-deployments.js';
import * as flags from './0004-flags.js';
import * as notifications from './0005-notifications.js';
import * as releaseAdoption from './0006-release-adoption.js';
import * as deploymentTrust from './0007-deployment-trust.js';
import * as webSessions from './0008-web-sessions.js';
import * as rollouts from './0010-rollouts.js';
import * as insights from './0009-insights.js';
import * as rowVersions from './0011-row-versions.js';
import * as repositoryCredentials from './0012-repository-credentials.js';
import * as canaryDeployments from './0013-canary-deployments.js';
import * as dueDeploymentsIndex from './0014-due-deployments-index.js';

/** Every migration, in order. Names are stable: they are recorded in the database. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-releases': releases,
  '0003-deployments': deployments,
  '0004-flags': flags,
  '0005-notifications': notifications,
  '0006-release-adoption': releaseAdoption,
  '0007-deployment-trust': deploymentTrust,
  '0008-web-sessions': webSessions,
  '0010-rollouts': rollouts,
  '0009-insights': insights,
  '0011-row-versions': rowVersions,
  '0012-repository-credentials': repositoryCredentials,
  '0013-canary-deployments': canaryDeployments,
  '0014-due-deployments-index': dueDeploymentsIndex,
};
