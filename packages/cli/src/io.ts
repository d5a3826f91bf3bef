/** Where the CLI writes and which environment it reads; injected so tests run it in-process. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
  /** Asks a yes/no question; absent (scripts, tests) means nobody can answer: commands then need --yes. */
  confirm?(question: string): Promise<boolean>;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  confirm: async (question) => {
    if (!process.stdin.isTTY) throw new CliError('Nobody can confirm here (standard input is not a terminal): add --yes.');
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
    } finally {
      rl.close();
    }
  },
};

/** An error the CLI reports as one message and a non-zero exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
