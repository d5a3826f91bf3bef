import { AuditService } from './audit/audit-service.js';
import { AuthService } from './auth/auth-service.js';
import { DEFAULT_SESSION_SETTINGS, SessionService, type SessionSettings } from './auth/session-service.js';
import type { OpenDatabase } from './db/connect.js';
import { createStores, type Uow } from './db/stores.js';
import { UnitOfWork } from './db/unit-of-work.js';
import { EnvironmentService } from './environments/environment-service.js';
import { FlagFanout } from './fanout/flag-fanout.js';
import { FlagService } from './flags/flag-service.js';
import { SegmentService } from './flags/segment-service.js';
import { OutboxBus } from './outbox/outbox-bus.js';
import { RepositoryRegistry } from './git/repository-registry.js';
import { ProjectService } from './projects/project-service.js';
import { ReleaseAdoption } from './releases/release-import.js';
import { ReleaseLocks } from './releases/release-lock.js';
import { ReleaseService } from './releases/release-service.js';
import { RepositoryRefresher } from './releases/repository-refresher.js';
import { FlagDelivery } from './sdk/flag-delivery.js';
import { SdkKeyService } from './sdk/sdk-key-service.js';
import { systemClock, type Clock } from './shared/clock.js';
import { cryptoRandom, IdGenerator, type RandomSource } from './shared/ids.js';
import { DEFAULT_OUTBOUND_POLICY, type OutboundPolicy } from './shared/outbound-policy.js';
import { loadOrCreateSecretKey, SecretBox } from './shared/secret-box.js';
import { SignoffService } from './signoffs/signoff-service.js';
import { createDeployments, type Deployments } from './deployments/deployments.js';
import { StatusService } from './status/status-service.js';
import { DeploymentTimeline } from './deployments/deployment-timeline.js';
import { FlagEvaluationTracker } from './flags/evaluation-tracker.js';
import { FlagPreviewService } from './flags/flag-preview.js';
import { BadgeService } from './web/badge.js';
import { createNotifications, type NotificationSettings, type Notifications } from './notifications/notifications.js';
import { createRollouts, type RolloutSettings, type Rollouts } from './rollouts/rollouts.js';
import { createInsights, type Insights, type InsightsSettings } from './insights/insights.js';

export interface CompositionOptions {
  database: OpenDatabase;
  dataDir: string;
  clock?: Clock;
  random?: RandomSource;
  /** AES-256 key for secrets the server must use again (SLIPWAY_SECRET_KEY); default: `<dataDir>/secret.key`. */
  secretKey?: Buffer;
  /** Slipway's URL for links in messages (SLIPWAY_PUBLIC_URL). */
  publicUrl?: string;
  /** Retry, lease and timeout settings of notification deliveries. */
  notifications?: Partial<NotificationSettings>;
  /** Where background workers report errors they recover from (the server's logger). */
  onBackgroundError?(error: unknown, context: string): void;
  /** How long a server holds a deployment it works on (SLIPWAY_DEPLOY_LEASE_MS). */
  deployLeaseMs?: number;
  /** Web app sessions and the sign-in throttle (SLIPWAY_SESSION_*, SLIPWAY_LOGIN_*). */
  sessions?: Partial<SessionSettings>;
  /** How often every project's clone is fetched in the background (SLIPWAY_REPO_REFRESH_MS; 0: never). */
  repositoryRefreshMs?: number;
  /** How long the status matrix reuses the running instances it read (SLIPWAY_STATUS_INSTANCES_REUSE_MS). */
  statusInstancesReuseMs?: number;
  /** Rollout ticker lease and poll, ingested metrics retention (SLIPWAY_ROLLOUT_*, SLIPWAY_METRICS_RETENTION_DAYS). */
  rollouts?: Partial<RolloutSettings>;
  /** Poll, lease and settle times of the insights' background jobs. */
  insights?: Partial<InsightsSettings>;
  /** Where channels, executors, smoke checks and metric providers may send (SLIPWAY_OUTBOUND_*); default: built-in denials only. */
  outbound?: OutboundPolicy;
}

/** Everything the HTTP layer and the background workers use, built once. */
export interface Services {
  readonly database: OpenDatabase;
  readonly dataDir: string;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly uow: Uow;
  readonly outbox: OutboxBus;
  readonly auth: AuthService;
  /** Browser sessions of the web app. */
  readonly sessions: SessionService;
  /** Slipway's URL as people reach it (SLIPWAY_PUBLIC_URL): links, and Secure cookies over https. */
  readonly publicUrl: string;
  readonly environments: EnvironmentService;
  readonly projects: ProjectService;
  readonly audit: AuditService;
  readonly repositories: RepositoryRegistry;
  readonly releases: ReleaseService;
  /** Keeps the clones warm: background fetches (started in server.ts) and `POST …/repository/refresh`. */
  readonly repositoryRefresher: RepositoryRefresher;
  readonly secrets: SecretBox;
  readonly signoffs: SignoffService;
  readonly deployments: Deployments;
  /** A deployment's event timeline, from its audit records. */
  readonly deploymentTimeline: DeploymentTimeline;
  readonly status: StatusService;
  readonly notifications: Notifications;
  /** Announces committed flag changes in this process and, once started (server.ts), to other replicas. */
  readonly flagFanout: FlagFanout;
  readonly flags: FlagService;
  readonly segments: SegmentService;
  readonly sdkKeys: SdkKeyService;
  /** In-memory rule sets per environment for SDK delivery, SSE streams and OFREP. */
  readonly flagDelivery: FlagDelivery;
  /** SSE heartbeat interval of /api/v1/sdk/stream (tests shorten it). */
  readonly flagStream: { pingIntervalMs: number };
  /** What flags serve one user everywhere, a configuration before it is saved, a flag's history. */
  readonly flagPreview: FlagPreviewService;
  /** The environment badge script (GET /badge.js). */
  readonly badges: BadgeService;
  /** Counts OFREP evaluations in memory and flushes them periodically (stale flag marks). */
  readonly flagEvaluations: FlagEvaluationTracker;
  /** How often a /api/v1/status SSE stream looks for changes nothing woke it for (tests shorten it). */
  readonly statusStream: { pollMs: number };
  /** Progressive rollouts: plans, analysis templates, metric ingestion and the ticker. */
  readonly rollouts: Rollouts;
  /** DORA and quality statistics, bugs, incidents, test runs, compatibility, the release calendar (issue 14). */
  readonly insights: Insights;
  /** The outbound destination policy every sender uses. */
  readonly outbound: OutboundPolicy;
}

/** The one place where stores and services are constructed and wired. */
export function compose(options: CompositionOptions): Services {
  const clock = options.clock ?? systemClock;
  const ids = new IdGenerator(clock, options.random ?? cryptoRandom);
  const outbound = options.outbound ?? DEFAULT_OUTBOUND_POLICY;
  const outbox = new OutboxBus();
  const uow: Uow = new UnitOfWork(options.database.db, createStores, outbox, clock, ids);
  const secrets = new SecretBox(options.secretKey ?? loadOrCreateSecretKey(options.dataDir));
  const repositories = new RepositoryRegistry(options.dataDir, secrets);
  const releaseLocks = new ReleaseLocks(options.database.db, options.database.dialect);
  const repositoryRefresher = new RepositoryRefresher(uow, repositories, {
    intervalMs: options.repositoryRefreshMs ?? 0,
    onError: (error, context) => options.onBackgroundError?.(error, context),
  });
  const releases = new ReleaseService(uow, repositories, ids, releaseLocks, repositoryRefresher);
  repositoryRefresher.afterFetch = (project) => releases.precomputeMergeStatus(project);
  const flagFanout = new FlagFanout((error) => options.onBackgroundError?.(error, 'flag fan-out'));
  const environments = new EnvironmentService(uow, ids, secrets, outbound);
  const projects = new ProjectService(uow, ids, new ReleaseAdoption(repositories, releaseLocks, ids), secrets, outbound);
  const insights = createInsights({
    uow,
    clock,
    ids,
    secrets,
    repositories,
    outbound,
    publicUrl: options.publicUrl ?? 'http://127.0.0.1:4000',
    ...(options.insights && { settings: options.insights }),
    ...(options.onBackgroundError && { onError: options.onBackgroundError }),
  });
  const deployments = createDeployments({
    uow,
    projects,
    repositories,
    secrets,
    ids,
    clock,
    publicUrl: options.publicUrl ?? 'http://127.0.0.1:4000',
    ...(options.deployLeaseMs !== undefined && { leaseMs: options.deployLeaseMs }),
    onError: (error) => options.onBackgroundError?.(error, 'deployment runner'),
    guards: insights.guards,
    outbound,
  });
  const notifications = createNotifications({
    db: options.database.db,
    uow,
    clock,
    ids,
    secrets,
    environments,
    releases,
    outbound,
    publicUrl: options.publicUrl ?? 'http://127.0.0.1:4000',
    ...(options.notifications && { settings: options.notifications }),
    ...(options.onBackgroundError && { onError: options.onBackgroundError }),
  });
  const flagDelivery = new FlagDelivery(uow, flagFanout, (error) => options.onBackgroundError?.(error, 'flag delivery'));
  const sdkKeys = new SdkKeyService(uow, ids, clock, flagFanout, options.random);
  const flags = new FlagService(uow, ids, clock, flagFanout);
  const rollouts = createRollouts({
    uow,
    flags,
    clock,
    ids,
    outbound,
    secrets,
    ...(options.rollouts && { settings: options.rollouts }),
    drivers: [deployments.canaryDriver],
    onError: (error) => options.onBackgroundError?.(error, 'rollout ticker'),
  });
  deployments.canary.rollouts = rollouts.service.canaryRollouts();
  return {
    database: options.database,
    dataDir: options.dataDir,
    clock,
    ids,
    uow,
    outbox,
    auth: new AuthService(uow, clock, ids),
    sessions: new SessionService(uow, clock, ids, { ...DEFAULT_SESSION_SETTINGS, ...options.sessions }),
    publicUrl: options.publicUrl ?? 'http://127.0.0.1:4000',
    environments,
    projects,
    audit: new AuditService(uow),
    repositories,
    releases,
    repositoryRefresher,
    secrets,
    signoffs: new SignoffService(uow, releases, ids),
    deployments,
    deploymentTimeline: new DeploymentTimeline(uow),
    status: new StatusService(uow, clock, options.statusInstancesReuseMs),
    notifications,
    flagFanout,
    flags,
    segments: new SegmentService(uow, ids, flagFanout),
    sdkKeys,
    badges: new BadgeService(uow, sdkKeys.authenticateSdkKey),
    flagDelivery,
    flagPreview: new FlagPreviewService(uow, flagDelivery),
    flagStream: { pingIntervalMs: 15_000 },
    statusStream: { pollMs: 2_000 },
    flagEvaluations: new FlagEvaluationTracker(uow, clock, (error) => options.onBackgroundError?.(error, 'flag evaluation counts')),
    rollouts,
    insights,
    outbound,
  };
}
