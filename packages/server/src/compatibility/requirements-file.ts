import { GitCommandError, runGit } from '../git/git-runner.js';
import type { ProjectRepository } from '../git/project-repository.js';
import type { Requirement } from './compatibility-store.js';

/** Where a release may declare its requirements, first found wins. */
export const REQUIREMENT_FILES = ['.slipway.json', 'package.json'] as const;

/**
 * Reads `requires` from a file's JSON: `.slipway.json` `{ "requires": { "api": "^2.3.0" } }` (or a
 * list of `{ project, range }`), `package.json` under `slipway.requires`. Undefined when the file
 * declares nothing; throws with a readable reason when it is not valid.
 */
export function requirementsFromJson(file: string, text: string): Requirement[] | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const root = json as Record<string, unknown> | null;
  const raw = file === 'package.json' ? (root?.slipway as Record<string, unknown> | undefined)?.requires : root?.requires;
  if (raw === undefined || raw === null) return undefined;
  if (Array.isArray(raw)) {
    return raw.map((r, i) => {
      const o = r as { project?: unknown; range?: unknown };
      if (typeof o?.project !== 'string' || typeof o?.range !== 'string') throw new Error(`${file}: requires[${i}] must be { "project": "…", "range": "…" }`);
      return { project: o.project, range: o.range };
    });
  }
  if (typeof raw === 'object') {
    return Object.entries(raw as Record<string, unknown>).map(([project, range]) => {
      if (typeof range !== 'string') throw new Error(`${file}: requires.${project} must be a semver range string`);
      return { project, range };
    });
  }
  throw new Error(`${file}: requires must be an object { "project": "range" } or a list`);
}

async function show(repo: ProjectRepository, commit: string, file: string): Promise<string | null> {
  const result = await runGit(['show', `${commit}:${file}`], { cwd: repo.dir, okExitCodes: [128] });
  if (result.exitCode === 0) return result.stdout;
  if (/does not exist in|exists on disk, but not in/.test(result.stderr)) return null;
  throw new GitCommandError(['show', `${commit}:${file}`], result.exitCode, result.stderr);
}

/**
 * The requirements a release's commit declares, read from the server's clone (fetched first when the
 * commit is not there yet). Null when no file declares any.
 */
export async function readDeclaredRequirements(repo: ProjectRepository, commit: string): Promise<{ file: string; requires: Requirement[] } | null> {
  return repo.exclusive(async () => {
    let synced = false;
    for (const file of REQUIREMENT_FILES) {
      let text: string | null;
      try {
        text = await show(repo, commit, file);
      } catch (error) {
        if (synced) throw error;
        // No clone yet, or the commit is newer than it: fetch once and ask again.
        await repo.sync();
        synced = true;
        text = await show(repo, commit, file);
      }
      if (text === null) continue;
      const requires = requirementsFromJson(file, text);
      if (requires !== undefined) return { file, requires };
    }
    return null;
  });
}
