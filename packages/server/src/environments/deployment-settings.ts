import { Type, type Static } from '@sinclair/typebox';
import { ROLES, type Role } from '../auth/roles.js';
import { Discriminated, Switch } from '../http/unions.js';
import { SecretRequiredError, ValidationError } from '../shared/errors.js';
import { DEFAULT_OUTBOUND_POLICY, REFUSED_MESSAGE, type OutboundPolicy } from '../shared/outbound-policy.js';
import type { SecretBox } from '../shared/secret-box.js';

/** Deployment settings of an environment, stored in its `settings` JSON column. */
export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];

export interface DeployWindow {
  days: Day[];
  /** HH:MM, local time in `timezone`. */
  start: string;
  /** HH:MM (24:00 allowed). Before start: an overnight window that ends the next day. */
  end: string;
  timezone: string;
}

export interface Freeze {
  from: string;
  to: string;
  reason: string;
}

export type ExecutorConfig =
  | { type: 'record'; timeoutMs?: number }
  | { type: 'command'; command: string[]; timeoutMs?: number }
  /** `secret` is sealed (AES-256-GCM) at rest and never leaves the server. */
  | { type: 'webhook'; url: string; secret: string; timeoutMs?: number };

export interface TargetConfig {
  key: string;
  executor: ExecutorConfig;
}

export type SmokeConfig = { http: { url: string; expectStatus: number; timeoutMs?: number } } | { command: string[]; timeoutMs?: number };

export const RELEASE_KINDS = ['major', 'minor', 'patch', 'hotfix', 'prerelease'] as const;
export type ReleaseKind = (typeof RELEASE_KINDS)[number];

/**
 * One approval group: `required` distinct approvers who hold one of `roles` or are listed in
 * `users`. A group with `kinds` applies only to releases of those kinds. Every group that applies
 * must be satisfied (seed 002: hotfix → senior engineer and security).
 */
export interface ApprovalGroup {
  name: string;
  required: number;
  roles: Role[];
  users: string[];
  kinds?: ReleaseKind[];
}

export interface DeploymentSettings {
  requiredSignoffs: string[];
  approvals: ApprovalGroup[];
  windows: DeployWindow[];
  freezes: Freeze[];
  targets: TargetConfig[];
  smoke: SmokeConfig | null;
  autoRollback: boolean;
  dashboards: Array<{ name: string; url: string }>;
}

export const DEFAULT_TARGET: TargetConfig = { key: 'default', executor: { type: 'record' } };

const Hhmm = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$', description: 'HH:MM, 24-hour clock' });
const HttpUrl = Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2000 });
const TimeoutMs = Type.Integer({ minimum: 100, maximum: 86_400_000 });
const Argv = Type.Array(Type.String({ minLength: 1, maxLength: 4000 }), { minItems: 1, maxItems: 100 });
const SignoffKind = Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' });
const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));

const ExecutorInput = Discriminated('type', [
  Type.Object({ type: Type.Literal('record'), timeoutMs: Type.Optional(TimeoutMs) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('command'), command: Argv, timeoutMs: Type.Optional(TimeoutMs) }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('webhook'),
      url: HttpUrl,
      secret: Type.Optional(Type.String({ minLength: 16, maxLength: 512, description: 'HMAC-SHA256 signing secret; write-only (omit it to keep the current one)' })),
      timeoutMs: Type.Optional(TimeoutMs),
    },
    { additionalProperties: false },
  ),
]);

const SmokeHttp = Type.Object(
  { http: Type.Object({ url: HttpUrl, expectStatus: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })), timeoutMs: Type.Optional(TimeoutMs) }, { additionalProperties: false }) },
  { additionalProperties: false },
);
const SmokeCommand = Type.Object({ command: Argv, timeoutMs: Type.Optional(TimeoutMs) }, { additionalProperties: false });
// Told apart by which of `http` and `command` is present; null turns the smoke check off.
const SmokeInput = Switch<Static<typeof SmokeHttp> | Static<typeof SmokeCommand> | null>(
  [
    { when: { type: 'null' }, then: Type.Null() },
    { when: { type: 'object', required: ['http'] }, then: SmokeHttp },
  ],
  SmokeCommand,
  { description: '{ "http": { "url", "expectStatus"? } } or { "command": [argv] }, or null' },
);

const GroupName = Type.String({ pattern: '^[a-z0-9][a-z0-9 _-]{0,62}$', description: 'e.g. security, senior-engineers' });
const ApprovalGroupInput = Type.Object(
  {
    name: GroupName,
    required: Type.Integer({ minimum: 1, maximum: 10 }),
    roles: Type.Optional(Type.Array(RoleSchema, { maxItems: 5, uniqueItems: true })),
    users: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100, uniqueItems: true })),
    kinds: Type.Optional(Type.Array(Type.Union(RELEASE_KINDS.map((k) => Type.Literal(k))), { minItems: 1, maxItems: 5, uniqueItems: true })),
  },
  { additionalProperties: false },
);
const LegacyApprovals = Type.Object({ required: Type.Integer({ minimum: 0, maximum: 10 }), roles: Type.Array(RoleSchema, { maxItems: 5, uniqueItems: true }) }, { additionalProperties: false });
const ApprovalsInput = Switch<Array<Static<typeof ApprovalGroupInput>> | Static<typeof LegacyApprovals> | null>(
  [
    { when: { type: 'null' }, then: Type.Null() },
    { when: { type: 'array' }, then: Type.Array(ApprovalGroupInput, { maxItems: 20 }) },
  ],
  LegacyApprovals,
  { description: 'a list of groups [{ name, required, roles?, users?, kinds? }] that must all be satisfied; the old { required, roles } is one group; null: none' },
);

/** The deployment-settings fields a PATCH /environments/{env} may carry. */
export const SettingsInputFields = {
  requiredSignoffs: Type.Optional(Type.Array(SignoffKind, { maxItems: 20, uniqueItems: true })),
  approvals: Type.Optional(ApprovalsInput),
  windows: Type.Optional(
    Type.Array(
      Type.Object(
        { days: Type.Array(Type.Union(DAYS.map((d) => Type.Literal(d))), { minItems: 1, maxItems: 7, uniqueItems: true }), start: Hhmm, end: Hhmm, timezone: Type.String({ minLength: 1, maxLength: 64 }) },
        { additionalProperties: false },
      ),
      { maxItems: 50 },
    ),
  ),
  freezes: Type.Optional(
    Type.Array(Type.Object({ from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }), reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }), {
      maxItems: 100,
    }),
  ),
  targets: Type.Optional(
    Type.Array(Type.Object({ key: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }), executor: ExecutorInput }, { additionalProperties: false }), { maxItems: 50 }),
  ),
  smoke: Type.Optional(SmokeInput),
  autoRollback: Type.Optional(Type.Boolean()),
  dashboards: Type.Optional(Type.Array(Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), url: HttpUrl }, { additionalProperties: false }), { maxItems: 20 })),
};

const SettingsInputObject = Type.Object(SettingsInputFields);
export type SettingsInput = Static<typeof SettingsInputObject>;

/** The settings as the API shows them: webhook secrets replaced by `hasSecret`. */
export const SettingsResponseFields = {
  requiredSignoffs: Type.Array(Type.String()),
  approvals: Type.Array(
    Type.Object({ name: Type.String(), required: Type.Integer(), roles: Type.Array(Type.String()), users: Type.Array(Type.String()), kinds: Type.Optional(Type.Array(Type.String())) }),
  ),
  windows: Type.Array(Type.Object({ days: Type.Array(Type.String()), start: Type.String(), end: Type.String(), timezone: Type.String() })),
  freezes: Type.Array(Type.Object({ from: Type.String(), to: Type.String(), reason: Type.String() })),
  targets: Type.Array(
    Type.Object({
      key: Type.String(),
      executor: Type.Object({
        type: Type.String(),
        url: Type.Optional(Type.String()),
        command: Type.Optional(Type.Array(Type.String())),
        timeoutMs: Type.Optional(Type.Integer()),
        hasSecret: Type.Optional(Type.Boolean()),
      }),
    }),
  ),
  smoke: Type.Union([Type.Object({ http: Type.Optional(Type.Object({ url: Type.String(), expectStatus: Type.Integer(), timeoutMs: Type.Optional(Type.Integer()) })), command: Type.Optional(Type.Array(Type.String())), timeoutMs: Type.Optional(Type.Integer()) }), Type.Null()]),
  autoRollback: Type.Boolean(),
  dashboards: Type.Array(Type.Object({ name: Type.String(), url: Type.String() })),
};

export const SETTINGS_KEYS = Object.keys(SettingsInputFields) as Array<keyof SettingsInput>;

/** Reads stored settings, filling defaults (an environment made before this feature has `{}`). */
export function readSettings(stored: Record<string, unknown>): DeploymentSettings {
  const s = stored as Partial<DeploymentSettings>;
  return {
    requiredSignoffs: s.requiredSignoffs ?? [],
    approvals: readApprovals(s.approvals as unknown),
    windows: s.windows ?? [],
    freezes: s.freezes ?? [],
    targets: s.targets ?? [],
    smoke: s.smoke ?? null,
    autoRollback: s.autoRollback ?? false,
    dashboards: s.dashboards ?? [],
  };
}

/** Groups from what is stored (or sent): the old single policy `{ required, roles }` is one group. */
export function readApprovals(value: unknown): ApprovalGroup[] {
  if (Array.isArray(value)) {
    return (value as Array<Partial<ApprovalGroup> & { name: string; required: number }>).map((g) => ({
      name: g.name,
      required: g.required,
      roles: (g.roles ?? []) as Role[],
      users: g.users ?? [],
      ...(g.kinds && { kinds: g.kinds }),
    }));
  }
  if (value && typeof value === 'object') {
    const old = value as { required?: number; roles?: Role[] };
    return (old.required ?? 0) > 0 ? [{ name: 'approvers', required: old.required!, roles: old.roles ?? [], users: [] }] : [];
  }
  return [];
}

/** The groups that apply to a release of `kind` (groups without `kinds` apply to every release). */
export function groupsFor(groups: ApprovalGroup[], kind: string): ApprovalGroup[] {
  return groups.filter((g) => g.kinds === undefined || g.kinds.includes(kind as ReleaseKind));
}

/** The targets a deployment goes to: the configured ones, or one `default` target that records. */
export function effectiveTargets(settings: DeploymentSettings): TargetConfig[] {
  return settings.targets.length > 0 ? settings.targets : [DEFAULT_TARGET];
}

export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Applies a PATCH to stored settings: checks what a schema cannot (time zones, start < end,
 * from < to, unique target keys, approvers), seals new webhook secrets and keeps the current
 * secret of a webhook target when the PATCH omits it.
 */
export function applySettings(current: DeploymentSettings, input: SettingsInput, box: SecretBox, outbound: OutboundPolicy = DEFAULT_OUTBOUND_POLICY): DeploymentSettings {
  const problems: Array<{ field: string; message: string }> = [];
  const next: DeploymentSettings = { ...current };
  if (input.requiredSignoffs !== undefined) next.requiredSignoffs = input.requiredSignoffs;
  if (input.approvals !== undefined) {
    next.approvals = readApprovals(input.approvals);
    const names = new Set<string>();
    next.approvals.forEach((g, i) => {
      if (names.has(g.name)) problems.push({ field: `approvals/${i}/name`, message: `group ${g.name} appears twice` });
      names.add(g.name);
      if (g.roles.length === 0 && g.users.length === 0) problems.push({ field: `approvals/${i}/roles`, message: `group ${g.name}: name at least one role or user that may approve` });
    });
  }
  if (input.windows !== undefined) {
    input.windows.forEach((w, i) => {
      if (!isKnownTimeZone(w.timezone)) problems.push({ field: `windows/${i}/timezone`, message: `unknown time zone ${JSON.stringify(w.timezone)}; use an IANA name such as Europe/Paris` });
      // start > end is one overnight window (22:00–02:00); only an empty one is refused.
      if (w.start === w.end) problems.push({ field: `windows/${i}`, message: `start and end are both ${w.start}: a window needs a length (an overnight window ends before it starts, e.g. 22:00–02:00)` });
    });
    next.windows = input.windows.map((w) => ({ days: w.days as Day[], start: w.start, end: w.end, timezone: w.timezone }));
  }
  if (input.freezes !== undefined) {
    input.freezes.forEach((f, i) => {
      if (!(Date.parse(f.from) < Date.parse(f.to))) problems.push({ field: `freezes/${i}`, message: 'from must be before to' });
    });
    next.freezes = input.freezes.map((f) => ({ from: new Date(f.from).toISOString(), to: new Date(f.to).toISOString(), reason: f.reason }));
  }
  if (input.targets !== undefined) {
    const seen = new Set<string>();
    next.targets = input.targets.map((t, i) => {
      if (seen.has(t.key)) problems.push({ field: `targets/${i}/key`, message: `target ${t.key} appears twice` });
      seen.add(t.key);
      const e = t.executor;
      if (e.type !== 'webhook') return { key: t.key, executor: { ...e } as ExecutorConfig };
      const previous = current.targets.find((p) => p.key === t.key)?.executor;
      const refused = outbound.urlProblem(e.url);
      if (refused) problems.push({ field: `targets/${i}/executor/url`, message: `${REFUSED_MESSAGE}: ${refused}` });
      // The stored secret signs requests to the stored URL only: a new URL needs the secret sent again.
      if (e.secret === undefined && previous?.type === 'webhook' && previous.url !== e.url) {
        throw new SecretRequiredError(`targets/${i}/executor/url changes where target ${t.key} sends its signed requests: send targets/${i}/executor/secret again in the same request.`, {
          field: `targets/${i}/executor/secret`,
        });
      }
      let secret = e.secret === undefined ? undefined : box.encrypt(e.secret);
      if (secret === undefined && previous?.type === 'webhook') secret = previous.secret;
      if (secret === undefined) {
        problems.push({ field: `targets/${i}/executor/secret`, message: 'a webhook target needs a secret (at least 16 characters) to sign its requests' });
        secret = '';
      }
      return { key: t.key, executor: { type: 'webhook', url: e.url, secret, ...(e.timeoutMs !== undefined && { timeoutMs: e.timeoutMs }) } };
    });
  }
  if (input.smoke !== undefined) {
    const s = input.smoke;
    if (s !== null && 'http' in s) {
      const refused = outbound.urlProblem(s.http.url);
      if (refused) problems.push({ field: 'smoke/http/url', message: `${REFUSED_MESSAGE}: ${refused}` });
    }
    next.smoke = s === null ? null : 'http' in s ? { http: { url: s.http.url, expectStatus: s.http.expectStatus ?? 200, ...(s.http.timeoutMs !== undefined && { timeoutMs: s.http.timeoutMs }) } } : { ...s };
  }
  if (input.autoRollback !== undefined) next.autoRollback = input.autoRollback;
  if (input.dashboards !== undefined) next.dashboards = input.dashboards;
  if (problems.length > 0) throw new ValidationError(`${problems[0]!.field}: ${problems[0]!.message}`, { field: problems[0]!.field, problems });
  return next;
}

/** Settings as the API returns them: never a webhook secret. */
export function presentSettings(settings: DeploymentSettings) {
  return {
    ...settings,
    targets: settings.targets.map((t) => ({
      key: t.key,
      executor: t.executor.type === 'webhook' ? { type: 'webhook', url: t.executor.url, hasSecret: t.executor.secret !== '', ...(t.executor.timeoutMs !== undefined && { timeoutMs: t.executor.timeoutMs }) } : t.executor,
    })),
  };
}

/** What the audit log keeps of settings: sealed secrets are replaced by a marker. */
export function redactSettings(stored: Record<string, unknown>): Record<string, unknown> {
  const s = readSettings(stored);
  return { ...stored, ...(Array.isArray(stored.targets) && { targets: presentSettings(s).targets }) };
}
