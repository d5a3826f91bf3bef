import { ValidationError } from '../shared/errors.js';

/**
 * How a tracker's issue-created webhook becomes a bug. Each field is a path into the payload
 * (`issue.fields.priority.name`, numeric segments index arrays) or an object with the path, a value
 * map, a default, and for booleans the value a list must contain. The defaults read Jira's
 * `jira:issue_created` payload.
 */
export type FieldSpec = string | { from?: string; map?: Record<string, string>; default?: string; contains?: string };

export interface IntakeMapping {
  /** Webhook event names that create bugs (`webhookEvent` in Jira's payload); others are acknowledged and ignored. */
  events: string[];
  eventField: string;
  project: FieldSpec;
  title: FieldSpec;
  ticket: FieldSpec;
  severity: FieldSpec;
  foundIn: FieldSpec;
  version: FieldSpec;
  regression: FieldSpec;
  foundAt: FieldSpec;
}

export const DEFAULT_INTAKE: IntakeMapping = {
  events: ['jira:issue_created'],
  eventField: 'webhookEvent',
  project: { from: 'issue.fields.project.key' },
  title: 'issue.fields.summary',
  ticket: 'issue.key',
  severity: { from: 'issue.fields.priority.name', map: { Highest: 'critical', Blocker: 'critical', Critical: 'critical', High: 'high', Major: 'high', Medium: 'medium', Low: 'low', Lowest: 'low', Minor: 'low', Trivial: 'low' }, default: 'medium' },
  foundIn: {
    from: 'issue.fields.environment',
    map: { staging: 'staging', stage: 'staging', 'release-candidate': 'release-candidate', rc: 'release-candidate', alpha: 'alpha', beta: 'beta', 'push-to-production': 'push-to-production', production: 'production', prod: 'production' },
    default: 'production',
  },
  version: { from: 'issue.fields.versions.0.name' },
  regression: { from: 'issue.fields.labels', contains: 'regression' },
  foundAt: { from: 'issue.fields.created' },
};

const PATH = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+){0,19}$/;

/** Reads a dotted path; numeric segments index arrays. */
export function readPath(payload: unknown, path: string): unknown {
  let cur: unknown = payload;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined) return undefined;
    if (Array.isArray(cur)) cur = /^\d+$/.test(part) ? cur[Number(part)] : undefined;
    else if (typeof cur === 'object') cur = Object.prototype.hasOwnProperty.call(cur, part) ? (cur as Record<string, unknown>)[part] : undefined;
    else return undefined;
  }
  return cur;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : v && typeof v === 'object' && typeof (v as { value?: unknown }).value === 'string' ? (v as { value: string }).value : v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string' ? (v as { name: string }).name : undefined);

/** Applies one field spec: the raw value (mapped when a map has it), else the default. */
export function mapField(payload: unknown, spec: FieldSpec): string | undefined {
  if (typeof spec === 'string') return text(readPath(payload, spec));
  const raw = spec.from !== undefined ? readPath(payload, spec.from) : undefined;
  if (spec.contains !== undefined) {
    const list = Array.isArray(raw) ? raw.map(text) : [text(raw)];
    return list.some((v) => v !== undefined && v.toLowerCase() === spec.contains!.toLowerCase()) ? 'true' : 'false';
  }
  const value = text(raw);
  if (value !== undefined && spec.map !== undefined) {
    const key = Object.keys(spec.map).find((k) => k.toLowerCase() === value.trim().toLowerCase());
    return key !== undefined ? spec.map[key] : (spec.default ?? value);
  }
  return value ?? spec.default;
}

/** Checks a mapping given by PUT /bugs/intake (paths only; values are checked per bug). */
export function validateMapping(m: IntakeMapping): void {
  const problems: Array<{ field: string; message: string }> = [];
  const check = (field: string, spec: FieldSpec) => {
    const path = typeof spec === 'string' ? spec : spec.from;
    if (path !== undefined && !PATH.test(path)) problems.push({ field: `mapping.${field}`, message: `"${path}" is not a dotted path such as issue.fields.priority.name` });
    if (typeof spec !== 'string' && spec.from === undefined && spec.default === undefined) problems.push({ field: `mapping.${field}`, message: 'give a path (from) or a default' });
  };
  for (const key of ['project', 'title', 'ticket', 'severity', 'foundIn', 'version', 'regression', 'foundAt'] as const) check(key, m[key]);
  if (!PATH.test(m.eventField)) problems.push({ field: 'mapping.eventField', message: 'must be a dotted path' });
  if (problems.length > 0) throw new ValidationError(`${problems[0]!.field}: ${problems[0]!.message}`, { problems });
}

/** Jira writes offsets as +0100; Date.parse wants +01:00. */
export function normaliseTimestamp(value: string): string {
  return value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
}
