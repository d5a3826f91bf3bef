import semver from 'semver';
import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import { isUniqueViolation } from '../db/connect.js';
import type { Stores, Uow } from '../db/stores.js';
import type { Tx } from '../db/unit-of-work.js';
import type { Environment } from '../environments/environment-store.js';
import { checkRefFormat } from '../git/ref-names.js';
import type { ImportPlan, ImportReport } from '../releases/release-import.js';
import { DEFAULT_RELEASE_RULES, describeRuleProblems, type ReleaseRule } from '../releases/release-rules.js';
import type { ReleaseSummary } from '../releases/release-store.js';
import { renderTag } from '../releases/tag-template.js';
import { hasRedactedCredentials, originOf, remoteForGit, shownUsername, splitRepositoryUrl } from '../git/repository-url.js';
import { DEFAULT_OUTBOUND_POLICY, REFUSED_MESSAGE, type OutboundPolicy } from '../shared/outbound-policy.js';
import { ConflictError, NotFoundError, SecretRequiredError, ValidationError } from '../shared/errors.js';
import type { SecretBox } from '../shared/secret-box.js';
import type { IdGenerator } from '../shared/ids.js';
import { decodeCursor, isString, toPage, type Page, type PageRequest } from '../shared/page.js';
import { regexProblem } from '../shared/regex-policy.js';
import type { ProjectRecord } from './project-store.js';

/** A project as users see it: lifecycles and release rules resolved (the defaults: every environment by rank; semantic-release's rules). */
export interface Project extends Omit<ProjectRecord, 'lifecycle' | 'hotfixLifecycle' | 'releaseRules'> {
  lifecycle: string[];
  hotfixLifecycle: string[];
  lifecycleIsDefault: boolean;
  releaseRules: ReleaseRule[];
  releaseRulesAreDefault: boolean;
}

/** A created or changed project, and the import of its repository's tags when one ran. */
export interface ProjectChange {
  project: Project;
  import: ImportReport | null;
}

/**
 * What projects need of releases when a repository comes in (implemented by the releases feature): the
 * project's release lock, and the two halves of an import of existing tags.
 */
export interface RepositoryAdoption {
  locked<T>(projectKey: string, fn: () => Promise<T>): Promise<T>;
  /** Fetches the repository — RepositoryUnreachableError (422, git's message) when it cannot — and plans the import. */
  plan(project: ProjectRecord, existing: readonly ReleaseSummary[]): Promise<ImportPlan>;
  apply(tx: Tx<Stores>, ctx: RequestContext, project: ProjectRecord, plan: ImportPlan): Promise<ImportReport>;
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
  ticketUrl?: string | null;
  releaseRules?: ReleaseRule[];
  /** false: do not check that the repository can be read, and do not import its tags (default true). */
  verify?: boolean;
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
  /** null removes the ticket links. */
  ticketUrl?: string | null;
  /** null returns to the default rules. */
  releaseRules?: ReleaseRule[] | null;
  /** false: a new repository or tag template is not checked against the repository and no tags are imported. */
  verify?: boolean;
}

export const DEFAULT_TAG_TEMPLATE = 'v{version}';
export const DEFAULT_TICKET_PATTERN = '[A-Z][A-Z0-9]+-\\d+';
export const DEFAULT_INITIAL_VERSION = '1.0.0';

export class ProjectService {
  constructor(
    private readonly uow: Uow,
    private readonly ids: IdGenerator,
    private readonly adoption: RepositoryAdoption,
    private readonly box: SecretBox,
    private readonly outbound: OutboundPolicy = DEFAULT_OUTBOUND_POLICY,
  ) {}

  /**
   * The repository URL as stored and shown (password replaced by `***`) and its sealed credentials.
   * `current`: the project being changed — a URL sent back with `***` keeps the stored credentials,
   * but only towards the same origin and user: credentials never follow a URL to another server.
   */
  private repositoryOf(given: string, current: ProjectRecord | null): { repository: string; repositoryCredentials: string | null } {
    const split = splitRepositoryUrl(given);
    if ('problem' in split) throw new ValidationError(`repository ${split.problem}.`, { field: 'repository', problems: [{ field: 'repository', message: split.problem }] });
    // git connects by itself, so only the URL's host can be checked: metadata hosts and link-local addresses are refused.
    const refused = /^(https?|git|ssh):\/\//i.test(split.shown) ? this.outbound.urlProblem(remoteForGit(split.shown)) : null;
    if (refused) throw new ValidationError(`repository: ${REFUSED_MESSAGE}: ${refused}.`, { field: 'repository' });
    if (split.credentials) return { repository: split.shown, repositoryCredentials: this.box.encrypt(JSON.stringify(split.credentials)) };
    if (!hasRedactedCredentials(split.shown)) return { repository: split.shown, repositoryCredentials: null };
    if (current?.repositoryCredentials && originOf(split.shown) === originOf(current.repository) && shownUsername(split.shown) === shownUsername(current.repository)) {
      return { repository: split.shown, repositoryCredentials: current.repositoryCredentials };
    }
    if (current?.repositoryCredentials) {
      throw new SecretRequiredError('repository points the stored credentials at another server or user: send the URL with its password (or token) again.', { field: 'repository' });
    }
    throw new ValidationError('repository has "***" where the password goes, but no password is stored: send the URL with the password itself.', { field: 'repository' });
  }

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

  /**
   * Creates a project. Unless `verify` is false, the repository is fetched first (an unreachable one is
   * refused with git's message) and its existing tags that match the template are imported as releases
   * in the same transaction, so they are listed as soon as this answers.
   */
  async create(ctx: RequestContext, input: CreateProjectInput): Promise<ProjectChange> {
    authorize(ctx.actor, { role: 'release-manager', action: 'Creating a project' });
    const record: ProjectRecord = {
      id: this.ids.next(),
      key: input.key,
      name: input.name ?? input.key,
      ...this.repositoryOf(input.repository, null),
      tagTemplate: input.tagTemplate ?? DEFAULT_TAG_TEMPLATE,
      ticketPattern: input.ticketPattern ?? DEFAULT_TICKET_PATTERN,
      lifecycle: input.lifecycle ?? null,
      hotfixLifecycle: input.hotfixLifecycle ?? null,
      initialVersion: input.initialVersion ?? DEFAULT_INITIAL_VERSION,
      ticketUrl: input.ticketUrl ?? null,
      releaseRules: input.releaseRules ?? null,
      createdAt: '',
      updatedAt: '',
    };
    // Bad input is refused before the repository is asked anything.
    validateProject(record, await this.uow.reads.environments.all());
    await checkTagTemplate(record);
    const taken = () => new ConflictError(`Project ${input.key} already exists.`, { project: input.key });
    if (await this.uow.reads.projects.get(input.key)) throw taken();
    if (input.verify === false) return { project: await this.uow.transaction((tx) => this.insert(tx, ctx, record)), import: null };
    return this.adoption.locked(record.key, async () => {
      if (await this.uow.reads.projects.get(input.key)) throw taken();
      const plan = await this.adoption.plan(record, []);
      return this.uow.transaction(async (tx) => {
        const project = await this.insert(tx, ctx, record);
        return { project, import: await this.adoption.apply(tx, ctx, { ...record, createdAt: tx.now, updatedAt: tx.now }, plan) };
      });
    });
  }

  /**
   * Changes a project. A new repository or tag template is checked against the repository and its
   * matching tags are imported, before this answers (unless `verify` is false).
   */
  async update(ctx: RequestContext, key: string, input: UpdateProjectInput): Promise<ProjectChange> {
    authorize(ctx.actor, { role: 'release-manager', action: 'Changing a project' });
    const current = await this.uow.reads.projects.get(key);
    if (!current) throw new NotFoundError(`Project ${key} does not exist.`, { project: key });
    // The URL is split once here: what is stored and compared from now on is the shown URL and the sealed credentials.
    const repository = input.repository === undefined ? null : this.repositoryOf(input.repository, current);
    if (repository) input = { ...input, repository: repository.repository };
    const proposed = applyChanges(current, input, current.updatedAt, repository?.repositoryCredentials);
    validateProject(proposed, await this.uow.reads.environments.all());
    if (input.tagTemplate !== undefined) await checkTagTemplate(proposed);
    const adopts =
      input.verify !== false && (proposed.repository !== current.repository || proposed.repositoryCredentials !== current.repositoryCredentials || proposed.tagTemplate !== current.tagTemplate);
    const credentials = repository?.repositoryCredentials;
    if (!adopts) return { project: await this.uow.transaction((tx) => this.change(tx, ctx, key, input, credentials)), import: null };
    return this.adoption.locked(key, async () => {
      const fresh = (await this.uow.reads.projects.get(key)) ?? current;
      const after = applyChanges(fresh, input, fresh.updatedAt, credentials);
      const plan = await this.adoption.plan(after, await this.uow.reads.releases.summaries(fresh.id));
      return this.uow.transaction(async (tx) => {
        const project = await this.change(tx, ctx, key, input, credentials);
        return { project, import: await this.adoption.apply(tx, ctx, after, plan) };
      });
    });
  }

  private async insert(tx: Tx<Stores>, ctx: RequestContext, input: ProjectRecord): Promise<Project> {
    const envs = await tx.stores.environments.all();
    const record = { ...input, createdAt: tx.now, updatedAt: tx.now };
    validateProject(record, envs);
    try {
      await tx.stores.projects.insert(record);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`Project ${record.key} already exists.`, { project: record.key });
      throw error;
    }
    const project = resolve(record, envs);
    await tx.record(ctx, {
      action: 'project.created',
      resourceType: 'project',
      resourceId: project.key,
      after: auditView(record),
      event: { type: 'project.created', payload: { project: project.key, name: project.name }, projectKey: project.key },
    });
    return project;
  }

  private async change(tx: Tx<Stores>, ctx: RequestContext, key: string, input: UpdateProjectInput, credentials: string | null | undefined): Promise<Project> {
    // Read under the row's lock: two PATCHes at once both land (issue 11 §1).
    await tx.stores.projects.lock(key);
    const before = await tx.stores.projects.get(key);
    if (!before) throw new NotFoundError(`Project ${key} does not exist.`, { project: key });
    const envs = await tx.stores.environments.all();
    const after = applyChanges(before, input, tx.now, credentials);
    validateProject(after, envs);
    await tx.stores.projects.update(after);
    const { verify: _verify, ...changes } = input;
    await tx.record(ctx, {
      action: 'project.updated',
      resourceType: 'project',
      resourceId: key,
      before: auditView(before),
      after: auditView(after),
      event: { type: 'project.updated', payload: { project: key, changes: Object.keys(changes) }, projectKey: key },
    });
    return resolve(after, envs);
  }
}

/** What the audit log keeps of a project: the sealed credentials only as "set". */
function auditView(record: ProjectRecord): Omit<ProjectRecord, 'repositoryCredentials'> & { repositoryCredentials: 'set' | null } {
  return { ...record, repositoryCredentials: record.repositoryCredentials === null ? null : 'set' };
}

/** `credentials`: the sealed credentials that go with a new repository URL (undefined: the repository does not change). */
function applyChanges(before: ProjectRecord, input: UpdateProjectInput, now: string, credentials?: string | null): ProjectRecord {
  const after: ProjectRecord = { ...before, updatedAt: now };
  if (credentials !== undefined) after.repositoryCredentials = credentials;
  for (const field of ['name', 'repository', 'tagTemplate', 'ticketPattern', 'initialVersion'] as const) {
    if (input[field] !== undefined) after[field] = input[field];
  }
  if (input.lifecycle !== undefined) after.lifecycle = input.lifecycle;
  if (input.hotfixLifecycle !== undefined) after.hotfixLifecycle = input.hotfixLifecycle;
  if (input.ticketUrl !== undefined) after.ticketUrl = input.ticketUrl;
  if (input.releaseRules !== undefined) after.releaseRules = input.releaseRules;
  return after;
}

/**
 * A template such as `{version}.loc{project}` looks fine with placeholders but renders `1.0.0.lock` for a
 * project `k`, which git refuses: render sample versions with the project's own key and ask git itself.
 */
async function checkTagTemplate(p: ProjectRecord): Promise<void> {
  for (const version of ['1.0.0', '1.0.0-rc.1', '10.20.30']) {
    const tag = renderTag(p.tagTemplate, { version, project: p.key });
    if (!(await checkRefFormat(`refs/tags/${tag}`))) {
      const message = `renders ${JSON.stringify(tag)} for version ${version} of project ${p.key}, which git refuses as a tag name (git check-ref-format); change the template`;
      throw new ValidationError(`tagTemplate ${message}.`, { problems: [{ field: 'tagTemplate', message }] });
    }
  }
}

function resolve(record: ProjectRecord, envs: Environment[]): Project {
  const lifecycle = record.lifecycle ?? envs.map((e) => e.key);
  return {
    ...record,
    lifecycle,
    hotfixLifecycle: record.hotfixLifecycle ?? lifecycle,
    lifecycleIsDefault: record.lifecycle === null,
    releaseRules: record.releaseRules ?? DEFAULT_RELEASE_RULES.map((rule) => ({ ...rule })),
    releaseRulesAreDefault: record.releaseRules === null,
  };
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
  if (p.releaseRules !== null) problems.push(...describeRuleProblems(p.releaseRules));
  if (p.ticketUrl !== null) {
    const problem = ticketUrlProblem(p.ticketUrl);
    if (problem) problems.push({ field: 'ticketUrl', message: problem });
  }
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

/** Why a ticket link template is unusable, or null: an http(s) URL with exactly one `{ticket}`. */
function ticketUrlProblem(template: string): string | null {
  const placeholders = [...template.matchAll(TEMPLATE_PLACEHOLDER)].map((m) => m[1]);
  if (placeholders.length !== 1 || placeholders[0] !== 'ticket') return 'must contain {ticket} once and no other placeholder, e.g. https://tracker.example.com/browse/{ticket}';
  let url: URL;
  try {
    url = new URL(template.replace('{ticket}', 'ABC-1'));
  } catch {
    return 'is not a valid URL once {ticket} is filled in';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http:// or https:// URL';
  return null;
}

/** The link of one ticket key, or null when the project has no template. */
export function ticketLink(template: string | null, ticket: string): string | null {
  return template === null ? null : template.replace('{ticket}', encodeURIComponent(ticket));
}
