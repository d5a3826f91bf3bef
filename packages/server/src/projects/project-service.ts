import semver from 'semver';
import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import { isUniqueViolation } from '../db/connect.js';
import type { Uow } from '../db/stores.js';
import type { Environment } from '../environments/environment-store.js';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { decodeCursor, isString, toPage, type Page, type PageRequest } from '../shared/page.js';
import { regexProblem } from '../shared/regex-policy.js';
import type { ProjectRecord } from './project-store.js';

/** A project as users see it: lifecycles resolved (the default is every environment by rank). */
export interface Project extends Omit<ProjectRecord, 'lifecycle' | 'hotfixLifecycle'> {
  lifecycle: string[];
  hotfixLifecycle: string[];
  lifecycleIsDefault: boolean;
}

export interface CreateProjectInput {
  key: string;
  name?: string;
  repository: string;
  tagTemplate?: string;
  ticketPattern?: string;
  lifecycle?: string[];
  hotfixLifecycle?: string[];
  initialVersion?: string;
}

export interface UpdateProjectInput {
  name?: string;
  repository?: string;
  tagTemplate?: string;
  ticketPattern?: string;
  /** null returns to the default lifecycle. */
  lifecycle?: string[] | null;
  hotfixLifecycle?: string[] | null;
  initialVersion?: string;
}

export const DEFAULT_TAG_TEMPLATE = 'v{version}';
export const DEFAULT_TICKET_PATTERN = '[A-Z][A-Z0-9]+-\\d+';
export const DEFAULT_INITIAL_VERSION = '1.0.0';

export class ProjectService {
  constructor(
    private readonly uow: Uow,
    private readonly ids: IdGenerator,
  ) {}

  async list(page: PageRequest): Promise<Page<Project>> {
    const rows = await this.uow.reads.projects.page(decodeCursor(page.cursor, isString), page.limit + 1);
    const envs = await this.uow.reads.environments.all();
    return toPage(
      rows.map((r) => resolve(r, envs)),
      page.limit,
      (p) => p.key,
    );
  }

  async get(key: string): Promise<Project> {
    const record = await this.uow.reads.projects.get(key);
    if (!record) throw new NotFoundError(`Project ${key} does not exist.`, { project: key });
    return resolve(record, await this.uow.reads.environments.all());
  }

  async create(ctx: RequestContext, input: CreateProjectInput): Promise<Project> {
    authorize(ctx.actor, { role: 'release-manager', action: 'Creating a project' });
    return this.uow.transaction(async (tx) => {
      const envs = await tx.stores.environments.all();
      const record: ProjectRecord = {
        id: this.ids.next(),
        key: input.key,
        name: input.name ?? input.key,
        repository: input.repository,
        tagTemplate: input.tagTemplate ?? DEFAULT_TAG_TEMPLATE,
        ticketPattern: input.ticketPattern ?? DEFAULT_TICKET_PATTERN,
        lifecycle: input.lifecycle ?? null,
        hotfixLifecycle: input.hotfixLifecycle ?? null,
        initialVersion: input.initialVersion ?? DEFAULT_INITIAL_VERSION,
        createdAt: tx.now,
        updatedAt: tx.now,
      };
      validateProject(record, envs);
      try {
        await tx.stores.projects.insert(record);
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`Project ${input.key} already exists.`, { project: input.key });
        throw error;
      }
      const project = resolve(record, envs);
      await tx.record(ctx, {
        action: 'project.created',
        resourceType: 'project',
        resourceId: project.key,
        after: record,
        event: { type: 'project.created', payload: { project: project.key, name: project.name }, projectKey: project.key },
      });
      return project;
    });
  }

  async update(ctx: RequestContext, key: string, input: UpdateProjectInput): Promise<Project> {
    authorize(ctx.actor, { role: 'release-manager', action: 'Changing a project' });
    return this.uow.transaction(async (tx) => {
      const before = await tx.stores.projects.get(key);
      if (!before) throw new NotFoundError(`Project ${key} does not exist.`, { project: key });
      const envs = await tx.stores.environments.all();
      const after: ProjectRecord = { ...before, updatedAt: tx.now };
      for (const field of ['name', 'repository', 'tagTemplate', 'ticketPattern', 'initialVersion'] as const) {
        if (input[field] !== undefined) after[field] = input[field];
      }
      if (input.lifecycle !== undefined) after.lifecycle = input.lifecycle;
      if (input.hotfixLifecycle !== undefined) after.hotfixLifecycle = input.hotfixLifecycle;
      validateProject(after, envs);
      await tx.stores.projects.update(after);
      await tx.record(ctx, {
        action: 'project.updated',
        resourceType: 'project',
        resourceId: key,
        before,
        after,
        event: { type: 'project.updated', payload: { project: key, changes: Object.keys(input) }, projectKey: key },
      });
      return resolve(after, envs);
    });
  }
}

function resolve(record: ProjectRecord, envs: Environment[]): Project {
  const lifecycle = record.lifecycle ?? envs.map((e) => e.key);
  return { ...record, lifecycle, hotfixLifecycle: record.hotfixLifecycle ?? lifecycle, lifecycleIsDefault: record.lifecycle === null };
}

const REPOSITORY_FORMS = [/^(https?|ssh|git|file):\/\/[^\s]+$/, /^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+:[^\s]+$/, /^\/[^\0]*$/];
const TEMPLATE_PLACEHOLDER = /\{([^}]*)\}/g;

function validateProject(p: ProjectRecord, envs: Environment[]): void {
  const problems: Array<{ field: string; message: string }> = [];
  if (!REPOSITORY_FORMS.some((form) => form.test(p.repository))) {
    problems.push({ field: 'repository', message: 'must be a git URL (https://, ssh://, git://, file://, user@host:path) or an absolute local path' });
  }
  const placeholders = [...p.tagTemplate.matchAll(TEMPLATE_PLACEHOLDER)].map((m) => m[1]);
  if (!placeholders.includes('version')) problems.push({ field: 'tagTemplate', message: 'must contain {version}' });
  const unknown = placeholders.filter((name) => name !== 'version' && name !== 'project');
  if (unknown.length > 0) problems.push({ field: 'tagTemplate', message: `unknown placeholder ${unknown.map((u) => `{${u}}`).join(', ')}; use {version} and {project}` });
  const literal = p.tagTemplate.replace(TEMPLATE_PLACEHOLDER, 'x');
  if (!isValidRefPart(literal)) problems.push({ field: 'tagTemplate', message: 'must form a valid git tag name (no spaces, "..", "~^:?*[\\", leading "-" or trailing "." or "/")' });
  if (p.ticketPattern.length > 200) problems.push({ field: 'ticketPattern', message: 'must be at most 200 characters' });
  else {
    const problem = regexProblem(p.ticketPattern);
    if (problem !== undefined) problems.push({ field: 'ticketPattern', message: `is not a valid regular expression here: ${problem}` });
  }
  if (semver.valid(p.initialVersion) !== p.initialVersion) problems.push({ field: 'initialVersion', message: 'must be a semantic version such as 1.0.0' });
  const known = new Set(envs.map((e) => e.key));
  const lifecycle = p.lifecycle ?? envs.map((e) => e.key);
  for (const [field, list] of [['lifecycle', p.lifecycle], ['hotfixLifecycle', p.hotfixLifecycle]] as const) {
    if (list === null) continue;
    const missing = list.filter((k) => !known.has(k));
    if (missing.length > 0) problems.push({ field, message: `unknown environment ${missing.join(', ')}` });
    if (new Set(list).size !== list.length) problems.push({ field, message: 'lists an environment twice' });
  }
  if (p.hotfixLifecycle !== null && !isOrderedSubset(p.hotfixLifecycle, lifecycle)) {
    problems.push({ field: 'hotfixLifecycle', message: `must be an ordered subset of the lifecycle (${lifecycle.join(' → ') || 'empty'})` });
  }
  if (problems.length > 0) {
    throw new ValidationError(problems.map((pr) => `${pr.field} ${pr.message}`).join('; ') + '.', { problems });
  }
}

function isOrderedSubset(subset: string[], of: string[]): boolean {
  let at = 0;
  for (const key of subset) {
    const found = of.indexOf(key, at);
    if (found === -1) return false;
    at = found + 1;
  }
  return true;
}

function isValidRefPart(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 200 &&
    !/[\s~^:?*[\\\x00-\x1f\x7f]/.test(name) &&
    !name.includes('..') &&
    !name.includes('@{') &&
    !name.includes('//') &&
    !name.startsWith('-') &&
    !name.startsWith('/') &&
    !name.endsWith('.') &&
    !name.endsWith('/') &&
    !name.endsWith('.lock') &&
    !name.split('/').some((part) => part.startsWith('.'))
  );
}
