import type { Kysely } from 'kysely';
import { AuditStore } from '../audit/audit-store.js';
import { TokenStore } from '../auth/token-store.js';
import { UserStore } from '../auth/user-store.js';
import { EnvironmentStore } from '../environments/environment-store.js';
import { FlagChangeStore } from '../flags/flag-change-store.js';
import { FlagStore } from '../flags/flag-store.js';
import { SegmentStore } from '../flags/segment-store.js';
import { OutboxStore } from '../outbox/outbox-store.js';
import { ProjectStore } from '../projects/project-store.js';
import { ReleaseStore } from '../releases/release-store.js';
import { SdkKeyStore } from '../sdk/sdk-key-store.js';
import { SignoffStore } from '../signoffs/signoff-store.js';
import { DeploymentLogStore } from '../deployments/deployment-log-store.js';
import { DeploymentStore } from '../deployments/deployment-store.js';
import { DeploymentStateStore } from '../status/deployment-state-store.js';
import { HeartbeatStore } from '../status/heartbeat-store.js';
import { ChannelStore } from '../notifications/channel-store.js';
import { DeliveryStore } from '../notifications/delivery-store.js';
import { LoginThrottleStore } from '../auth/login-throttle-store.js';
import { SessionStore } from '../auth/session-store.js';
import { FlagEvaluationStore } from '../flags/flag-evaluation-store.js';
import type { Database } from './schema.js';
import type { CoreStores, UnitOfWork } from './unit-of-work.js';

/** Every store, bound to one database handle (the pool or a transaction). */
export interface Stores extends CoreStores {
  readonly users: UserStore;
  readonly tokens: TokenStore;
  readonly environments: EnvironmentStore;
  readonly projects: ProjectStore;
  readonly releases: ReleaseStore;
  readonly flags: FlagStore;
  readonly segments: SegmentStore;
  readonly flagChanges: FlagChangeStore;
  readonly sdkKeys: SdkKeyStore;
  readonly signoffs: SignoffStore;
  readonly deployments: DeploymentStore;
  readonly deploymentLogs: DeploymentLogStore;
  readonly deploymentState: DeploymentStateStore;
  readonly heartbeats: HeartbeatStore;
  readonly channels: ChannelStore;
  readonly deliveries: DeliveryStore;
  readonly sessions: SessionStore;
  readonly loginThrottle: LoginThrottleStore;
  readonly flagEvaluations: FlagEvaluationStore;
}

export type Uow = UnitOfWork<Stores>;

export function createStores(db: Kysely<Database>): Stores {
  return {
    audit: new AuditStore(db),
    outbox: new OutboxStore(db),
    users: new UserStore(db),
    tokens: new TokenStore(db),
    environments: new EnvironmentStore(db),
    projects: new ProjectStore(db),
    releases: new ReleaseStore(db),
    flags: new FlagStore(db),
    segments: new SegmentStore(db),
    flagChanges: new FlagChangeStore(db),
    sdkKeys: new SdkKeyStore(db),
    signoffs: new SignoffStore(db),
    deployments: new DeploymentStore(db),
    deploymentLogs: new DeploymentLogStore(db),
    deploymentState: new DeploymentStateStore(db),
    heartbeats: new HeartbeatStore(db),
    channels: new ChannelStore(db),
    deliveries: new DeliveryStore(db),
    sessions: new SessionStore(db),
    loginThrottle: new LoginThrottleStore(db),
    flagEvaluations: new FlagEvaluationStore(db),
  };
}
