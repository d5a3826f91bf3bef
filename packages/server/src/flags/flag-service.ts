import { validateFlagConfig } from '@slipway/flag-engine';
import type { EnvConfig, FlagKind, ValidationProblem, Variant } from '@slipway/flag-engine';
import type { RequestContext } from '../auth/actor.js';
import { authorize, changeRoleOf } from '../auth/permissions.js';
import { isUniqueViolation } from '../db/connect.js';
import type { Stores, Uow } from '../db/stores.js';
import type { Environment } from '../environments/environment-store.js';
import type { FlagFanout } from '../fanout/flag-fanout.js';
import type { ProjectRecord } from '../projects/project-store.js';
import type { Clock } from '../shared/clock.js';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.js';
import { unsafeConditionPatterns } from '../shared/regex-policy.js';
import { checkPrecondition, type Precondition } from '../shared/versions.js';
import type { IdGenerator } from '../shared/ids.js';
import { decodeCursor, isString, toPage, type Page, type PageRequest } from '../shared/page.js';
import { constantVariant, implicitConfig, normalizeConfig, ruleSetFlag, ruleSetSegment } from './flag-model.js';
import type { Flag, FlagEnvironment } from './flag-store.js';
import { describeConfig, summarizeConfigChange, variantList } from './flag-summary.js';
import { RuleSetLog } from './rule-set-log.js';
import { flagUsage, type FlagUsage } from './flag-usage.js';

/** A flag's state in one environment, for showing environments side by side. */
export interface FlagEnvironmentView {
  environment: Pick<Environment, 'key' | 'name' | 'rank' | 'protected' | 'color'> & { changeRole: string };
  /** False while the environment uses the implicit configuration (never configured). */
  configured: boolean;
  config: EnvConfig;
  summary: string;
  updatedAt: string | null;
  updatedBy: string | null;
}

export interface FlagView extends Flag {
  projectKey: string;
  environments: FlagEnvironmentView[];
  /** On reads (list, get): evaluations seen and the stale mark. */
  usage?: FlagUsage;
}

export interface CreateFlagInput {
  key: string;
  name?: string;
  description?: string;
  type?: FlagKind;
  variants: Variant[];
  owner?: string | null;
  tags?: string[];
}

export type UpdateFlagInput = Partial<Omit<CreateFlagInput, 'key'>> & { archived?: boolean };

export interface FlagListOptions extends PageRequest {
  /** Only flags serving one variant to everyone in every environment, unchanged for STALE_AFTER_DAYS. */
  stale: boolean;
  /** true: archived only; false (default): active only; null: both. */
  archived: boolean | null;
  /** Words that must all appear in the key, name, description, owner or tags (case-insensitive). */
  search?: string;
  type?: string;
  tag?: string;
}

export const STALE_AFTER_DAYS = 30;

/** Problems from the engine, as a 400 whose details list every one. */
/**
 * Object flags carry JSON objects: OpenFeature's object evaluation and OFREP's `objectFlag` say
 * object, and clients in other languages refuse a top-level array. The engine still evaluates
 * arrays (flags saved before this check keep working); new ones are refused here.
 */
function arrayVariantProblems(variants: unknown): ValidationProblem[] {
  if (!Array.isArray(variants)) return [];
  return variants.flatMap((v, i) =>
    typeof v === 'object' && v !== null && Array.isArray((v as { value?: unknown }).value)
      ? [{ path: `flag.variants[${i}].value`, message: 'must be a JSON object, not an array (OFREP and OpenFeature object flags are objects): wrap the list, e.g. { "items": [ … ] }' }]
      : [],
  );
}

export function problemsError(what: string, problems: readonly ValidationProblem[]): ValidationError {
  const first = problems[0];
  return new ValidationError(`${what} is not valid: ${first ? `${first.path}: ${first.message}` : 'unknown problem'}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, {
    problems: problems.map((p) => ({ path: p.path, message: p.message })),
  });
}

function envSummary(e: Environment): FlagEnvironmentView['environment'] {
  return { key: e.key, name: e.name, rank: e.rank, protected: e.protected, color: e.color, changeRole: changeRoleOf(e) };
}

/** Flags per project and their configuration per environment (PRODUCT.md §4). */
export class FlagService {
  constructor(
    private readonly uow: Uow,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly fanout: FlagFanout,
  ) {}

  async list(projectKey: string, options: FlagListOptions): Promise<Page<FlagView>> {
    const reads = this.uow.reads;
    const project = await requireProject(reads, projectKey);
    const envs = await reads.environments.all();
    if (options.stale) {
      // Stale detection looks at every flag and its configurations; a project has hundreds.
      const cutoff = new Date(this.clock.now().getTime() - STALE_AFTER_DAYS * 86_400_000).toISOString();
      const configs = groupByFlag(await reads.flags.allConfigs(project.id));
      const after = decodeCursor(options.cursor, isString);
      const stale = (await reads.flags.all(project.id))
        .filter((f) => !f.archived && f.updatedAt <= cutoff && (after === null || f.key > after))
        .map((f) => view(project, f, envs, configs.get(f.id) ?? []))
        .filter((v) => v.environments.every((e) => constantVariant(e.config) !== null));
      return toPage(stale.slice(0, options.limit + 1), options.limit, (f) => f.key);
    }
    const afterKey = decodeCursor(options.cursor, isString);
    let rows: Flag[];
    if (options.search !== undefined || options.type !== undefined || options.tag !== undefined) {
      // Filters look at every flag of the project (hundreds at most), then page by key.
      const words = (options.search ?? '').toLowerCase().split(/\s+/).filter((w) => w !== '');
      rows = (await reads.flags.all(project.id))
        .filter((f) => options.archived === null || f.archived === options.archived)
        .filter((f) => afterKey === null || f.key > afterKey)
        .filter((f) => options.type === undefined || f.type === options.type)
        .filter((f) => options.tag === undefined || f.tags.includes(options.tag))
        .filter((f) => {
          const text = [f.key, f.name, f.description, f.owner ?? '', ...f.tags].join(' ').toLowerCase();
          return words.every((w) => text.includes(w));
        })
        .slice(0, options.limit + 1);
    } else {
      rows = await reads.flags.page(project.id, { afterKey, limit: options.limit + 1, archived: options.archived });
    }
    const page = toPage(rows, options.limit, (f) => f.key);
    const configs = groupByFlag(await reads.flags.environmentsOf(page.items.map((f) => f.id)));
    return { items: await this.withUsage(project, page.items.map((f) => view(project, f, envs, configs.get(f.id) ?? []))), nextCursor: page.nextCursor };
  }

  /** Adds the evaluations the server saw and the stale mark (no change and no evaluation in 30 days). */
  private async withUsage(project: ProjectRecord, views: FlagView[]): Promise<FlagView[]> {
    const records = await this.uow.reads.flagEvaluations.forProject(project.key, views.map((v) => v.key));
    const now = this.clock.now();
    return views.map((v) => ({ ...v, usage: flagUsage(v, records.filter((r) => r.flag === v.key), now) }));
  }

  async get(projectKey: string, flagKey: string): Promise<FlagView> {
    const reads = this.uow.reads;
    const project = await requireProject(reads, projectKey);
    const flag = await requireFlag(reads, project, flagKey);
    const [result] = await this.withUsage(project, [view(project, flag, await reads.environments.all(), await reads.flags.environments(flag.id))]);
    return result!;
  }

  async create(ctx: RequestContext, projectKey: string, input: CreateFlagInput): Promise<FlagView> {
    authorize(ctx.actor, { role: 'engineer', action: 'Creating a flag' });
    const problems = [
      ...validateFlagConfig({ key: input.key, ...(input.type !== undefined && { type: input.type }), variants: input.variants }),
      ...arrayVariantProblems(input.variants),
    ];
    if (problems.length > 0) throw problemsError(`Flag ${input.key}`, problems);
    const { result, log } = await this.uow.transaction(async (tx) => {
      const project = await requireProject(tx.stores, projectKey);
      const flag: Flag = {
        id: this.ids.next(),
        projectId: project.id,
        key: input.key,
        name: input.name ?? input.key,
        description: input.description ?? '',
        type: input.type ?? 'release',
        variants: input.variants.map((v) => ({ key: v.key, value: v.value })),
        owner: input.owner ?? null,
        tags: [...new Set(input.tags ?? [])],
        archived: false,
        createdBy: ctx.actor.username,
        createdAt: tx.now,
        updatedAt: tx.now,
        version: 1,
      };
      try {
        await tx.stores.flags.insert(flag);
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`Flag ${input.key} already exists in ${projectKey}.`, { project: projectKey, flag: input.key });
        throw error;
      }
      const log = new RuleSetLog(tx.stores, project.key, tx.now);
      await log.appendEverywhere({ flags: [ruleSetFlag(flag, undefined)] });
      const summary = `${flag.key} added with variants ${variantList(flag.variants)}`;
      await tx.record(ctx, {
        action: 'flag.created',
        resourceType: 'flag',
        resourceId: `${project.key}/${flag.key}`,
        after: flag,
        event: { type: 'flag.changed', payload: { project: project.key, environment: null, flag: flag.key, summary, before: null, after: flag }, projectKey: project.key },
      });
      return { result: view(project, flag, await tx.stores.environments.all(), []), log };
    });
    log.announce(this.fanout);
    return result;
  }

  /** Merges the change into the flag read under its row lock; with `If-Match`, 412 when it changed since. */
  async update(ctx: RequestContext, projectKey: string, flagKey: string, input: UpdateFlagInput, precondition?: Precondition): Promise<FlagView> {
    authorize(ctx.actor, { role: 'engineer', action: 'Changing a flag' });
    const { result, log } = await this.uow.transaction(async (tx) => {
      const project = await requireProject(tx.stores, projectKey);
      const before = await requireFlag(tx.stores, project, flagKey, true);
      checkPrecondition(precondition, before, `Flag ${flagKey}`);
      const envs = await tx.stores.environments.all();
      const servingChanges = input.variants !== undefined || (input.archived !== undefined && input.archived !== before.archived);
      if (servingChanges) {
        // New variant values or archiving change what every environment serves, protected ones included.
        for (const env of envs) authorize(ctx.actor, { role: 'engineer', action: 'Changing the variants of a flag or archiving it', environment: env });
      }
      const after: Flag = {
        ...before,
        ...(input.name !== undefined && { name: input.name }),
        ...(input.description !== undefined && { description: input.description }),
        ...(input.type !== undefined && { type: input.type }),
        ...(input.variants !== undefined && { variants: input.variants.map((v) => ({ key: v.key, value: v.value })) }),
        ...(input.owner !== undefined && { owner: input.owner }),
        ...(input.tags !== undefined && { tags: [...new Set(input.tags)] }),
        ...(input.archived !== undefined && { archived: input.archived }),
        updatedAt: tx.now,
        version: before.version + 1,
      };
      const arrays = input.variants !== undefined ? arrayVariantProblems(after.variants) : [];
      if (arrays.length > 0) throw problemsError(`Flag ${after.key}`, arrays);
      const configs = await tx.stores.flags.environments(before.id);
      await this.checkDefinition(tx.stores, project, after, configs);
      if (after.archived && !before.archived) await this.checkNotPrerequisite(tx.stores, project, after);
      await tx.stores.flags.update(after);
      const log = new RuleSetLog(tx.stores, project.key, tx.now);
      const byEnv = new Map(configs.map((c) => [c.environmentKey, c.config]));
      if (after.archived && !before.archived) await log.appendEverywhere({ deletedFlags: [after.key] });
      else if (!after.archived) await log.appendEverywhere((env) => ({ flags: [ruleSetFlag(after, byEnv.get(env))] }));
      const summary = definitionSummary(before, after);
      await tx.record(ctx, {
        action: after.archived && !before.archived ? 'flag.archived' : 'flag.updated',
        resourceType: 'flag',
        resourceId: `${project.key}/${after.key}`,
        before,
        after,
        event: { type: 'flag.changed', payload: { project: project.key, environment: null, flag: after.key, summary, before, after }, projectKey: project.key },
      });
      return { result: view(project, after, envs, configs), log };
    });
    log.announce(this.fanout);
    return result;
  }

  /** DELETE archives: the flag leaves every rule set but its history and key stay (restore with archived: false). */
  async archive(ctx: RequestContext, projectKey: string, flagKey: string): Promise<FlagView> {
    return this.update(ctx, projectKey, flagKey, { archived: true });
  }

  /**
   * Sets a flag's configuration in one environment. `input` may be a function of the stored
   * configuration (a rollout step changes only the split): it is applied under the flag's row
   * lock, so an edit saved meanwhile is kept, not overwritten with what was read before.
   */
  async configure(ctx: RequestContext, projectKey: string, flagKey: string, environmentKey: string, input: EnvConfig | ((current: EnvConfig) => EnvConfig)): Promise<FlagEnvironmentView> {
    authorize(ctx.actor, { role: 'engineer', action: 'Changing a flag' });
    const given = typeof input === 'function' ? null : normalizeConfig(input);
    const { result, log } = await this.uow.transaction(async (tx) => {
      const project = await requireProject(tx.stores, projectKey);
      // Locked: configurations of one flag, and its definition, change one at a time.
      const flag = await requireFlag(tx.stores, project, flagKey, true);
      const env = await tx.stores.environments.get(environmentKey);
      if (!env) throw new NotFoundError(`Environment ${environmentKey} does not exist.`, { environment: environmentKey });
      authorize(ctx.actor, { role: 'engineer', action: 'Changing a flag', environment: env });
      if (flag.archived) throw new ConflictError(`Flag ${flag.key} is archived: restore it (archived: false) before configuring it.`, { flag: flag.key });
      const stored = await tx.stores.flags.environment(flag.id, env.key);
      const before = stored?.config ?? implicitConfig(flag.variants);
      const config = given ?? normalizeConfig((input as (current: EnvConfig) => EnvConfig)(before));
      const segments = (await tx.stores.segments.all(project.id)).map(ruleSetSegment);
      const problems = [
        ...validateFlagConfig(flag, config, segments),
        ...(config.rules ?? []).flatMap((r, i) => unsafeConditionPatterns(`environment.rules[${i}].conditions`, r?.conditions)),
        ...(await prerequisiteProblems(tx.stores, project, flag, config)),
      ];
      if (problems.length > 0) throw problemsError(`The configuration of ${flag.key} in ${env.key}`, problems);
      const record: FlagEnvironment = { flagId: flag.id, environmentKey: env.key, config, updatedBy: ctx.actor.username, updatedAt: tx.now };
      await tx.stores.flags.putEnvironment(record);
      await tx.stores.flags.touch(flag.id, tx.now);
      const log = new RuleSetLog(tx.stores, project.key, tx.now);
      await log.append(env.key, { flags: [ruleSetFlag(flag, config)] });
      const summary = summarizeConfigChange(flag.key, env.key, before, config);
      const auditBefore = stored ? stored.config : null;
      await tx.record(ctx, {
        action: 'flag.configured',
        resourceType: 'flag',
        resourceId: `${project.key}/${flag.key}`,
        before: auditBefore === null ? null : { environment: env.key, config: auditBefore },
        after: { environment: env.key, config },
        event: {
          type: 'flag.changed',
          payload: { project: project.key, environment: env.key, flag: flag.key, summary, before: auditBefore, after: config },
          projectKey: project.key,
          environmentKey: env.key,
        },
      });
      return { result: envView(env, record), log };
    });
    log.announce(this.fanout);
    return result;
  }

  /** New variants must still satisfy every stored configuration. */
  private async checkDefinition(stores: Stores, project: ProjectRecord, flag: Flag, configs: FlagEnvironment[]): Promise<void> {
    const own = validateFlagConfig(flag);
    if (own.length > 0) throw problemsError(`Flag ${flag.key}`, own);
    const segments = (await stores.segments.all(project.id)).map(ruleSetSegment);
    for (const c of configs) {
      const problems = validateFlagConfig(flag, c.config, segments);
      if (problems.length > 0) {
        throw problemsError(`Flag ${flag.key} with these variants no longer fits its configuration in ${c.environmentKey}, which`, problems);
      }
    }
  }

  private async checkNotPrerequisite(stores: Stores, project: ProjectRecord, flag: Flag): Promise<void> {
    const flags = new Map((await stores.flags.all(project.id)).map((f) => [f.id, f]));
    const dependents = new Set<string>();
    for (const c of await stores.flags.allConfigs(project.id)) {
      const owner = flags.get(c.flagId);
      if (owner && !owner.archived && (c.config.prerequisites ?? []).some((p) => p.flag === flag.key)) dependents.add(`${owner.key} (${c.environmentKey})`);
    }
    if (dependents.size > 0) {
      throw new ConflictError(`Flag ${flag.key} is a prerequisite of ${[...dependents].join(', ')}: remove it there first.`, { flags: [...dependents] });
    }
  }
}

export async function requireProject(stores: Pick<Stores, 'projects'>, key: string): Promise<ProjectRecord> {
  const project = await stores.projects.get(key);
  if (!project) throw new NotFoundError(`Project ${key} does not exist.`, { project: key });
  return project;
}

async function requireFlag(stores: Pick<Stores, 'flags'>, project: ProjectRecord, key: string, forUpdate = false): Promise<Flag> {
  const flag = forUpdate ? await stores.flags.getForUpdate(project.id, key) : await stores.flags.get(project.id, key);
  if (!flag) throw new NotFoundError(`Flag ${key} does not exist in ${project.key}.`, { project: project.key, flag: key });
  return flag;
}


export async function prerequisiteProblems(stores: Stores, project: ProjectRecord, flag: Flag, config: EnvConfig): Promise<ValidationProblem[]> {
  const problems: ValidationProblem[] = [];
  for (const [i, p] of (config.prerequisites ?? []).entries()) {
    if (p.flag === flag.key) continue; // the engine's validation reports this one
    const other = await stores.flags.get(project.id, p.flag);
    if (!other || other.archived) problems.push({ path: `environment.prerequisites[${i}].flag`, message: `flag "${p.flag}" does not exist in ${project.key}` });
    else if (!other.variants.some((v) => v.key === p.variant)) {
      problems.push({ path: `environment.prerequisites[${i}].variant`, message: `flag "${p.flag}" has no variant "${p.variant}"; it has ${variantList(other.variants)}` });
    }
  }
  return problems;
}

function groupByFlag(configs: FlagEnvironment[]): Map<string, FlagEnvironment[]> {
  const out = new Map<string, FlagEnvironment[]>();
  for (const c of configs) out.set(c.flagId, [...(out.get(c.flagId) ?? []), c]);
  return out;
}

function envView(env: Environment, stored: FlagEnvironment | undefined, implicit?: EnvConfig): FlagEnvironmentView {
  const config = stored?.config ?? implicit!;
  return {
    environment: envSummary(env),
    configured: stored !== undefined,
    config,
    summary: describeConfig(config),
    updatedAt: stored?.updatedAt ?? null,
    updatedBy: stored?.updatedBy ?? null,
  };
}

function view(project: ProjectRecord, flag: Flag, envs: Environment[], configs: FlagEnvironment[]): FlagView {
  const byEnv = new Map(configs.map((c) => [c.environmentKey, c]));
  const implicit = implicitConfig(flag.variants);
  return { ...flag, projectKey: project.key, environments: envs.map((e) => envView(e, byEnv.get(e.key), implicit)) };
}

function definitionSummary(before: Flag, after: Flag): string {
  if (after.archived && !before.archived) return `${after.key} archived`;
  if (!after.archived && before.archived) return `${after.key} restored`;
  const parts: string[] = [];
  if (JSON.stringify(before.variants) !== JSON.stringify(after.variants)) {
    parts.push(variantList(before.variants) === variantList(after.variants) ? 'variant values changed' : `variants ${variantList(before.variants)} → ${variantList(after.variants)}`);
  }
  if (before.name !== after.name) parts.push(`renamed to "${after.name}"`);
  if (before.type !== after.type) parts.push(`type ${before.type} → ${after.type}`);
  if (before.owner !== after.owner) parts.push(`owner ${before.owner ?? 'none'} → ${after.owner ?? 'none'}`);
  if (before.description !== after.description) parts.push('description changed');
  if (JSON.stringify(before.tags) !== JSON.stringify(after.tags)) parts.push(`tags ${after.tags.join(', ') || 'none'}`);
  return `${after.key}: ${parts.length > 0 ? parts.join('; ') : 'saved without changes'}`;
}

