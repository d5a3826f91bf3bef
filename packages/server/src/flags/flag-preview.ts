import { validateFlagConfig } from '@slipway/flag-engine';
import type { EnvConfig, Evaluator, FlagValue, ValidationProblem } from '@slipway/flag-engine';
import type { RequestContext } from '../auth/actor.js';
import { authorize, changeRoleOf } from '../auth/permissions.js';
import type { Uow } from '../db/stores.js';
import { DomainError, NotFoundError, ValidationError } from '../shared/errors.js';
import { decodeCursor, isString, toPage, type Page, type PageRequest } from '../shared/page.js';
import { implicitConfig, normalizeConfig, ruleSetSegment } from './flag-model.js';
import { prerequisiteProblems, requireProject } from './flag-service.js';
import { describeConfig, summarizeConfigChange } from './flag-summary.js';

/** Where the rule sets SDKs receive come from (sdk/flag-delivery.ts), so previews use the same engine and data. */
export interface RuleSetSource {
  state(project: string, environment: string): Promise<{ evaluator(): Evaluator }>;
}

export interface ContextEvaluation {
  environment: string;
  value: FlagValue | null;
  variant: string | null;
  reason: string;
  errorCode: string | null;
  /** Whether an individual target listing the context's `targetingKey` decided the answer (a per-user override). */
  overridden: boolean;
}

export interface FlagEvaluations {
  key: string;
  name: string;
  type: string;
  results: ContextEvaluation[];
}

export interface ConfigPreview {
  /** Whether saving this configuration would be accepted for you (valid and permitted). */
  allowed: boolean;
  problems: ValidationProblem[];
  /** The permission refusal, when you may not change this environment. */
  refusal: { code: string; message: string } | null;
  environment: { key: string; protected: boolean; production: boolean };
  /** Who may change flags here: engineer, or release-manager in a protected environment. */
  requiredRole: string;
  before: EnvConfig;
  after: EnvConfig;
  /** One line, as the audit trail and chat messages will say it. */
  summary: string;
  beforeSummary: string;
  afterSummary: string;
}

export interface FlagHistoryEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  environment: string | null;
  summary: string;
  before: unknown;
  after: unknown;
}

/** The targeting key as individual targets match it (the flag engine compares it as a string). */
function targetingKeyOf(context: Record<string, unknown>): string | undefined {
  const tk = context['targetingKey'];
  return typeof tk === 'string' ? tk : typeof tk === 'number' || typeof tk === 'boolean' ? String(tk) : undefined;
}

/** Read-only views of flags for the web app: what a user gets everywhere, a change before it is saved, history. */
export class FlagPreviewService {
  constructor(
    private readonly uow: Uow,
    private readonly ruleSets: RuleSetSource,
  ) {}

  /**
   * What every flag of the project serves one context (a user) in every environment, evaluated by
   * the flag engine on the same rule sets the SDKs get. Nothing is counted as an evaluation.
   */
  async evaluate(ctx: RequestContext, projectKey: string, context: Record<string, unknown>, only: { environments?: string[]; flags?: string[] } = {}): Promise<{ environments: string[]; flags: FlagEvaluations[] }> {
    authorize(ctx.actor, { role: 'viewer', action: 'Previewing flag evaluations' });
    const project = await requireProject(this.uow.reads, projectKey);
    const envs = (await this.uow.reads.environments.all()).map((e) => e.key);
    const unknownEnv = (only.environments ?? []).filter((e) => !envs.includes(e));
    if (unknownEnv.length > 0) throw new NotFoundError(`Environment ${unknownEnv.join(', ')} does not exist.`, { environments: unknownEnv });
    const environments = only.environments ? envs.filter((e) => only.environments!.includes(e)) : envs;
    const flags = (await this.uow.reads.flags.all(project.id)).filter((f) => !f.archived && (only.flags === undefined || only.flags.includes(f.key)));
    const evaluators = await Promise.all(environments.map(async (env) => ({ env, evaluator: (await this.ruleSets.state(project.key, env)).evaluator() })));
    const configs = new Map((await this.uow.reads.flags.allConfigs(project.id)).map((c) => [`${c.flagId}\0${c.environmentKey}`, c.config]));
    const key = targetingKeyOf(context);
    return {
      environments,
      flags: flags.map((flag) => ({
        key: flag.key,
        name: flag.name,
        type: flag.type,
        results: evaluators.map(({ env, evaluator }) => {
          const r = evaluator.evaluate(flag.key, context);
          const target = key === undefined ? undefined : configs.get(`${flag.id}\0${env}`)?.targets?.find((t) => t.values.includes(key));
          const overridden = target !== undefined && r.reason === 'TARGETING_MATCH' && r.variant === target.variant;
          return { environment: env, value: r.value ?? null, variant: r.variant ?? null, reason: r.reason, errorCode: r.errorCode ?? null, overridden };
        }),
      })),
    };
  }

  /** What saving a configuration would do, and whether it would be accepted, without saving it. */
  async previewConfig(ctx: RequestContext, projectKey: string, flagKey: string, environmentKey: string, input: EnvConfig): Promise<ConfigPreview> {
    authorize(ctx.actor, { role: 'viewer', action: 'Previewing a flag change' });
    const reads = this.uow.reads;
    const project = await requireProject(reads, projectKey);
    const flag = await reads.flags.get(project.id, flagKey);
    if (!flag) throw new NotFoundError(`Flag ${flagKey} does not exist in ${project.key}.`, { project: project.key, flag: flagKey });
    const env = await reads.environments.get(environmentKey);
    if (!env) throw new NotFoundError(`Environment ${environmentKey} does not exist.`, { environment: environmentKey });
    const after = normalizeConfig(input);
    const segments = (await reads.segments.all(project.id)).map(ruleSetSegment);
    const problems = [...validateFlagConfig(flag, after, segments), ...(await prerequisiteProblems(reads, project, flag, after))];
    if (flag.archived) problems.push({ path: 'flag', message: `${flag.key} is archived: restore it before configuring it` });
    let refusal: ConfigPreview['refusal'] = null;
    try {
      authorize(ctx.actor, { role: 'engineer', action: 'Changing a flag', environment: env });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      refusal = { code: error.code, message: error.message };
    }
    const before = (await reads.flags.environment(flag.id, env.key))?.config ?? implicitConfig(flag.variants);
    return {
      allowed: problems.length === 0 && refusal === null,
      problems,
      refusal,
      environment: { key: env.key, protected: env.protected, production: env.production ?? false },
      requiredRole: changeRoleOf(env),
      before,
      after,
      summary: summarizeConfigChange(flag.key, env.key, before, after),
      beforeSummary: describeConfig(before),
      afterSummary: describeConfig(after),
    };
  }

  /** A flag's changes, newest first, each with a one-line summary. */
  async history(ctx: RequestContext, projectKey: string, flagKey: string, page: PageRequest): Promise<Page<FlagHistoryEntry>> {
    authorize(ctx.actor, { role: 'viewer', action: 'Reading the history of a flag' });
    const project = await requireProject(this.uow.reads, projectKey);
    const flag = await this.uow.reads.flags.get(project.id, flagKey);
    if (!flag) throw new NotFoundError(`Flag ${flagKey} does not exist in ${project.key}.`, { project: project.key, flag: flagKey });
    const before = decodeCursor(page.cursor, isString);
    const rows = await this.uow.reads.audit.list({ resourceType: 'flag', resourceId: `${project.key}/${flag.key}`, ...(before !== null && { before }), limit: page.limit + 1 });
    const entries = rows.map((r): FlagHistoryEntry => {
      const a = r.after as { environment?: string; config?: EnvConfig } | null;
      const b = r.before as { environment?: string; config?: EnvConfig } | null;
      const environment = r.action === 'flag.configured' ? (a?.environment ?? null) : null;
      let summary = r.action.replace(/^flag\./, '');
      if (r.action === 'flag.configured' && a?.config && environment) summary = summarizeConfigChange(flag.key, environment, b?.config ?? implicitConfig(flag.variants), a.config);
      return { id: r.id, at: r.at, actor: r.actor.name, action: r.action, environment, summary, before: r.before, after: r.after };
    });
    return toPage(entries, page.limit, (e) => e.id);
  }
}

/** A context must be an object of attributes with a string targetingKey, if any. */
export function checkContext(context: Record<string, unknown>): void {
  if (context.targetingKey !== undefined && typeof context.targetingKey !== 'string') {
    throw new ValidationError('context.targetingKey must be a string.', { field: 'context.targetingKey' });
  }
}
