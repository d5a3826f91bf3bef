import { Type, type TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { SecretRequiredError, ValidationError } from '../shared/errors.js';
import { REFUSED_MESSAGE, type OutboundPolicy } from '../shared/outbound-policy.js';

/** Where announcements can go. Slack's incoming-webhook JSON also works for Mattermost and Rocket.Chat. */
export const CHANNEL_TYPES = ['slack', 'webhook', 'email', 'newrelic', 'datadog', 'grafana', 'task'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** Which events go to a channel: `events` patterns (a trailing `*` matches a prefix); absent lists match all. */
export interface Subscription {
  events: string[];
  projects?: string[];
  environments?: string[];
}

/** A channel as the service and the dispatcher see it: `config` holds the secrets too, decrypted, in memory only. */
export interface Channel {
  id: string;
  name: string;
  type: ChannelType;
  config: Record<string, unknown>;
  subscriptions: Subscription[];
  enabled: boolean;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** The marker that stands for a stored secret in every response: secrets are write-only. */
export const SECRET_SET = 'set';

const HttpUrl = Type.String({ pattern: '^https?://[^\\s/?#]+[^\\s]*$', maxLength: 2000, description: 'an http(s) URL' });
const Secret = Type.String({ minLength: 1, maxLength: 4000 });
const Email = Type.String({ pattern: '^[^\\s@<>,]+@[^\\s@<>,]+$', maxLength: 320 });
const From = Type.String({ pattern: '^([^<>]*<[^\\s@<>,]+@[^\\s@<>,]+>|[^\\s@<>,]+@[^\\s@<>,]+)$', maxLength: 400, description: 'an address, or "Name <address>"' });
const HeaderName = '^[A-Za-z0-9!#$%&\'*+.^_`|~-]{1,100}$';

/**
 * Per type: the config schema, the paths of its secrets (write-only, stored sealed) and of its
 * destination (where those secrets are sent: changing it requires sending the secrets again).
 */
const TYPES: Record<ChannelType, { schema: TSchema; secrets: string[]; destination: string[] }> = {
  slack: {
    // An incoming-webhook URL is the credential itself, so it is sealed like a secret.
    schema: Type.Object({ url: HttpUrl }, { additionalProperties: false }),
    secrets: ['url'],
    destination: ['url'],
  },
  webhook: {
    schema: Type.Object(
      {
        url: HttpUrl,
        secret: Type.String({ minLength: 16, maxLength: 1000, description: 'HMAC-SHA256 key of the x-slipway-signature header' }),
        // Header values often carry credentials (Authorization), so they are sealed too.
        headers: Type.Optional(Type.Record(Type.String({ pattern: HeaderName }), Type.String({ maxLength: 4000, pattern: '^[^\\r\\n]*$' }), { maxProperties: 20, additionalProperties: false })),
      },
      { additionalProperties: false },
    ),
    secrets: ['secret', 'headers'],
    destination: ['url'],
  },
  email: {
    schema: Type.Object(
      {
        host: Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9.:\\-\\[\\]]+$' }),
        port: Type.Integer({ minimum: 1, maximum: 65535 }),
        secure: Type.Optional(Type.Boolean({ description: 'true: TLS from the start (port 465); false: STARTTLS when the server offers it' })),
        auth: Type.Optional(Type.Object({ user: Type.String({ minLength: 1, maxLength: 320 }), pass: Secret }, { additionalProperties: false })),
        from: From,
        to: Type.Array(Email, { minItems: 1, maxItems: 100 }),
      },
      { additionalProperties: false },
    ),
    secrets: ['auth.pass'],
    destination: ['host', 'port'],
  },
  newrelic: {
    schema: Type.Object(
      {
        apiKey: Secret,
        entityGuid: Type.String({ minLength: 1, maxLength: 500 }),
        endpoint: Type.Optional(HttpUrl),
      },
      { additionalProperties: false },
    ),
    secrets: ['apiKey'],
    destination: ['endpoint'],
  },
  datadog: {
    schema: Type.Object(
      {
        apiKey: Secret,
        site: Type.Optional(Type.String({ pattern: '^[a-z0-9.-]{3,100}$', description: 'e.g. datadoghq.eu; default datadoghq.com' })),
        endpoint: Type.Optional(HttpUrl),
      },
      { additionalProperties: false },
    ),
    secrets: ['apiKey'],
    destination: ['site', 'endpoint'],
  },
  grafana: {
    schema: Type.Object(
      {
        url: HttpUrl,
        token: Secret,
        dashboardUid: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      },
      { additionalProperties: false },
    ),
    secrets: ['token'],
    destination: ['url'],
  },
  // A tracker: one task per event (e.g. test.failing), from a JSON template (renderers/task.ts).
  task: {
    schema: Type.Object(
      {
        url: HttpUrl,
        preset: Type.Optional(Type.Union([Type.Literal('jira'), Type.Literal('asana'), Type.Literal('linear'), Type.Literal('generic')], { description: 'a ready template; template overrides it' })),
        template: Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Array(Type.Unknown())], { description: 'JSON body with {{placeholders}} (title, summary, text, project, environment, version, link, test.name, params.x, payload.x …)' })),
        params: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9_]{1,50}$' }), Type.String({ maxLength: 500 }), { maxProperties: 30 })),
        headers: Type.Optional(Type.Record(Type.String({ pattern: HeaderName }), Type.String({ maxLength: 4000, pattern: '^[^\\r\\n]*$' }), { maxProperties: 20 })),
        secret: Type.Optional(Type.String({ minLength: 16, maxLength: 1000, description: 'HMAC-SHA256 key of x-slipway-signature (optional)' })),
      },
      { additionalProperties: false },
    ),
    secrets: ['headers', 'secret'],
    destination: ['url'],
  },
};

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new Map<ChannelType, ValidateFunction>();

function problemsOf(errors: ErrorObject[] | null | undefined): Array<{ path: string; message: string }> {
  return (errors ?? []).slice(0, 20).map((e) => {
    const extra = e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : '';
    return { path: `body/config${e.instancePath}`, message: `${e.message ?? 'is invalid'}${extra}` };
  });
}

/** Checks a full config of a type; throws ValidationError (400) naming each problem. */
export function validateConfig(type: ChannelType, config: Record<string, unknown>): void {
  let validate = validators.get(type);
  if (!validate) {
    validate = ajv.compile(TYPES[type].schema);
    validators.set(type, validate);
  }
  if (!validate(config)) {
    const problems = problemsOf(validate.errors);
    throw new ValidationError(`${problems[0]?.path ?? 'body/config'} ${problems[0]?.message ?? 'is invalid'} (a ${type} channel)`, { problems });
  }
  if (type === 'task' && config.template !== undefined && JSON.stringify(config.template).length > 20_000) {
    throw new ValidationError('body/config/template is larger than 20,000 characters of JSON.', { field: 'config.template' });
  }
  if ((type === 'webhook' || type === 'task') && config.headers) {
    const reserved = Object.keys(config.headers as object).find((h) => /^(host|content-type|content-length|transfer-encoding|connection|x-slipway-.*)$/i.test(h));
    if (reserved) throw new ValidationError(`body/config/headers: ${reserved} is set by Slipway and cannot be overridden.`, { header: reserved });
  }
}

function getPath(obj: Record<string, unknown>, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    if (cur[part] === null || typeof cur[part] !== 'object') return;
    cur = cur[part] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Splits a full config into what may be stored in clear and the secrets to seal. */
export function splitSecrets(type: ChannelType, config: Record<string, unknown>): { plain: Record<string, unknown>; secrets: Record<string, unknown> } {
  const plain = clone(config);
  const secrets: Record<string, unknown> = {};
  for (const path of TYPES[type].secrets) {
    const value = getPath(plain, path);
    if (value !== undefined) {
      secrets[path] = value;
      setPath(plain, path, undefined);
    }
  }
  return { plain, secrets };
}

/** The inverse of {@link splitSecrets}. */
export function joinSecrets(plain: Record<string, unknown>, secrets: Record<string, unknown>): Record<string, unknown> {
  const full = clone(plain);
  for (const [path, value] of Object.entries(secrets)) setPath(full, path, value);
  return full;
}

/** The config as responses show it: every secret replaced by `"set"` (header names stay visible). */
export function publicConfig(type: ChannelType, config: Record<string, unknown>): Record<string, unknown> {
  const shown = clone(config);
  for (const path of TYPES[type].secrets) {
    const value = getPath(shown, path);
    if (value === undefined) continue;
    if (path === 'headers' && value && typeof value === 'object') {
      setPath(shown, path, Object.fromEntries(Object.keys(value).map((k) => [k, SECRET_SET])));
    } else {
      setPath(shown, path, SECRET_SET);
    }
  }
  return shown;
}

/**
 * A PATCH of a config: fields given replace the stored ones, secrets left out are kept (they are
 * write-only, so a client that read `"set"` sends the config back without them).
 */
export function mergeConfig(type: ChannelType, stored: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...clone(stored), ...clone(patch) };
  for (const path of TYPES[type].secrets) {
    const given = getPath(patch, path);
    const old = getPath(stored, path);
    if (path === 'headers' && given && typeof given === 'object' && old && typeof old === 'object') {
      const headers = { ...(given as Record<string, unknown>) };
      for (const [k, v] of Object.entries(headers)) if (v === SECRET_SET && k in old) headers[k] = (old as Record<string, unknown>)[k];
      setPath(merged, path, headers);
      continue;
    }
    if ((given === undefined || given === SECRET_SET) && old !== undefined) {
      if (path.includes('.') && getPath(merged, path.split('.')[0]!) === undefined) continue;
      setPath(merged, path, clone(old));
    }
  }
  return merged;
}

/**
 * A PATCH that moves a channel to another destination (URL, host, port) must carry every stored secret
 * again (or drop it): otherwise whoever may edit the channel but never saw its secrets could send them
 * to a server of their own. Throws SecretRequiredError (422) naming the first secret left out.
 */
export function requireSecretsOnNewDestination(type: ChannelType, stored: Record<string, unknown>, patch: Record<string, unknown>, merged: Record<string, unknown>): void {
  const { secrets, destination } = TYPES[type];
  const moved = destination.find((path) => JSON.stringify(getPath(stored, path)) !== JSON.stringify(getPath(merged, path)));
  if (moved === undefined) return;
  for (const path of secrets) {
    if (destination.includes(path) || getPath(stored, path) === undefined) continue;
    const given = getPath(patch, path);
    const resent = path === 'headers' ? given !== null && typeof given === 'object' && !Object.values(given).includes(SECRET_SET) : given !== undefined && given !== SECRET_SET;
    if (!resent) {
      throw new SecretRequiredError(`config.${moved} changes where this channel sends config.${path}: send config.${path} again (or remove it) in the same request.`, { field: `config.${path}`, destination: `config.${moved}` });
    }
  }
}

/** The destination fields of a config that the outbound policy refuses, as validation problems. */
export function destinationProblems(type: ChannelType, config: Record<string, unknown>, policy: OutboundPolicy): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  for (const path of TYPES[type].destination) {
    const value = getPath(config, path);
    if (typeof value !== 'string') continue;
    const problem = path === 'host' ? policy.hostProblem(value) : path === 'site' ? policy.hostProblem(`api.${value}`) : policy.urlProblem(value);
    if (problem) problems.push({ field: `config.${path}`, message: `${REFUSED_MESSAGE}: ${problem}` });
  }
  return problems;
}
