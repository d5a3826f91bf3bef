#!/usr/bin/env node
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig } from './config.js';
import { startServer } from './server.js';

/** Boot only: configuration, start, signals. */
export async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`slipway: invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const server = await startServer(config);
  // One write, URL last: whoever waits for the URL line has everything before it.
  const lines: string[] = [];
  if (server.migrationsApplied.length > 0) lines.push(`Applied migrations: ${server.migrationsApplied.join(', ')}`);
  if (server.bootstrapToken !== null) {
    lines.push(
      config.bootstrapToken !== null
        ? 'Created the admin user with the token from SLIPWAY_BOOTSTRAP_TOKEN.'
        : `Created the admin user. Admin token (shown once, store it now):\n\n  ${server.bootstrapToken}\n`,
    );
    // The web app signs in with a username and password; the CLI uses the token.
    lines.push(
      config.bootstrapPassword !== null
        ? 'Web sign-in: username admin, with the password from SLIPWAY_BOOTSTRAP_PASSWORD.'
        : `Web sign-in (shown once, store it now): username admin, password ${server.bootstrapPassword}\n`,
    );
  }
  lines.push(`Slipway is listening on ${server.url} (${config.database.dialect}; data in ${config.dataDir})`);
  process.stdout.write(`${lines.join('\n')}\n`);
  const shutdown = (signal: string) => {
    process.stdout.write(`Received ${signal}; finishing in-flight requests…\n`);
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href;
if (invokedDirectly) {
  main().catch((error: unknown) => {
    process.stderr.write(`slipway: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
