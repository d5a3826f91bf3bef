import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError, type CliIo } from './io.js';

export interface Profile {
  url: string;
  token: string;
}

interface ConfigFile {
  current: string;
  profiles: Record<string, Profile>;
}

export function configPath(env: CliIo['env']): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'slipway', 'config.json');
}

function readFile(env: CliIo['env']): ConfigFile {
  const file = configPath(env);
  if (!fs.existsSync(file)) return { current: 'default', profiles: {} };
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ConfigFile;
  } catch {
    throw new CliError(`${file} is not valid JSON; fix it or run "slipway login" again.`);
  }
}

/** Stores a profile; the file holds a token, so it is readable by its owner only (mode 600). */
export function saveProfile(env: CliIo['env'], name: string, profile: Profile): string {
  const file = configPath(env);
  const config = readFile(env);
  config.profiles[name] = profile;
  config.current = name;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return file;
}

/** The server and token to use: SLIPWAY_URL / SLIPWAY_TOKEN win over the stored profile. */
export function resolveProfile(env: CliIo['env'], name?: string): Profile {
  const config = readFile(env);
  const stored = config.profiles[name ?? config.current];
  const url = env.SLIPWAY_URL || stored?.url;
  const token = env.SLIPWAY_TOKEN || stored?.token;
  if (!url || !token) {
    throw new CliError('Not logged in: run "slipway login --url URL --token TOKEN" or set SLIPWAY_URL and SLIPWAY_TOKEN.');
  }
  return { url: url.replace(/\/+$/, ''), token };
}
