import semver from 'semver';
import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import type { Uow } from '../db/stores.js';
import type { RepositoryRegistry } from '../git/repository-registry.js';
import type { ProjectRecord } from '../projects/project-store.js';
import type { Clock } from '../shared/clock.js';
import { NotFoundError, ValidationError } from '../shared/errors.js';
import type { Requirement } from './compatibility-store.js';
import { readDeclaredRequirements } from './requirements-file.js';

export type RequirementOrigin = 'release' | 'file' | 'project' | 'none';

export interface Problem {
  code: 'unsatisfied' | 'not_deployed';
  /** `requires`: what this version needs from others; `required-by`: what others running there need from it. */
  direction: 'requires' | 'required-by';
  project: string;
  version: string | null;
  range: string;
  message: string;
}

export interface CompatibilityAnswer {
  compatible: boolean;
  project: string;
  version: string;
  environment: string;
  requires: Array<Requirement & { origin: RequirementOrigin; actual: string | null; satisfied: boolean }>;
  requiredBy: Array<{ project: string; version: string; range: string; satisfied: boolean }>;
  problems: Problem[];
}

/** A prerelease of a later version satisfies a range (2.4.0-rc.1 is within ^2.3.0): builds under test count. */
const satisfies = (version: string, range: string) => semver.satisfies(version, range, { includePrerelease: true });

function checkRequirements(requires: Requirement[], field: string): Requirement[] {
  const seen = new Set<string>();
  requires.forEach((r, i) => {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(r.project)) throw new ValidationError(`${field}/${i}/project must be a project key.`, { field: `${field}/${i}/project` });
    if (semver.validRange(r.range) === null) throw new ValidationError(`${field}/${i}/range ${JSON.stringify(r.range)} is not a semver range (e.g. ^2.3.0, >=2.3 <3).`, { field: `${field}/${i}/range` });
    if (seen.has(r.project)) throw new ValidationError(`${field}/${i}/project: ${r.project} appears twice.`, { field: `${field}/${i}/project` });
    seen.add(r.project);
  });
  return requires.map((r) => ({ project: r.project, range: r.range.trim() }));
}

/**
 * Version compatibility between projects (seed 004: "backend publishes a version number that is
 * checked for compatibility"). A release's requirements are, first found: set for that release by
 * API, declared in its commit (`.slipway.json` or `package.json` `slipway.requires`), or the
 * project's (PATCH /projects/{p} `requires`). A version fits an environment when it satisfies what
 * it requires of the versions running there, and what the versions running there require of it.
 */
export class CompatibilityService {
  constructor(
    private readonly uow: Uow,
    private readonly repositories: RepositoryRegistry,
    private readonly clock: Clock,
    private readonly onError?: (error: unknown, context: string) => void,
  ) {}

  private async project(key: string, field = 'project'): Promise<ProjectRecord> {
    const p = await this.uow.reads.projects.get(key);
    if (!p) throw new NotFoundError(`Project ${key} does not exist.`, { project: key, field });
    return p;
  }

  async projectRequirements(projectKey: string): Promise<Requirement[]> {
    return this.uow.reads.compatibility.requirements((await this.project(projectKey)).id, '');
  }

  /** Checks a project's requirements without changing anything (PATCH /projects checks before it writes). */
  async validateProjectRequirements(ctx: RequestContext, projectKey: string, requires: Requirement[]): Promise<{ project: ProjectRecord; list: Requirement[] }> {
    authorize(ctx.actor, { role: 'release-manager', action: 'Changing a project' });
    const project = await this.project(projectKey);
    const list = checkRequirements(requires, 'requires');
    if (list.some((r) => r.project === project.key)) throw new ValidationError(`${project.key} cannot require itself.`, { field: 'requires' });
    for (const [i, r] of list.entries()) await this.project(r.project, `requires/${i}/project`);
    return { project, list };
  }

  async setProjectRequirements(ctx: RequestContext, projectKey: string, requires: Requirement[]): Promise<Requirement[]> {
    const { project, list } = await this.validateProjectRequirements(ctx, projectKey, requires);
    return this.uow.transaction(async (tx) => {
      const before = await tx.stores.compatibility.requirements(project.id, '');
      await tx.stores.compatibility.replace(project.id, '', list, 'api', tx.now);
      await tx.record(ctx, { action: 'project.requirements_changed', resourceType: 'project', resourceId: project.key, before: { requires: before }, after: { requires: list }, event: { type: 'project.updated', projectKey: project.key, payload: { project: project.key, changes: ['requires'], requires: list } } });
      return list;
    });
  }

  /** Sets a release's own requirements (overriding its file and the project's). */
  async setReleaseRequirements(ctx: RequestContext, projectKey: string, version: string, requires: Requirement[]): Promise<Requirement[]> {
    authorize(ctx.actor, { role: 'engineer', action: 'Declaring a release\'s requirements' });
    const project = await this.project(projectKey);
    if (!(await this.uow.reads.releases.get(project.id, version))) throw new NotFoundError(`Release ${version} of ${project.key} does not exist.`, { project: project.key, version });
    const list = checkRequirements(requires, 'requires');
    for (const [i, r] of list.entries()) await this.project(r.project, `requires/${i}/project`);
    return this.uow.transaction(async (tx) => {
      await tx.stores.compatibility.replace(project.id, version, list, 'api', tx.now);
      await tx.stores.compatibility.setSource(project.id, version, 'api', null, `set by ${ctx.actor.username}`, tx.now);
      await tx.record(ctx, { action: 'release.requirements_set', resourceType: 'release', resourceId: `${project.key}@${version}`, after: { requires: list }, event: { type: 'release.requirements_set', projectKey: project.key, payload: { project: project.key, version, requires: list } } });
      return list;
    });
  }

  /** A version's requirements and where they came from (reading its commit once, then remembering). */
  async requirementsOf(project: Pick<ProjectRecord, 'id' | 'key' | 'repository' | 'repositoryCredentials'>, version: string): Promise<{ requires: Requirement[]; origin: RequirementOrigin; file: string | null }> {
    const store = this.uow.reads.compatibility;
    let source = await store.source(project.id, version);
    if (source === null) {
      const release = await this.uow.reads.releases.get(project.id, version);
      if (release) {
        try {
          const declared = await readDeclaredRequirements(this.repositories.forProject(project), release.commit);
          const now = this.clock.now().toISOString();
          await this.uow.transaction(async (tx) => {
            if (declared) await tx.stores.compatibility.replace(project.id, version, checkRequirements(declared.requires, `${declared.file}: requires`), 'file', now);
            await tx.stores.compatibility.setSource(project.id, version, declared ? 'file' : 'none', declared?.file ?? null, null, now);
          });
          source = { source: declared ? 'file' : 'none', file: declared?.file ?? null, note: null };
        } catch (error) {
          // An unreadable repository or a broken file: fall back to the project's requirements now, ask again later.
          this.onError?.(error, `reading the requirements of ${project.key} ${version}`);
        }
      }
    }
    if (source !== null && source.source !== 'none') return { requires: await store.requirements(project.id, version), origin: source.source === 'api' ? 'release' : 'file', file: source.file };
    const own = await store.requirements(project.id, '');
    return { requires: own, origin: own.length > 0 ? 'project' : 'none', file: null };
  }

  async release(projectKey: string, version: string) {
    const project = await this.project(projectKey);
    const r = await this.requirementsOf(project, version);
    return { project: project.key, version, origin: r.origin, file: r.file, requires: r.requires };
  }

  /** Would `version` of `project` fit `environment` as it runs now? Both directions. */
  async check(q: { project: string; version: string; environment: string }): Promise<CompatibilityAnswer> {
    const project = await this.project(q.project);
    if (!(await this.uow.reads.environments.get(q.environment))) throw new NotFoundError(`Environment ${q.environment} does not exist.`, { environment: q.environment, field: 'environment' });
    if (semver.valid(q.version) === null) throw new ValidationError('version must be a semantic version such as 3.1.0.', { field: 'version' });
    const running = await this.uow.reads.compatibility.running(q.environment);
    const runningOf = new Map(running.map((r) => [r.project, r]));
    const own = await this.requirementsOf(project, q.version);
    const problems: Problem[] = [];
    const requires = own.requires.map((r) => {
      const actual = runningOf.get(r.project)?.version ?? null;
      const satisfied = actual !== null && satisfies(actual, r.range);
      if (actual === null) problems.push({ code: 'not_deployed', direction: 'requires', project: r.project, version: null, range: r.range, message: `${project.key} ${q.version} requires ${r.project} ${r.range}, and ${r.project} is not deployed in ${q.environment}: deploy ${r.project} there first.` });
      else if (!satisfied) problems.push({ code: 'unsatisfied', direction: 'requires', project: r.project, version: actual, range: r.range, message: `${project.key} ${q.version} requires ${r.project} ${r.range}, but ${q.environment} runs ${r.project} ${actual}: deploy a ${r.project} release within ${r.range} there first.` });
      return { ...r, origin: own.origin, actual, satisfied };
    });
    const requiredBy: CompatibilityAnswer['requiredBy'] = [];
    for (const other of running) {
      if (other.project === project.key) continue;
      const theirs = await this.requirementsOf({ id: other.projectId, key: other.project, repository: other.repository, repositoryCredentials: other.repositoryCredentials }, other.version);
      for (const r of theirs.requires.filter((x) => x.project === project.key)) {
        const satisfied = satisfies(q.version, r.range);
        requiredBy.push({ project: other.project, version: other.version, range: r.range, satisfied });
        if (!satisfied) problems.push({ code: 'unsatisfied', direction: 'required-by', project: other.project, version: other.version, range: r.range, message: `${q.environment} runs ${other.project} ${other.version}, which requires ${project.key} ${r.range}; ${q.version} is outside it: deploy a ${other.project} release that accepts ${project.key} ${q.version} first.` });
      }
    }
    return { compatible: problems.length === 0, project: project.key, version: q.version, environment: q.environment, requires, requiredBy, problems };
  }

  /** Every environment (or one): each running project's problems with what runs beside it. */
  async matrix(environment?: string) {
    const envs = environment !== undefined ? [environment] : (await this.uow.reads.environments.all()).map((e) => e.key);
    const out = [];
    for (const env of envs) {
      const projects = [];
      for (const r of await this.uow.reads.compatibility.running(env)) {
        const a = await this.check({ project: r.project, version: r.version, environment: env });
        // Pairs show on both sides; each side lists what it requires.
        projects.push({ project: r.project, version: r.version, compatible: a.compatible, problems: a.problems });
      }
      out.push({ environment: env, projects });
    }
    return { environments: out };
  }
}
