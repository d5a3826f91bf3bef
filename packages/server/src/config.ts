import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SessionSettings } from './auth/session-service.js';
import { parseOutboundRule, type OutboundRule } from './shared/outbound-policy.js';
import { parseSecretKey } from './shared/secret-box.js';

/** The validated, frozen configuration of one server process. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** `sqlite` unless DATABASE_URL names a PostgreSQL database. */
  readonly database: { readonly dialect: 'sqlite'; readonly file: string } | { readonly dialect: 'postgres'; readonly url: string };
  readonly bootstrapToken: string | null;
  /** On first start, the password of the `admin` user; null: a random one is printed once. */
  readonly bootstrapPassword: string | null;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly publicUrl: string;
  readonly redisUrl: string | null;
  readonly shutdownTimeoutMs: number;
  /** 32-byte AES key for stored secrets; null: `<dataDir>/secret.key`, created on first start. */
  readonly secretKey: Buffer | null;
  /** How long a server holds a deployment it works on before another may take it over. */
  readonly deployLeaseMs: number;
  /** How often the server fetches every project's repository in the background (0: never). */
  readonly repositoryRefreshMs: number;
  /** How long the status matrix reuses the running instances it read (0: read them for every answer). */
  readonly statusInstancesReuseMs: number;
  /** Notification deliveries: exponential backoff from retry.baseMs to retry.maxMs, given up after retry.giveUpMs. */
  readonly notifications: {
    readonly retry: { readonly baseMs: number; readonly maxMs: number; readonly giveUpMs: number };
    readonly leaseMs: number;
    readonly timeoutMs: number;
    readonly pollMs: number;
  };
  /** Browser sessions of the web app and the failed sign-in throttle. */
  readonly sessions: SessionSettings;
  /** The built web app served at `/` (packages/web/dist). */
  readonly webDir: string;
  /** Fastify's trustProxy: which proxies' X-Forwarded-For to believe for the client address. */
  readonly trustProxy: boolean | number | string[];
  /** Rollouts: ticker lease and poll interval, and how long ingested metrics are kept. */
  readonly rollouts: { readonly leaseMs: number; readonly pollMs: number; readonly metricsRetentionMs: number };
  /** Outbound destinations: `allow` wins over the built-in denials (metadata, link-local); `deny` adds to them. */
  readonly outbound: { readonly allow: readonly OutboundRule[]; readonly deny: readonly OutboundRule[] };
}

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Every environment variable the server reads, with its default; the README documents this list. */
export const CONFIG_VARIABLES = {
  PORT: '4000',
  HOST: '127.0.0.1',
  SLIPWAY_DATA_DIR: './.slipway',
  DATABASE_URL: '(unset: embedded SQLite in SLIPWAY_DATA_DIR/slipway.db)',
  SLIPWAY_BOOTSTRAP_TOKEN: '(unset: a random admin token is printed on first start)',
  LOG_LEVEL: 'info',
  SLIPWAY_PUBLIC_URL: 'http://HOST:PORT',
  REDIS_URL: '(unset)',
  SLIPWAY_SHUTDOWN_TIMEOUT_MS: '10000',
  SLIPWAY_SECRET_KEY: '(unset: a random key generated once into SLIPWAY_DATA_DIR/secret.key, mode 600)',
  SLIPWAY_DEPLOY_LEASE_MS: '30000',
  SLIPWAY_REPO_REFRESH_MS: '60000',
  SLIPWAY_STATUS_INSTANCES_REUSE_MS: '1000',
  SLIPWAY_NOTIFY_RETRY_BASE_MS: '1000',
  SLIPWAY_NOTIFY_RETRY_MAX_MS: '3600000',
  SLIPWAY_NOTIFY_GIVE_UP_MS: '86400000',
  SLIPWAY_NOTIFY_LEASE_MS: '60000',
  SLIPWAY_NOTIFY_TIMEOUT_MS: '10000',
  SLIPWAY_NOTIFY_POLL_MS: '1000',
  SLIPWAY_BOOTSTRAP_PASSWORD: '(unset: a random admin password is printed on first start)',
  SLIPWAY_SESSION_IDLE_MS: '28800000',
  SLIPWAY_SESSION_MAX_AGE_MS: '604800000',
  SLIPWAY_LOGIN_MAX_FAILURES: '5',
  SLIPWAY_LOGIN_MAX_FAILURES_PER_ADDRESS: '20',
  SLIPWAY_LOGIN_LOCKOUT_MS: '60000',
  SLIPWAY_WEB_DIR: '(unset: packages/web/dist beside the server)',
  SLIPWAY_TRUST_PROXY: '(unset: the client address is the TCP peer)',
  SLIPWAY_ROLLOUT_LEASE_MS: '30000',
  SLIPWAY_ROLLOUT_POLL_MS: '1000',
  SLIPWAY_METRICS_RETENTION_DAYS: '7',
  SLIPWAY_OUTBOUND_ALLOW: '(unset: cloud metadata hosts and link-local addresses are refused)',
  SLIPWAY_OUTBOUND_DENY: '(unset: only the built-in denials)',
} as const;

/** packages/web/dist, seen from packages/server/{src,dist}/ (the bundle lives in dist/ too). */
const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
  }
  return raw;
}

/** Reads and validates the environment; the only place that looks at process.env. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const port = integer(env, 'PORT', 4000, 0, 65535);
  const host = env.HOST?.trim() || '127.0.0.1';
  if (!/^[A-Za-z0-9.:\-[\]]+$/.test(host)) throw new ConfigError('HOST', `is not a host name or address: ${JSON.stringify(host)}`);
  const dataDir = path.resolve(cwd, env.SLIPWAY_DATA_DIR?.trim() || './.slipway');

  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const database = databaseUrl
    ? ({ dialect: 'postgres', url: databaseUrl } as const)
    : ({ dialect: 'sqlite', file: path.join(dataDir, 'slipway.db') } as const);

  const bootstrapToken = env.SLIPWAY_BOOTSTRAP_TOKEN ?? null;
  if (bootstrapToken !== null && !/^[\x21-\x7e]{16,256}$/.test(bootstrapToken)) {
    throw new ConfigError('SLIPWAY_BOOTSTRAP_TOKEN', 'must be 16 to 256 printable characters without spaces');
  }

  const logLevel = (env.LOG_LEVEL?.trim() || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  const publicUrl = (url(env, 'SLIPWAY_PUBLIC_URL', ['http:', 'https:']) ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
  const shutdownTimeoutMs = integer(env, 'SLIPWAY_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000);

  const rawSecretKey = env.SLIPWAY_SECRET_KEY;
  const secretKey = rawSecretKey === undefined || rawSecretKey === '' ? null : parseSecretKey(rawSecretKey);
  if (rawSecretKey && !secretKey) throw new ConfigError('SLIPWAY_SECRET_KEY', 'must be 32 bytes: 64 hex characters or 43 base64 characters (openssl rand -hex 32)');
  const deployLeaseMs = integer(env, 'SLIPWAY_DEPLOY_LEASE_MS', 30_000, 1_000, 600_000);
  const repositoryRefreshMs = integer(env, 'SLIPWAY_REPO_REFRESH_MS', 60_000, 0, 86_400_000);
  const statusInstancesReuseMs = integer(env, 'SLIPWAY_STATUS_INSTANCES_REUSE_MS', 1000, 0, 60_000);
  const notifications = Object.freeze({
    retry: Object.freeze({
      baseMs: integer(env, 'SLIPWAY_NOTIFY_RETRY_BASE_MS', 1000, 1, 86_400_000),
      maxMs: integer(env, 'SLIPWAY_NOTIFY_RETRY_MAX_MS', 3_600_000, 1, 86_400_000),
      giveUpMs: integer(env, 'SLIPWAY_NOTIFY_GIVE_UP_MS', 86_400_000, 0, 30 * 86_400_000),
    }),
    leaseMs: integer(env, 'SLIPWAY_NOTIFY_LEASE_MS', 60_000, 100, 3_600_000),
    timeoutMs: integer(env, 'SLIPWAY_NOTIFY_TIMEOUT_MS', 10_000, 100, 600_000),
    pollMs: integer(env, 'SLIPWAY_NOTIFY_POLL_MS', 1000, 10, 600_000),
  });

  const bootstrapPassword = env.SLIPWAY_BOOTSTRAP_PASSWORD ?? null;
  if (bootstrapPassword !== null && (bootstrapPassword.length < 10 || bootstrapPassword.length > 200)) {
    throw new ConfigError('SLIPWAY_BOOTSTRAP_PASSWORD', 'must be 10 to 200 characters');
  }
  const sessions: SessionSettings = Object.freeze({
    idleMs: integer(env, 'SLIPWAY_SESSION_IDLE_MS', 8 * 3_600_000, 60_000, 30 * 86_400_000),
    absoluteMs: integer(env, 'SLIPWAY_SESSION_MAX_AGE_MS', 7 * 86_400_000, 60_000, 365 * 86_400_000),
    maxFailures: integer(env, 'SLIPWAY_LOGIN_MAX_FAILURES', 5, 1, 1000),
    maxFailuresPerAddress: integer(env, 'SLIPWAY_LOGIN_MAX_FAILURES_PER_ADDRESS', 20, 1, 1_000_000),
    lockoutMs: integer(env, 'SLIPWAY_LOGIN_LOCKOUT_MS', 60_000, 1000, 86_400_000),
  });
  const webDir = env.SLIPWAY_WEB_DIR?.trim() ? path.resolve(cwd, env.SLIPWAY_WEB_DIR.trim()) : DEFAULT_WEB_DIR;
  const trustProxy = parseTrustProxy(env.SLIPWAY_TRUST_PROXY);

  const rollouts = Object.freeze({
    leaseMs: integer(env, 'SLIPWAY_ROLLOUT_LEASE_MS', 30_000, 1_000, 600_000),
    pollMs: integer(env, 'SLIPWAY_ROLLOUT_POLL_MS', 1000, 10, 600_000),
    metricsRetentionMs: integer(env, 'SLIPWAY_METRICS_RETENTION_DAYS', 7, 1, 365) * 86_400_000,
  });

  const outbound = Object.freeze({ allow: outboundList(env, 'SLIPWAY_OUTBOUND_ALLOW'), deny: outboundList(env, 'SLIPWAY_OUTBOUND_DENY') });

  return Object.freeze({ port, host, dataDir, database: Object.freeze(database), bootstrapToken, bootstrapPassword, logLevel, publicUrl, redisUrl, shutdownTimeoutMs, secretKey, deployLeaseMs, repositoryRefreshMs, statusInstancesReuseMs, notifications, sessions, webDir, trustProxy, rollouts, outbound });
}

/** A comma-separated list of CIDR ranges, addresses and host names (`*.example.com`: a domain and its subdomains). */
function outboundList(env: Env, name: string): readonly OutboundRule[] {
  const entries = (env[name] ?? '').split(',').map((part) => part.trim()).filter((part) => part !== '');
  return Object.freeze(
    entries.map((entry) => {
      const rule = parseOutboundRule(entry);
      if (!rule) throw new ConfigError(name, `${JSON.stringify(entry)} is not an address, a CIDR range (169.254.0.0/16) or a host name`);
      return rule;
    }),
  );
}

/** `true`, a number of proxy hops, or a comma-separated list of proxy addresses / CIDR ranges. */
function parseTrustProxy(raw: string | undefined): boolean | number | string[] {
  const value = raw?.trim() ?? '';
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  const list = value.split(',').map((part) => part.trim()).filter((part) => part !== '');
  if (list.length === 0 || !list.every((part) => /^[0-9A-Fa-f.:]+(\/\d{1,3})?$/.test(part))) {
    throw new ConfigError('SLIPWAY_TRUST_PROXY', 'must be true, false, a number of hops, or proxy addresses/CIDR ranges separated by commas');
  }
  return list;
}
