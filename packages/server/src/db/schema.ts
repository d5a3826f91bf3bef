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
}

export interface EnvironmentTable {
  id: string;
  key: string;
  name: string;
  rank: number;
  protected: number;
  color: string;
  settings: string;
  created_at: string;
  updated_at: string;
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
  created_at: string;
  updated_at: string;
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
}

export interface Database {
  users: UserTable;
  api_tokens: ApiTokenTable;
  audit_log: AuditTable;
  outbox: OutboxTable;
  environments: EnvironmentTable;
  projects: ProjectTable;
  releases: ReleaseTable;
}
