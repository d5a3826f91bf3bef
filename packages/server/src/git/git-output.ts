/** Formats Slipway asks git for, and the parsers of their output. Pure functions, tested through the repository tests. */

/** One commit as read from git. */
export interface GitCommit {
  sha: string;
  /** First paragraph of the message, joined into one line (git's `%s`). */
  subject: string;
  /** The rest of the message, without trailing newlines. */
  body: string;
  authorName: string;
  authorEmail: string;
  /** Author date, ISO 8601 in UTC. */
  authoredAt: string;
}

const LOG_FIELDS = ['%H', '%an', '%ae', '%aI', '%s', '%b'] as const;

/**
 * `git log -z` with NUL between fields: git terminates every commit with a NUL too, and neither an
 * identity nor a commit message can contain a NUL (git refuses them), so splitting on NUL is exact
 * whatever the messages contain — including the \x1e/\x1f separators people reach for first.
 */
export const LOG_FORMAT = `--format=${LOG_FIELDS.join('%x00')}`;

export function parseLog(stdout: string): GitCommit[] {
  const parts = stdout.split('\0');
  const width = LOG_FIELDS.length;
  const count = Math.floor(parts.length / width);
  const commits: GitCommit[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * width;
    const authored = parts[at + 3]!;
    commits[i] = {
      sha: parts[at]!,
      authorName: parts[at + 1]!,
      authorEmail: parts[at + 2]!,
      authoredAt: new Date(authored).toISOString(),
      subject: parts[at + 4]!,
      body: parts[at + 5]!.replace(/\n+$/, ''),
    };
  }
  return commits;
}

/** One line of `git push --porcelain`. */
export interface PushStatus {
  /** ' ' fast-forward, '+' forced, '-' deleted, '*' new, '!' rejected, '=' up to date. */
  flag: string;
  from: string;
  to: string;
  summary: string;
  reason: string | null;
}

export function parsePushPorcelain(stdout: string): PushStatus[] {
  const statuses: PushStatus[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^([ +\-*!=])\t([^\t]*):([^\t]*)\t([^(]*?)(?: \((.*)\))?$/.exec(line);
    if (!match) continue;
    statuses.push({ flag: match[1]!, from: match[2]!, to: match[3]!, summary: match[4]!.trim(), reason: match[5] ?? null });
  }
  return statuses;
}

/** `git ls-remote` lines as a map refname → object name (peeled entries keep their `^{}` suffix). */
export function parseLsRemote(stdout: string): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab <= 0 || line.startsWith('ref: ')) continue;
    refs.set(line.slice(tab + 1), line.slice(0, tab));
  }
  return refs;
}

/** The branch HEAD points at in `git ls-remote --symref <remote> HEAD` output, or null. */
export function parseSymrefHead(stdout: string): string | null {
  const match = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(stdout);
  return match ? match[1]! : null;
}

/** `git cat-file --batch-check='%(objectname) %(objecttype)'` output: one answer per input line, null when missing. */
export function parseBatchCheck(stdout: string): Array<{ sha: string; type: string } | null> {
  return stdout
    .split('\n')
    .slice(0, -1)
    .map((line) => {
      const [sha, type] = line.split(' ');
      return type === 'missing' || type === 'ambiguous' || !sha || !type ? null : { sha, type };
    });
}
