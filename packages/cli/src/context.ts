import type { Command } from 'commander';
import { ApiClient } from './client.js';
import { json } from './format.js';
import type { CliIo } from './io.js';
import { resolveProfile } from './profile.js';

/** What every command needs: output, the API client of the selected profile, and --json. */
export interface CommandContext {
  readonly io: CliIo;
  api(): ApiClient;
  /** Prints `value` as JSON under --json, else the human rendering. */
  print(command: Command, value: unknown, human: () => string): void;
}

export function createContext(io: CliIo, root: Command): CommandContext {
  return {
    io,
    api: () => new ApiClient(resolveProfile(io.env, root.opts<{ profile?: string }>().profile)),
    print(_command, value, human) {
      io.out(root.opts<{ json?: boolean }>().json ? json(value) : human());
    },
  };
}

/** Parses a comma-separated list option ("dev,qa,production"). */
export function list(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

export function integer(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new Error(`not an integer: ${value}`);
  return Number(value);
}
