import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { CliError } from '../io.js';

interface SignoffOptions {
  project: string;
  version: string;
  kind: string;
  go?: boolean;
  noGo?: boolean;
  message?: string;
  env?: string;
}

export function signoffCommands(program: Command, ctx: CommandContext): void {
  program
    .command('signoff')
    .description('record a go/no-go on a release (qa and above)')
    .requiredOption('--project <key>', 'project')
    .requiredOption('--version <version>', 'release version')
    .option('--kind <kind>', 'qa, product, security, …', 'qa')
    .option('--go', 'the release may go on')
    .option('--no-go', 'the release must not go on')
    .option('-m, --message <comment>', 'what was tested, what is wrong')
    .option('--env <environment>', 'the environment the decision is for (default: every environment)')
    .action(async (opts: SignoffOptions, cmd: Command) => {
      // commander turns --no-go into go=false; --go sets it true.
      if (opts.go === undefined) throw new CliError('Say --go or --no-go.');
      const decision = opts.go ? 'go' : 'no-go';
      const body = { kind: opts.kind, decision, ...(opts.message !== undefined && { comment: opts.message }), ...(opts.env !== undefined && { environment: opts.env }) };
      const s = await ctx.api().request('POST', `/api/v1/projects/${encodeURIComponent(opts.project)}/releases/${encodeURIComponent(opts.version)}/signoffs`, body);
      ctx.print(cmd, s, () => `Recorded ${s.kind} ${s.decision} for ${s.project} ${s.version}${s.environment ? ` in ${s.environment}` : ''}${s.comment ? `: ${s.comment}` : ''}.\n`);
    });
}
