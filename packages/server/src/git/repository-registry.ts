import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { SecretBox } from '../shared/secret-box.js';
import { ensureAskpass } from './askpass.js';
import { RepositoryUnreachableError } from './git-errors.js';
import { ProjectRepository } from './project-repository.js';
import { remoteForGit, type RepositoryCredentials } from './repository-url.js';

/** What the registry needs of a project: its key, its repository as shown, and its sealed credentials (null: none). */
export interface ProjectRemote {
  key: string;
  repository: string;
  repositoryCredentials: string | null;
}

/**
 * One ProjectRepository (the server's own clone) per project, under `<dataDir>/repos/`. When a
 * project's repository URL changes, the old clone is dropped and a new one made. Credentials never
 * reach the clone: git gets the URL without them and asks the askpass helper (docs/decisions/0027).
 */
export class RepositoryRegistry {
  private readonly repositories = new Map<string, { repo: ProjectRepository; sealed: string | null }>();

  constructor(
    private readonly dataDir: string,
    private readonly box: SecretBox | null = null,
  ) {}

  forProject(project: ProjectRemote): ProjectRepository {
    const remote = remoteForGit(project.repository);
    const sealed = project.repositoryCredentials;
    const known = this.repositories.get(project.key);
    if (known && known.repo.remote === remote) {
      if (known.sealed !== sealed) {
        known.repo.useCredentials(this.open(sealed));
        known.sealed = sealed;
      }
      return known.repo;
    }
    // The clone's name carries a hash of the remote, so a changed URL never reuses a clone of another repository.
    const remoteHash = createHash('sha256').update(remote).digest('hex').slice(0, 12);
    const dir = path.join(this.dataDir, 'repos', `${project.key}-${remoteHash}.git`);
    // The old clone goes once whatever still uses it is done (its lock is FIFO).
    if (known) void known.repo.exclusive(() => fs.promises.rm(known.repo.dir, { recursive: true, force: true })).catch(() => {});
    const repo = new ProjectRepository({ remote, dir, askpass: () => ensureAskpass(this.dataDir) });
    repo.useCredentials(this.open(sealed));
    this.repositories.set(project.key, { repo, sealed });
    return repo;
  }

  private open(sealed: string | null): RepositoryCredentials | null {
    if (sealed === null) return null;
    if (!this.box) throw new Error('RepositoryRegistry needs the SecretBox to open repository credentials');
    try {
      return JSON.parse(this.box.decrypt(sealed)) as RepositoryCredentials;
    } catch {
      // The key changed (SLIPWAY_SECRET_KEY): say what to do instead of failing with a 500.
      throw new RepositoryUnreachableError('the stored repository credentials cannot be decrypted with the current SLIPWAY_SECRET_KEY: send the repository URL with its password again (PATCH the project)');
    }
  }
}
