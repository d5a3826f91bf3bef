import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('configuration', () => {
  it('has defaults for everything', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config).toMatchObject({ port: 4000, host: '127.0.0.1', dataDir: '/srv/app/.slipway', database: { dialect: 'sqlite', file: path.join('/srv/app/.slipway', 'slipway.db') }, bootstrapToken: null, publicUrl: 'http://127.0.0.1:4000' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(config.statusInstancesReuseMs).toBe(1000);
    expect(loadConfig({ SLIPWAY_STATUS_INSTANCES_REUSE_MS: '0' }).statusInstancesReuseMs).toBe(0);
  });

  it('switches to PostgreSQL with DATABASE_URL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@db:5432/slipway' }).database).toEqual({ dialect: 'postgres', url: 'postgres://u@db:5432/slipway' });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: '::::' }, 'DATABASE_URL'],
    [{ SLIPWAY_BOOTSTRAP_TOKEN: 'short' }, 'SLIPWAY_BOOTSTRAP_TOKEN'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ HOST: 'a b' }, 'HOST'],
    [{ SLIPWAY_SHUTDOWN_TIMEOUT_MS: '-1' }, 'SLIPWAY_SHUTDOWN_TIMEOUT_MS'],
    [{ SLIPWAY_STATUS_INSTANCES_REUSE_MS: '60001' }, 'SLIPWAY_STATUS_INSTANCES_REUSE_MS'],
  ])('names the variable in the error for %j', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${variable}: `));
  });
});
