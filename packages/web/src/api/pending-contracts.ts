/**
 * Calls whose server side other engineers are building in parallel (not yet in the OpenAPI
 * document, so not yet in schema.d.ts). Their shapes are the agreed contracts; they live in this
 * one file so adjusting to the shipped API is one edit, and these interfaces are replaced by the
 * generated types once the server publishes them.
 */
import { api, seg } from './client';
import type { ChangelogEntry, DeploymentCreate, ReleaseCreate } from './types';

/** POST …/releases with `dryRun: true`: what a release would be, tagging nothing. */
export interface ReleasePreview {
  version: string;
  tag: string;
  kind: string;
  changelog: ChangelogEntry[];
  tickets: string[];
  ticketLinks?: Array<{ key: string; url: string }>;
  /** The bump rule that decided the version (e.g. "feat → minor"), in whatever words the server gives. */
  rule?: string;
  bump?: string;
  reason?: string;
  previous?: string | null;
  commitCount?: number;
}

export function previewRelease(project: string, body: ReleaseCreate): Promise<ReleasePreview> {
  return api.post<ReleasePreview>(`/api/v1/projects/${seg(project)}/releases`, { ...body, dryRun: true });
}

export interface Refusal {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** POST …/deployments with `dryRun: true`: every guard that would refuse, creating nothing. */
export interface DeployPreflight {
  allowed: boolean;
  refusals: Refusal[];
}

export function preflightDeployment(project: string, body: DeploymentCreate): Promise<DeployPreflight> {
  return api.post<DeployPreflight>(`/api/v1/projects/${seg(project)}/deployments`, { ...body, dryRun: true });
}

/** GET …/environments/{env}/rollback-preview: what a rollback would deploy. */
export interface RollbackPreview {
  from: { version: string; deploymentId?: string } | string | null;
  to: { version: string; deploymentId?: string } | string | null;
  targets: Array<{ key: string; version?: string } | string>;
  notes: unknown;
}

export function rollbackPreview(project: string, environment: string): Promise<RollbackPreview> {
  return api.get<RollbackPreview>(`/api/v1/projects/${seg(project)}/environments/${seg(environment)}/rollback-preview`);
}

export function rejectDeployment(id: string, comment: string): Promise<unknown> {
  return api.post(`/api/v1/deployments/${seg(id)}/reject`, { comment });
}

/** An approval group: N approvals from these roles or users, optionally only for some release kinds. */
export interface ApprovalGroup {
  name: string;
  required: number;
  roles?: string[];
  users?: string[];
  kinds?: string[];
}

/**
 * Environments answer approvals either as the agreed list of groups or, until that ships, as one
 * `{ required, roles }` policy. Both read as groups; `shape` says which one to send back.
 */
export function readApprovals(value: unknown): { shape: 'groups' | 'single'; groups: ApprovalGroup[] } {
  if (Array.isArray(value)) return { shape: 'groups', groups: value as ApprovalGroup[] };
  const single = (value ?? { required: 0, roles: [] }) as { required: number; roles: string[] };
  return { shape: 'single', groups: single.required > 0 ? [{ name: 'approvers', required: single.required, roles: single.roles }] : [] };
}

export function writeApprovals(shape: 'groups' | 'single', groups: ApprovalGroup[]): unknown {
  if (shape === 'groups') return groups;
  const first = groups[0];
  return { required: first?.required ?? 0, roles: first?.roles ?? [] };
}

/** What an approval group of a deployment says about itself, in either shape. */
export interface ApprovalProgress {
  name: string;
  required: number;
  given: Array<{ username: string; role?: string; at?: string; comment?: string }>;
  roles?: string[];
  users?: string[];
}

export function readDeploymentApprovals(value: unknown): ApprovalProgress[] {
  if (Array.isArray(value)) return value as ApprovalProgress[];
  const single = value as { required: number; roles: string[]; given: ApprovalProgress['given'] } | undefined;
  if (!single || single.required === 0) return [];
  return [{ name: 'approvers', required: single.required, roles: single.roles, given: single.given ?? [] }];
}
