/**
 * Row types of the insights tables (migration 0009): bugs, incidents, test runs, schedules,
 * requirements, the calendar, job markers and the durable outbox cursor. Same conventions as
 * schema.ts (ISO-8601 UTC text timestamps, 0/1 booleans, JSON as text); merged into `Database` there.
 */
export interface BugTable {
  id: string;
  project_id: string;
  project_key: string;
  title: string;
  ticket: string | null;
  severity: string;
  found_in: string;
  version: string | null;
  regression: number;
  found_at: string;
  source: string;
  fixed_in: string | null;
  fixed_at: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface IncidentTable {
  id: string;
  project_id: string | null;
  project_key: string | null;
  environment_key: string;
  title: string;
  severity: string | null;
  deployment_id: string | null;
  version: string | null;
  opened_at: string;
  resolved_at: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface InsightLeadTimeTable {
  deployment_id: string;
  project_id: string;
  environment_key: string;
  version: string;
  finished_at: string;
  first_of_version: number;
  commits: number;
  features: number;
  lead_seconds: string;
}

export interface TestRunTable {
  id: string;
  project_id: string;
  project_key: string;
  environment_key: string | null;
  version: string | null;
  suite: string;
  source: string;
  status: string;
  total: number;
  failed: number;
  errors: number;
  skipped: number;
  flaky: number;
  duration_ms: number;
  message: string | null;
  schedule_id: string | null;
  deployment_id: string | null;
  executor: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  deadline_at: string | null;
  next_check_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface TestFailureTable {
  id: string;
  run_id: string;
  test_key: string;
  suite: string;
  classname: string;
  name: string;
  kind: string;
  message: string | null;
  detail: string | null;
  duration_ms: number | null;
}

export interface FailingTestTable {
  project_id: string;
  environment_key: string;
  test_key: string;
  suite: string;
  name: string;
  message: string | null;
  since_run_id: string;
  since_at: string;
  last_run_id: string;
}

export interface TestScheduleTable {
  id: string;
  project_id: string;
  project_key: string;
  environment_key: string;
  name: string;
  cron: string;
  timezone: string;
  suite: string;
  executor: string;
  timeout_ms: number;
  enabled: number;
  next_fire_at: string | null;
  last_fired_at: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface TestGateTable {
  environment_key: string;
  suite: string;
  source_environment: string | null;
  updated_by: string;
  updated_at: string;
}

export interface ProjectRequirementTable {
  project_id: string;
  version: string;
  requires_project: string;
  version_range: string;
  source: string;
  created_at: string;
}

export interface ReleaseRequirementSourceTable {
  project_id: string;
  version: string;
  source: string;
  file: string | null;
  note: string | null;
  read_at: string;
}

export interface CalendarScheduleTable {
  id: string;
  project_id: string | null;
  project_key: string | null;
  name: string;
  kind: string;
  rrule: string;
  starts_at: string;
  timezone: string;
  duration_minutes: number;
  remind_minutes: number | null;
  description: string;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface CalendarTokenTable {
  id: string;
  name: string;
  token_hash: string;
  prefix: string;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
}

export interface JobFireTable {
  job_key: string;
  fire_at: string;
  fired_at: string;
}

export interface OutboxConsumerTable {
  name: string;
  position: string;
  updated_at: string;
}

export interface OutboxConsumedTable {
  consumer: string;
  event_id: string;
}

export interface InsightSettingTable {
  key: string;
  value: string;
  updated_by: string;
  updated_at: string;
}

export interface InsightsTables {
  bugs: BugTable;
  incidents: IncidentTable;
  insight_lead_times: InsightLeadTimeTable;
  test_runs: TestRunTable;
  test_failures: TestFailureTable;
  failing_tests: FailingTestTable;
  test_schedules: TestScheduleTable;
  test_gates: TestGateTable;
  project_requirements: ProjectRequirementTable;
  release_requirement_sources: ReleaseRequirementSourceTable;
  calendar_schedules: CalendarScheduleTable;
  calendar_tokens: CalendarTokenTable;
  job_fires: JobFireTable;
  outbox_consumers: OutboxConsumerTable;
  outbox_consumed: OutboxConsumedTable;
  insight_settings: InsightSettingTable;
}
