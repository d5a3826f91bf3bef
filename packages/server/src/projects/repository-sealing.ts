import fs from 'node:fs';
import path from 'node:path';
import type { Uow } from '../db/stores.js';
import { runGit } from '../git/git-runner.js';
import { remoteForGit, splitRepositoryUrl } from '../git/repository-url.js';
import type { SecretBox } from '../shared/secret-box.js';

/**
 * Seals credentials that are still in a project's repository URL (stored before migration 0012, or by
 * an older replica) and redacts the URL in place; then rewrites `remote.origin.url` of any warm clone
 * under `<dataDir>/repos/` whose config still carries credentials. Idempotent; runs at every start.
 * Returns how many projects it sealed.
 */
export async function sealRepositoryCredentials(uow: Uow, box: SecretBox, dataDir: string): Promise<number> {
  let sealed = 0;
  for (const row of await uow.reads.projects.withUserinfo()) {
    const split = splitRepositoryUrl(row.repository);
    if ('problem' in split || split.credentials === null) continue;
    await uow.reads.projects.setRepository(row.id, split.shown, box.encrypt(JSON.stringify(split.credentials)));
    sealed++;
  }
  // Audit records of those projects carry the URL as it was: keep them, without the password.
  for (const record of await uow.reads.audit.projectRecordsWithUserinfo()) {
    const before = redactRepository(record.before);
    const after = redactRepository(record.after);
    if (before !== record.before || after !== record.after) await uow.reads.audit.redact(record.id, before, after);
  }
  await scrubCloneConfigs(path.join(dataDir, 'repos'));
  return sealed;
}

/** A project's audit JSON with its repository URL as shown (password → ***). */
function redactRepository(json: string | null): string | null {
  if (json === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return json;
  }
  const record = value as { repository?: unknown } | null;
  if (record === null || typeof record !== 'object' || typeof record.repository !== 'string') return json;
  const split = splitRepositoryUrl(record.repository);
  if ('problem' in split || split.credentials === null) return json;
  return JSON.stringify({ ...record, repository: split.shown, repositoryCredentials: 'set' });
}

async function scrubCloneConfigs(reposDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await fs.promises.readdir(reposDir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const dir = path.join(reposDir, entry);
    const config = await fs.promises.readFile(path.join(dir, 'config'), 'utf8').catch(() => null);
    if (config === null || !/:\/\/[^\s/@]+@/.test(config)) continue;
    const { stdout } = await runGit([`--git-dir=${dir}`, 'config', '--get', 'remote.origin.url'], { okExitCodes: [1] });
    const url = stdout.trim();
    if (url !== '' && remoteForGit(url) !== url) await runGit([`--git-dir=${dir}`, 'config', 'remote.origin.url', remoteForGit(url)]);
  }
}
