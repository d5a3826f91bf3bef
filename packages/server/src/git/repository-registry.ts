import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ProjectRepository } from './project-repository.js';

/**
 * One ProjectRepository (the server's own clone) per project, under `<dataDir>/repos/`. When a
 * project's repository URL changes, the old clone is dropped and a new one made.
 */
export class RepositoryRegistry {
  private readonly repositories = new Map<string, ProjectRepository>();

  constructor(private readonly dataDir: string) {}

  forProject(project: { key: string; repository: string }): ProjectRepository {
    const known = this.repositories.get(project.key);
    if (known && known.remote === project.repository) return known;
    // The clone's name carries a hash of the remote, so a changed URL never reuses a clone of another repository.
    const remoteHash = createHash('sha256').update(project.repository).digest('hex').slice(0, 12);
    const dir = path.join(this.dataDir, 'repos', `${project.key}-${remoteHash}.git`);
    // The old clone goes once whatever still uses it is done (its lock is FIFO).
    if (known) void known.exclusive(() => fs.promises.rm(known.dir, { recursive: true, force: true })).catch(() => {});
    const repo = new ProjectRepository({ remote: project.repository, dir });
    this.repositories.set(project.key, repo);
    return repo;
  }
}
