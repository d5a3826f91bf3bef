import path from 'node:path';

/** The validated, frozen configuration of one server process. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** `sqlite` unless DATABASE_URL names a PostgreSQL database. */
  readonly database: { readonly dialect: 'sqlite'; readonly file: string } | { readonly dialect: 'postgres'; readonly url: string };
  readonly bootstrapToken: string | null;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly publicUrl: string;
  readonly redisUrl: string | null;
  readonly shutdownTimeoutMs: number;
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
} as const;

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

  return Object.freeze({ port, host, dataDir, database: Object.freeze(database), bootstrapToken, logLevel, publicUrl, redisUrl, shutdownTimeoutMs });
}
