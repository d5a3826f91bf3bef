import { Command, CommanderError } from 'commander';
import { ApiClient } from './client.js';
import { auditCommands } from './commands/audit.js';
import { channelCommands } from './commands/channels.js';
import { deliveryCommands } from './commands/deliveries.js';
import { demoCommands } from './commands/demo.js';
import { deploymentCommands } from './commands/deployments.js';
import { signoffCommands } from './commands/signoffs.js';
import { statusCommands } from './commands/status.js';
import { environmentCommands } from './commands/environments.js';
import { flagCommands } from './commands/flags.js';
import { projectCommands } from './commands/projects.js';
import { releaseCommands } from './commands/releases.js';
import { sdkKeyCommands } from './commands/sdk-keys.js';
import { segmentCommands } from './commands/segments.js';
import { tokenCommands } from './commands/tokens.js';
import { webSupportCommands } from './commands/web-support.js';
import { createContext } from './context.js';
import { CliError, processIo, type CliIo } from './io.js';
import { saveProfile } from './profile.js';

/** Builds the `slipway` program. `server` is passed in so tests need not start one. */
export function buildProgram(io: CliIo, startServer: () => Promise<void>): Command {
  const program = new Command('slipway')
    .description('Slipway: cut versioned releases, promote them through environments, and know what runs where.')
    .option('--json', 'print JSON instead of tables (for scripts)')
    .option('--profile <name>', 'use a stored profile other than the current one')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  const ctx = createContext(io, program);

  program
    .command('server')
    .description('start the Slipway server (same environment variables as npm start)')
    .action(async () => startServer());

  program
    .command('login')
    .description('store the server URL and a token in ~/.config/slipway/config.json (mode 600)')
    .requiredOption('--url <url>', 'the server, e.g. http://127.0.0.1:4000')
    .requiredOption('--token <token>', 'an API token')
    .option('--name <profile>', 'profile name', 'default')
    .action(async (opts: { url: string; token: string; name: string }) => {
      const profile = { url: opts.url.replace(/\/+$/, ''), token: opts.token };
      const me = await new ApiClient(profile).request('GET', '/api/v1/me');
      const file = saveProfile(io.env, opts.name, profile);
      io.out(`Logged in to ${profile.url} as ${me.user?.username ?? 'unknown'} (${me.role}); profile "${opts.name}" saved in ${file}.\n`);
    });

  environmentCommands(program, ctx);
  projectCommands(program, ctx);
  tokenCommands(program, ctx);
  auditCommands(program, ctx);
  channelCommands(program, ctx);
  deliveryCommands(program, ctx);
  releaseCommands(program, ctx);
  flagCommands(program, ctx);
  segmentCommands(program, ctx);
  sdkKeyCommands(program, ctx);
  signoffCommands(program, ctx);
  deploymentCommands(program, ctx);
  statusCommands(program, ctx);
  demoCommands(program, ctx);
  webSupportCommands(program, ctx);
  return program;
}

/** Runs the CLI; resolves to the exit code. Errors print the server's message, never a stack. */
export async function run(argv: string[], io: CliIo = processIo, startServer: () => Promise<void> = defaultServer): Promise<number> {
  const program = buildProgram(io, startServer);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof CliError) {
      io.err(`error: ${error.message}\n`);
      return error.exitCode;
    }
    io.err(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function defaultServer(): Promise<void> {
  const { main } = await import('@slipway/server');
  await main();
}
