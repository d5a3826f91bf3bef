import type { OutboxEvent } from '../outbox/outbox-store.js';
import type { ReleaseNotes } from '../releases/changelog.js';
import { slipwayLink } from './links.js';
import { ROLLOUT_EVENTS, rolloutHeading } from './rollout-messages.js';

/**
 * The one event model every renderer works from. Built from an outbox event, it shows whatever fields
 * the payload has and leaves the rest out, so an event type added later still reads sensibly.
 */
export interface Link {
  name: string;
  url: string;
}

export interface Fact {
  label: string;
  value: string;
}

export type Tone = 'info' | 'success' | 'failure' | 'warning';

/** A flag changed in an environment, as the release email lists it. */
export interface FlagChange {
  flag: string;
  summary: string;
  at: string;
  actor: string | null;
}

/** The curated release notes of a deployment: everything since the version that was there before. */
export interface ReleaseDigest {
  notes: ReleaseNotes;
  /** The version that ran in the environment before, or null for a first deployment. */
  previousVersion: string | null;
  flags: FlagChange[];
  /** One factual sentence or two, e.g. "6/20 deployment of api 1.5.0 to production included fixes to x, y and z." */
  summaryLine: string;
}

export interface Announcement {
  eventId: string;
  type: string;
  at: string;
  project: string | null;
  environment: string | null;
  actor: string | null;
  title: string;
  summary: string | null;
  tone: Tone;
  version: string | null;
  tag: string | null;
  commit: string | null;
  facts: Fact[];
  /** The Slipway page of the thing first, then the environment's dashboards. */
  links: Link[];
  /** Last lines of a failed deployment's log. */
  logLines: string[];
  digest: ReleaseDigest | null;
  payload: Record<string, unknown>;
}

/** What a description needs besides the event: where Slipway is, and what enrichment found. */
export interface DescribeContext {
  publicUrl: string;
  dashboards?: Link[];
  digest?: ReleaseDigest | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null);

/** "1h 2m", "3m 05s", "850 ms". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** Targets arrive as strings or objects ({ key|target|name, status, message }); both read as "eu: succeeded". */
export function formatTargets(value: unknown): string | null {
  if (!Array.isArray(value) || value.length === 0) return null;
  const parts = value.slice(0, 20).map((t) => {
    if (typeof t === 'string') return t;
    if (t && typeof t === 'object') {
      const o = t as Record<string, unknown>;
      const name = str(o.key) ?? str(o.target) ?? str(o.name) ?? '?';
      const status = str(o.status);
      return status ? `${name}: ${status}` : name;
    }
    return String(t);
  });
  return parts.join(', ') + (value.length > 20 ? `, … (${value.length} targets)` : '');
}

function logLinesOf(payload: Record<string, unknown>): string[] {
  const failure = payload.failure && typeof payload.failure === 'object' ? (payload.failure as Record<string, unknown>) : {};
  const raw = payload.logLines ?? payload.lastLogLines ?? payload.logs ?? failure.lastLogLines ?? failure.logLines;
  if (!Array.isArray(raw)) return [];
  return raw
    .map((l) => (typeof l === 'string' ? l : l && typeof l === 'object' ? str((l as Record<string, unknown>).line) ?? JSON.stringify(l) : String(l)))
    .slice(-20);
}

function deploymentId(payload: Record<string, unknown>): string | null {
  return str(payload.deploymentId) ?? str(payload.id) ?? (typeof payload.deployment === 'string' ? payload.deployment : null);
}

function failureTarget(payload: Record<string, unknown>): string | null {
  const failure = payload.failure;
  if (failure && typeof failure === 'object') return str((failure as Record<string, unknown>).target);
  return str(payload.failureTarget) ?? str(payload.failedTarget);
}

function failureReason(payload: Record<string, unknown>): string | null {
  const failure = payload.failure;
  if (failure && typeof failure === 'object') return str((failure as Record<string, unknown>).reason) ?? str((failure as Record<string, unknown>).message);
  return str(payload.failureReason) ?? str(payload.error);
}

const TONES: Record<string, Tone> = {
  'deployment.succeeded': 'success',
  'deployment.failed': 'failure',
  'deployment.rolled_back': 'warning',
  'deployment.cancelled': 'warning',
  'deployment.override_used': 'warning',
  'deployment.rejected': 'failure',
  'deployment.drift_detected': 'warning',
};

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

interface Heading {
  title: string;
  summary: string | null;
  tone?: Tone;
}

/** Title and summary per known type; anything else gets "<Noun> <key> <verb>". */
function heading(event: OutboxEvent, p: Record<string, unknown>): Heading {
  const project = str(p.project) ?? event.projectKey ?? 'a project';
  const env = str(p.environment) ?? event.environmentKey ?? 'an environment';
  const version = str(p.version) ?? '?';
  const what = `${project} ${version}`;
  const reason = str(p.reason);
  if (ROLLOUT_EVENTS.has(event.type)) return rolloutHeading(event, p);
  switch (event.type) {
    case 'release.created':
      return { title: `Release ${what} created`, summary: `${capitalize(str(p.kind) ?? 'release')} ${str(p.tag) ?? version}${str(p.previous) ? ` with ${str(p.commits) ?? 'the'} commits since ${str(p.previous)}` : ''}.` };
    case 'deployment.requested': {
      const missing = Array.isArray(p.approvalsMissing) ? p.approvalsMissing.map(String) : [];
      return { title: `Deployment of ${what} to ${env} requested`, summary: [reason, missing.length > 0 ? `Waiting for approval by: ${missing.join(', ')}.` : null].filter(Boolean).join(' ') || null };
    }
    case 'deployment.started':
      return { title: `Deploying ${what} to ${env}`, summary: reason };
    case 'deployment.succeeded':
      return { title: `${what} deployed to ${env}`, summary: reason };
    case 'deployment.failed': {
      const target = failureTarget(p);
      const why = failureReason(p);
      return { title: `Deployment of ${what} to ${env} failed`, summary: [target ? `Failed on target ${target}` : 'Failed', why ? `: ${why}` : ''].join('') + '.' };
    }
    case 'deployment.rolled_back': {
      const to = str(p.rolledBackTo);
      const targets = Array.isArray(p.rollbackTargets) ? p.rollbackTargets.map(String).join(', ') : null;
      return {
        title: `Deployment of ${what} to ${env} rolled back${to ? ` to ${to}` : ''}`,
        summary: [str(p.rollbackReason) ?? reason, targets ? `Rolled back on ${targets}.` : null].filter(Boolean).join(' ') || null,
      };
    }
    case 'deployment.approved': {
      const by = str(p.approver) ?? str(p.actor) ?? 'someone';
      const missing = Array.isArray(p.approvalsMissing) ? p.approvalsMissing.map(String) : [];
      return { title: `Deployment of ${what} to ${env} approved by ${by}`, summary: missing.length > 0 ? `Still waiting for: ${missing.join(', ')}.` : 'Every approval group is satisfied.' };
    }
    case 'deployment.rejected': {
      const rejection = p.rejection && typeof p.rejection === 'object' ? (p.rejection as Record<string, unknown>) : {};
      return { title: `Deployment of ${what} to ${env} rejected by ${str(rejection.by) ?? str(p.actor) ?? 'someone'}`, summary: str(rejection.comment), tone: 'failure' };
    }
    case 'deployment.cancel_requested':
      return { title: `Stopping the deployment of ${what} to ${env}`, summary: `Cancelled by ${str(p.cancelledBy) ?? str(p.actor) ?? 'someone'}; the targets are told to stop.`, tone: 'warning' };
    case 'deployment.drift_detected': {
      const count = typeof p.driftCount === 'number' ? p.driftCount : Array.isArray(p.instances) ? p.instances.length : 0;
      const versions = Array.isArray(p.versions) ? p.versions.map(String).join(', ') : '?';
      return { title: `Drift in ${project} / ${env}: ${count} instance${count === 1 ? '' : 's'} not running ${str(p.expected) ?? 'the deployed version'}`, summary: `Running instead: ${versions}.`, tone: 'warning' };
    }
    case 'deployment.cancelled':
      return { title: `Deployment of ${what} to ${env} cancelled`, summary: reason };
    case 'deployment.override_used':
      return { title: `Emergency override used to deploy ${what} to ${env}`, summary: str(p.override) ?? str(p.overrideReason) ?? reason };
    case 'signoff.recorded': {
      const decision = str(p.decision) ?? 'recorded';
      return {
        title: `${capitalize(str(p.kind) ?? 'sign-off')} ${decision} for ${what}${str(p.environment) ? ` in ${str(p.environment)}` : ''}`,
        summary: str(p.comment),
        tone: decision === 'go' ? 'success' : decision === 'no-go' ? 'failure' : 'info',
      };
    }
    case 'flag.changed':
      return { title: `Flag ${str(p.flag) ?? '?'} changed in ${project}${str(p.environment) ?? event.environmentKey ? ` / ${env}` : ''}`, summary: str(p.summary) };
    default: {
      const [noun = event.type, ...rest] = event.type.split('.');
      const verb = rest.join(' ').replace(/_/g, ' ') || 'changed';
      const key = str(p[noun]) ?? str(p.key) ?? str(p.name) ?? str(p.username) ?? '';
      return { title: `${capitalize(noun)} ${key}${key ? ' ' : ''}${verb}`.replace(/\s+/g, ' ').trim(), summary: null };
    }
  }
}

function facts(event: OutboxEvent, p: Record<string, unknown>): Fact[] {
  const out: Fact[] = [];
  const add = (label: string, value: string | null | undefined) => {
    if (value) out.push({ label, value });
  };
  add('Project', str(p.project) ?? event.projectKey);
  add('Environment', str(p.environment) ?? event.environmentKey);
  add('Version', str(p.version));
  add('Tag', str(p.tag));
  const commit = str(p.commit);
  add('Commit', commit ? commit.slice(0, 12) : null);
  add('Kind', str(p.kind));
  if (event.type === 'release.created') add('Previous', str(p.previous));
  add('Strategy', str(p.strategy));
  add('Targets', formatTargets(p.targets));
  add('Flag', str(p.flag));
  add('Decision', str(p.decision));
  add('Requested by', str(p.requestedBy) ?? (event.type.startsWith('deployment.') && event.type !== 'deployment.drift_detected' ? str(p.actor) : null));
  if (Array.isArray(p.approvedBy) && p.approvedBy.length > 0) add('Approved by', p.approvedBy.map(String).join(', '));
  else if (typeof p.approvedBy === 'string') add('Approved by', p.approvedBy);
  if (event.type === 'deployment.rolled_back') add('Rolled back to', str(p.rolledBackTo));
  if (event.type === 'deployment.drift_detected' && Array.isArray(p.instances)) {
    add('Instances', p.instances.slice(0, 20).map((i) => { const o = (i ?? {}) as Record<string, unknown>; return `${str(o.instance) ?? '?'}${str(o.target) ? ` (${str(o.target)})` : ''}: ${str(o.version) ?? '?'}`; }).join(', '));
  }
  if (!event.type.startsWith('deployment.')) add('By', str(p.by) ?? str(p.actor));
  add('Why', event.type === 'signoff.recorded' ? null : str(p.reason));
  const override = p.override;
  add('Override', typeof override === 'string' ? override : override && typeof override === 'object' ? str((override as Record<string, unknown>).reason) ?? 'yes' : override === true ? 'yes' : null);
  if (typeof p.durationMs === 'number') add('Duration', formatDuration(p.durationMs));
  const finished = ['deployment.succeeded', 'deployment.failed', 'deployment.rolled_back', 'deployment.cancelled', 'deployment.rejected'].includes(event.type);
  add('Outcome', str(p.outcome) ?? (finished ? event.type.slice('deployment.'.length).replace(/_/g, ' ') : null));
  add('Failed target', failureTarget(p));
  if (Array.isArray(p.tickets) && p.tickets.length > 0) add('Tickets', p.tickets.map(String).slice(0, 50).join(', '));
  if (typeof p.commits === 'number') add('Commits', String(p.commits));
  if (Array.isArray(p.changes) && p.changes.length > 0) add('Changed', p.changes.map(String).join(', '));
  return out;
}

/** Links to Slipway's own resource of the thing the event is about (built by slipwayLink only). */
function ownLink(event: OutboxEvent, p: Record<string, unknown>, publicUrl: string): Link | null {
  const project = str(p.project) ?? event.projectKey;
  if (event.type.startsWith('deployment.')) {
    const id = deploymentId(p);
    if (id) return { name: 'Deployment in Slipway', url: slipwayLink(publicUrl, { kind: 'deployment', id }) };
    if (event.type === 'deployment.drift_detected' && project) return { name: 'Status in Slipway', url: slipwayLink(publicUrl, { kind: 'status', project }) };
  }
  if (project && str(p.version) && (event.type.startsWith('deployment.') || event.type.startsWith('release.') || event.type.startsWith('signoff.'))) {
    return { name: 'Release in Slipway', url: slipwayLink(publicUrl, { kind: 'release', project, version: str(p.version)! }) };
  }
  if (ROLLOUT_EVENTS.has(event.type) && str(p.rolloutId)) return { name: 'Rollout in Slipway', url: slipwayLink(publicUrl, { kind: 'rollout', id: str(p.rolloutId)! }) };
  if (project && str(p.flag)) return { name: 'Flag in Slipway', url: slipwayLink(publicUrl, { kind: 'flag', project, flag: str(p.flag)! }) };
  if (project) return { name: 'Project in Slipway', url: slipwayLink(publicUrl, { kind: 'project', project }) };
  return null;
}

/**
 * A payload may carry its own message (`message: { title, summary, tone, facts }`): events whose
 * wording only their feature knows (test runs, digests, reminders) say it themselves.
 */
function ownMessage(p: Record<string, unknown>): { head: Heading; facts: Fact[] | null } | null {
  const m = p.message;
  if (m === null || typeof m !== 'object' || typeof (m as { title?: unknown }).title !== 'string') return null;
  const o = m as { title: string; summary?: unknown; tone?: unknown; facts?: unknown };
  const tone = typeof o.tone === 'string' && ['info', 'success', 'failure', 'warning'].includes(o.tone) ? (o.tone as Tone) : undefined;
  const facts = Array.isArray(o.facts) ? o.facts.filter((f): f is Fact => f !== null && typeof f === 'object' && typeof (f as Fact).label === 'string' && typeof (f as Fact).value === 'string') : null;
  return { head: { title: o.title, summary: str(o.summary), ...(tone && { tone }) }, facts: facts && facts.length > 0 ? facts : null };
}

/** Builds the announcement of an outbox event. Pure: enrichment (dashboards, release notes) is passed in. */
export function describe(event: OutboxEvent, context: DescribeContext): Announcement {
  const p = event.payload;
  const own = ownMessage(p);
  const head = own?.head ?? heading(event, p);
  const link = ownLink(event, p, context.publicUrl);
  const digest = context.digest ?? null;
  return {
    eventId: event.id,
    type: event.type,
    at: event.createdAt,
    project: str(p.project) ?? event.projectKey,
    environment: str(p.environment) ?? event.environmentKey,
    actor: str(p.actor),
    title: head.title,
    summary: digest ? [digest.summaryLine, head.summary].filter(Boolean).join(' ') : head.summary,
    tone: head.tone ?? TONES[event.type] ?? 'info',
    version: str(p.version),
    tag: str(p.tag),
    commit: str(p.commit),
    facts: own?.facts ?? facts(event, p),
    links: [...(link ? [link] : []), ...(context.dashboards ?? [])],
    logLines: event.type === 'deployment.failed' || event.type === 'deployment.rolled_back' ? logLinesOf(p) : [],
    digest,
    payload: p,
  };
}

/** The event `POST /channels/{id}/test` sends: a made-up successful deployment, marked as a test. */
export function sampleEvent(id: string, at: string): OutboxEvent {
  return {
    id,
    type: 'deployment.succeeded',
    projectKey: 'example',
    environmentKey: 'production',
    createdAt: at,
    payload: {
      test: true,
      project: 'example',
      environment: 'production',
      version: '1.2.3',
      tag: 'v1.2.3',
      commit: '0123456789abcdef0123456789abcdef01234567',
      targets: [{ key: 'default', status: 'succeeded' }],
      requestedBy: 'slipway',
      reason: 'Test message from Slipway: this channel works.',
      durationMs: 42_000,
      outcome: 'succeeded',
      actor: 'slipway',
    },
  };
}
