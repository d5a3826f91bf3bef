import type { Generated } from 'kysely';
import type { InsightsTables } from './insights-schema.js';

/**
 * Row types of every table. Timestamps are ISO-8601 UTC strings (they sort as text in both
 * dialects), booleans are 0/1 integers and JSON is stored as text: one migration source, no
 * dialect-specific column types (docs/decisions/0002-portable-columns.md).
 */
export interface UserTable {
  id: string;
  username: string;
  display_name: string;
  email: string | null;
  role: string;
  password_hash: string | null;
  disabled: number;
  created_at: string;
  updated_at: string;
}

export interface ApiTokenTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  role: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

export interface AuditTable {
  id: string;
  at: string;
  actor_id: string | null;
  actor_name: string;
  action: string;
  resource_type: string;
  resource_id: string;
  before: string | null;
  after: string | null;
  request_id: string | null;
}

export interface OutboxTable {
  id: string;
  type: string;
  payload: string;
  project_key: string | null;
  environment_key: string | null;
  created_at: string;
  /** Set once the notifications dispatcher has fanned the event out into deliveries (0005). */
  dispatched_at: string | null;
}

export interface EnvironmentTable {
  id: string;
  key: string;
  name: string;
  rank: number;
  protected: number;
  color: string;
  settings: string;
  /** 1 for production-marked environments (0008): the environment badge draws nothing there. */
  production: number;
  /** Who may load the environment badge: public, key (an SDK key of the project and environment) or off (0008). */
  badge: string;
  created_at: string;
  updated_at: string;
  /** Counted up by every write; the ETag of PATCH (0011). */
  version: Generated<number>;
}

export interface ProjectTable {
  id: string;
  key: string;
  name: string;
  repository: string;
  tag_template: string;
  ticket_pattern: string;
  lifecycle: string | null;
  hotfix_lifecycle: string | null;
  initial_version: string;
  /** JSON list of release rules; null while the project follows the defaults. */
  release_rules: string | null;
  created_at: string;
  updated_at: string;
  /** Link template for ticket keys, e.g. https://tracker.example.com/browse/{ticket} (0008). */
  ticket_url: string | null;
  /** Sealed (SecretBox) `{ username, password }` of an http(s) repository; the URL keeps `***` (0012). */
  repository_credentials: string | null;
}

export interface ReleaseTable {
  id: string;
  project_id: string;
  version: string;
  tag: string;
  commit_sha: string;
  kind: string;
  parent_version: string | null;
  previous_version: string | null;
  ref: string;
  changelog: string;
  tickets: string;
  idempotency_key: string | null;
  created_by: string;
  created_at: string;
  /** Set when the release was adopted from an existing tag. */
  imported_at: string | null;
}

export interface SignoffTable {
  id: string;
  project_id: string;
  version: string;
  environment_key: string | null;
  kind: string;
  decision: string;
  comment: string;
  created_by: string;
  created_at: string;
}

export interface DeploymentTable {
  id: string;
  project_id: string;
  project_key: string;
  environment_key: string;
  version: string;
  tag: string;
  commit_sha: string;
  kind: string;
  rollback_of: string | null;
  status: string;
  phase: string;
  reason: string | null;
  override_reason: string | null;
  overridden: string;
  requested_by: string;
  requested_by_id: string | null;
  approvals_required: number;
  approval_roles: string;
  smoke: string | null;
  auto_rollback: number;
  callback_token_hash: string;
  failure_reason: string | null;
  failure_target: string | null;
  in_flight_key: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  next_check_at: string | null;
  wake: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
  approval_groups: string;
  stop_reason: string | null;
  rejected_by: string | null;
  release_kind: string | null;
  /** Canary deployments: CanaryState as JSON (0013). */
  canary: string | null;
}

export interface DeploymentTargetTable {
  deployment_id: string;
  target_key: string;
  position: number;
  executor: string;
  status: string;
  message: string | null;
  deadline_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  stop_requested_at: string | null;
}

export interface DeploymentApprovalTable {
  deployment_id: string;
  user_key: string;
  username: string;
  role: string;
  created_at: string;
}

export interface DeploymentLogTable {
  id: string;
  deployment_id: string;
  target_key: string | null;
  stream: string;
  line: string;
  at: string;
}

export interface DeploymentStateTable {
  project_id: string;
  environment_key: string;
  current: string | null;
  previous: string | null;
  in_flight: string | null;
  targets: string;
  current_version: string | null;
  targets_differ: number;
  updated_at: string;
  drift_announced: string | null;
  row_revision: number;
}

export interface StatusRevisionTable {
  id: number;
  revision: number;
}

export interface HeartbeatTable {
  project_id: string;
  environment_key: string;
  instance: string;
  target_key: string | null;
  version: string;
  seen_at: string;
  reporter: string;
}

export interface NotificationChannelTable {
  id: string;
  name: string;
  type: string;
  config: string;
  secrets: string;
  subscriptions: string;
  enabled: number;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface NotificationDeliveryTable {
  id: string;
  event_id: string;
  event_type: string;
  project_key: string | null;
  environment_key: string | null;
  channel_id: string;
  channel_name: string;
  channel_type: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  give_up_at: string;
  lease_token: string | null;
  lease_until: string | null;
  last_error: string | null;
  last_status_code: number | null;
  delivered_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface NotificationAttemptTable {
  id: string;
  delivery_id: string;
  attempt: number;
  started_at: string;
  duration_ms: number;
  ok: number;
  status_code: number | null;
  error: string | null;
}

export interface FlagTable {
  id: string;
  project_id: string;
  key: string;
  name: string;
  description: string;
  kind: string;
  variants: string;
  owner: string | null;
  tags: string;
  archived: number;
  created_by: string;
  created_at: string;
  updated_at: string;
  /** Counted up by every write; the ETag of PATCH (0011). */
  version: Generated<number>;
}

export interface FlagEnvironmentTable {
  flag_id: string;
  environment_key: string;
  config: string;
  updated_by: string;
  updated_at: string;
}

export interface SegmentTable {
  id: string;
  project_id: string;
  key: string;
  name: string;
  description: string;
  conditions: string;
  created_at: string;
  updated_at: string;
  /** Counted up by every write; the ETag of PATCH (0011). */
  version: Generated<number>;
}

export interface SdkKeyTable {
  id: string;
  project_id: string;
  project_key: string;
  environment_key: string;
  kind: string;
  name: string;
  key_hash: string;
  prefix: string;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
}

export interface FlagVersionTable {
  project_key: string;
  environment_key: string;
  version: number;
}

export interface FlagChangeTable {
  project_key: string;
  environment_key: string;
  version: number;
  patch: string;
  created_at: string;
}

export interface WebSessionTable {
  id: string;
  user_id: string;
  token_hash: string;
  address: string | null;
  user_agent: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ended_at: string | null;
  end_reason: string | null;
}

export interface LoginThrottleTable {
  key: string;
  failures: number;
  last_failure_at: string;
  locked_until: string | null;
}

export interface FlagEvaluationTable {
  project_key: string;
  environment_key: string;
  flag_key: string;
  last_evaluated_at: string;
  evaluations: number;
}

/** Rollouts (0010): the engine's state as JSON, and the columns the ticker claims and lists on. */
export interface RolloutTable {
  id: string;
  project_id: string;
  project_key: string;
  environment_key: string;
  target_kind: string;
  target: string;
  plan_name: string | null;
  spec: string;
  state: string;
  status: string;
  step_index: number;
  weight: number;
  revision: number;
  active_key: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  next_check_at: string | null;
  last_error: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface RolloutDecisionTable {
  id: string;
  rollout_id: string;
  at: string;
  type: string;
  step_index: number;
  weight: number;
  message: string;
  data: string | null;
  actor: string;
}

export interface RolloutMeasurementTable {
  id: string;
  rollout_id: string;
  run_id: string;
  metric: string;
  seq: number;
  at: string;
  phase: string;
  value: number | null;
  baseline: number | null;
  message: string | null;
  data: string | null;
}

/** Analysis templates and rollout plans per project (the same shape: a named JSON body). */
export interface NamedBodyTable {
  id: string;
  project_id: string;
  name: string;
  body: string;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/** Ingested request metrics per minute; b0…b11 count latencies per bucket (rollouts/metric-store.ts). */
export interface MetricPointTable {
  project_key: string;
  environment_key: string;
  minute: string;
  version: string;
  flag: string;
  variant: string;
  requests: number | string;
  errors: number | string;
  latency_count: number | string;
  latency_sum: number;
  b0: number | string;
  b1: number | string;
  b2: number | string;
  b3: number | string;
  b4: number | string;
  b5: number | string;
  b6: number | string;
  b7: number | string;
  b8: number | string;
  b9: number | string;
  b10: number | string;
  b11: number | string;
}

export interface Database {
  users: UserTable;
  api_tokens: ApiTokenTable;
  audit_log: AuditTable;
  outbox: OutboxTable;
  environments: EnvironmentTable;
  projects: ProjectTable;
  releases: ReleaseTable;
  flags: FlagTable;
  flag_environments: FlagEnvironmentTable;
  segments: SegmentTable;
  sdk_keys: SdkKeyTable;
  flag_versions: FlagVersionTable;
  flag_changes: FlagChangeTable;
  signoffs: SignoffTable;
  deployments: DeploymentTable;
  deployment_targets: DeploymentTargetTable;
  deployment_approvals: DeploymentApprovalTable;
  deployment_logs: DeploymentLogTable;
  deployment_state: DeploymentStateTable;
  heartbeats: HeartbeatTable;
  status_revision: StatusRevisionTable;
  notification_channels: NotificationChannelTable;
  notification_deliveries: NotificationDeliveryTable;
  notification_attempts: NotificationAttemptTable;
  web_sessions: WebSessionTable;
  login_throttle: LoginThrottleTable;
  flag_evaluations: FlagEvaluationTable;
  rollouts: RolloutTable;
  rollout_decisions: RolloutDecisionTable;
  rollout_measurements: RolloutMeasurementTable;
  analysis_templates: NamedBodyTable;
  rollout_plans: NamedBodyTable;
  metric_points: MetricPointTable;
}

// Insights (0009): the row types live in insights-schema.ts; interface merging adds them here.
export interface Database extends InsightsTables {}
