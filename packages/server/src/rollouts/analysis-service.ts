import { validatePlan, validateSpec, validateTemplate, type AnalysisTemplate, type Plan, type ResolvedMetric, type ResolvedStep, type RolloutSpec, type ValidationProblem } from '@slipway/rollout-engine';
import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import { isUniqueViolation } from '../db/connect.js';
import type { Stores, Uow } from '../db/stores.js';
import { requireProject } from '../flags/flag-service.js';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import type { NamedBody } from './analysis-store.js';
import { providerProblems } from './providers.js';
import { DEFAULT_OUTBOUND_POLICY, type OutboundPolicy } from '../shared/outbound-policy.js';
import { SHIPPED_PLANS, SHIPPED_TEMPLATES } from './shipped.js';
import type { SecretBox } from '../shared/secret-box.js';
import { redactTemplate, sealTemplate } from './template-secrets.js';

/** A template or plan as the API shows it: stored ones and the shipped defaults (`builtIn: true`). */
export interface NamedView<T> {
  name: string;
  builtIn: boolean;
  body: T;
  createdBy: string | null;
  createdAt: string | null;
  updatedAt: string | null;
}

/** A 400 listing every problem, the first one (with its field) in the message. */
export function invalid(what: string, problems: readonly ValidationProblem[]): ValidationError {
  const first = problems[0]!;
  return new ValidationError(`${what} is not valid: ${first.path} ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, {
    field: first.path,
    problems: problems.map((p) => ({ path: p.path, message: p.message })),
  });
}

/** Every problem of a template: the engine's checks plus each provider's own fields. */
export async function templateProblems(template: unknown, path: string, outbound: OutboundPolicy = DEFAULT_OUTBOUND_POLICY): Promise<ValidationProblem[]> {
  const problems = validateTemplate(template, path);
  const metrics = (template as { metrics?: unknown }).metrics;
  if (Array.isArray(metrics)) {
    for (const [i, m] of metrics.entries()) problems.push(...(await providerProblems((m as { provider?: unknown } | null)?.provider, `${path}.metrics[${i}].provider`, outbound)));
  }
  return problems;
}

/** A template as the API shows it: the web provider's header values write-only. */
function shownTemplate(v: NamedView<AnalysisTemplate>): NamedView<AnalysisTemplate> {
  return { ...v, body: redactTemplate(v.body) };
}

function view<T>(stored: NamedBody<T> | null, name: string, shipped: T | undefined): NamedView<T> | null {
  if (stored) return { name: stored.name, builtIn: false, body: stored.body, createdBy: stored.createdBy, createdAt: stored.createdAt, updatedAt: stored.updatedAt };
  return shipped ? { name, builtIn: true, body: shipped, createdBy: null, createdAt: null, updatedAt: null } : null;
}

/** Analysis templates and rollout plans per project, with the shipped defaults, and resolving them into a rollout spec. */
export class AnalysisService {
  constructor(
    private readonly uow: Uow,
    private readonly ids: IdGenerator,
    private readonly outbound: OutboundPolicy = DEFAULT_OUTBOUND_POLICY,
    /** Seals the web provider's header values (API keys); without it they are stored as given (unit tests). */
    private readonly secrets?: SecretBox,
  ) {}

  async listTemplates(projectKey: string): Promise<Array<NamedView<AnalysisTemplate>>> {
    const project = await requireProject(this.uow.reads, projectKey);
    return this.merge(await this.uow.reads.analysisTemplates.all(project.id), SHIPPED_TEMPLATES).map(shownTemplate);
  }

  async listPlans(projectKey: string): Promise<Array<NamedView<Plan>>> {
    const project = await requireProject(this.uow.reads, projectKey);
    return this.merge(await this.uow.reads.rolloutPlans.all(project.id), SHIPPED_PLANS);
  }

  async getTemplate(projectKey: string, name: string): Promise<NamedView<AnalysisTemplate>> {
    const project = await requireProject(this.uow.reads, projectKey);
    const found = view(await this.uow.reads.analysisTemplates.get(project.id, name), name, SHIPPED_TEMPLATES[name]);
    if (!found) throw new NotFoundError(`Analysis template ${name} does not exist in ${projectKey}.`, { template: name });
    return shownTemplate(found);
  }

  async getPlan(projectKey: string, name: string): Promise<NamedView<Plan>> {
    const project = await requireProject(this.uow.reads, projectKey);
    const found = view(await this.uow.reads.rolloutPlans.get(project.id, name), name, SHIPPED_PLANS[name]);
    if (!found) throw new NotFoundError(`Rollout plan ${name} does not exist in ${projectKey}.`, { plan: name });
    return found;
  }

  async createTemplate(ctx: RequestContext, projectKey: string, input: AnalysisTemplate): Promise<NamedView<AnalysisTemplate>> {
    authorize(ctx.actor, { role: 'engineer', action: 'Creating an analysis template' });
    const problems = await templateProblems(input, 'body', this.outbound);
    if (problems.length > 0) throw invalid(`Analysis template ${String(input.name)}`, problems);
    if (SHIPPED_TEMPLATES[input.name]) throw new ConflictError(`${input.name} is a shipped template; give yours another name.`, { field: 'body.name' });
    const stored = this.secrets ? sealTemplate(input, this.secrets) : input;
    return shownTemplate(await this.create(ctx, projectKey, 'analysisTemplates', 'analysis_template', input.name, stored, redactTemplate(input)));
  }

  async createPlan(ctx: RequestContext, projectKey: string, input: { name: string } & Plan): Promise<NamedView<Plan>> {
    authorize(ctx.actor, { role: 'engineer', action: 'Creating a rollout plan' });
    const { name, ...plan } = input;
    const problems = validatePlan(plan, 'body');
    if (problems.length > 0) throw invalid(`Rollout plan ${name}`, problems);
    if (SHIPPED_PLANS[name]) throw new ConflictError(`${name} is a shipped plan; give yours another name.`, { field: 'body.name' });
    const project = await requireProject(this.uow.reads, projectKey);
    await this.resolve(this.uow.reads, project.id, plan, [], 'body');
    return this.create(ctx, projectKey, 'rolloutPlans', 'rollout_plan', name, plan, plan);
  }

  async delete(ctx: RequestContext, projectKey: string, kind: 'analysisTemplates' | 'rolloutPlans', name: string): Promise<void> {
    authorize(ctx.actor, { role: 'engineer', action: 'Deleting an analysis template or plan' });
    await this.uow.transaction(async (tx) => {
      const project = await requireProject(tx.stores, projectKey);
      const stored = await tx.stores[kind].get(project.id, name);
      if (!stored) throw new NotFoundError(`${name} does not exist in ${projectKey}${(kind === 'analysisTemplates' ? SHIPPED_TEMPLATES : SHIPPED_PLANS)[name] ? ' (shipped ones cannot be deleted)' : ''}.`, { name });
      await tx.stores[kind].delete(stored.id);
      const type = kind === 'analysisTemplates' ? 'analysis_template' : 'rollout_plan';
      const before = kind === 'analysisTemplates' ? redactTemplate(stored.body as AnalysisTemplate) : stored.body;
      await tx.record(ctx, { action: `${type}.deleted`, resourceType: type, resourceId: `${projectKey}/${name}`, before });
    });
  }

  /** `audited` is what the audit log keeps of the body (a template's header values as "set"). */
  private async create<T>(ctx: RequestContext, projectKey: string, kind: 'analysisTemplates' | 'rolloutPlans', type: string, name: string, body: T, audited: T): Promise<NamedView<T>> {
    return this.uow.transaction(async (tx) => {
      const project = await requireProject(tx.stores, projectKey);
      const item: NamedBody<T> = { id: this.ids.next(), projectId: project.id, name, body, createdBy: ctx.actor.username, createdAt: tx.now, updatedAt: tx.now };
      try {
        await (tx.stores[kind] as unknown as { insert(i: NamedBody<T>): Promise<void> }).insert(item);
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`${name} already exists in ${projectKey}.`, { field: 'body.name', name });
        throw error;
      }
      await tx.record(ctx, { action: `${type}.created`, resourceType: type, resourceId: `${projectKey}/${name}`, after: audited });
      return view(item, name, undefined)!;
    });
  }

  private merge<T>(stored: Array<NamedBody<T>>, shipped: Record<string, T>): Array<NamedView<T>> {
    const out = new Map<string, NamedView<T>>();
    for (const [name, body] of Object.entries(shipped)) out.set(name, view(null, name, body)!);
    for (const s of stored) out.set(s.name, view(s, s.name, undefined)!);
    return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** A plan by name (stored or shipped) or given inline; `field` names where it came from in errors. */
  async planOf(stores: Stores, projectId: string, plan: string | Plan, field: string): Promise<{ plan: Plan; name: string | null }> {
    if (typeof plan === 'string') {
      const stored = await stores.rolloutPlans.get(projectId, plan);
      const found = stored?.body ?? SHIPPED_PLANS[plan];
      if (!found) throw new ValidationError(`${field}: there is no rollout plan named ${plan}; list them with GET …/rollout-plans or give { steps: [...] }.`, { field, plan });
      return { plan: found, name: plan };
    }
    const problems = validatePlan(plan, field);
    if (problems.length > 0) throw invalid('The plan', problems);
    return { plan, name: null };
  }

  async templateExists(stores: Stores, projectId: string, name: string): Promise<boolean> {
    return SHIPPED_TEMPLATES[name] !== undefined || (await stores.analysisTemplates.get(projectId, name)) !== null;
  }

  /** Resolves a plan's templates (and extra background templates) into the spec the engine runs. */
  async resolve(stores: Stores, projectId: string, plan: Plan, extraBackground: string[], field: string): Promise<RolloutSpec> {
    const cache = new Map<string, AnalysisTemplate>();
    const problems: ValidationProblem[] = [];
    const metricsOf = async (names: string[], at: string): Promise<ResolvedMetric[]> => {
      const out: ResolvedMetric[] = [];
      for (const [i, name] of names.entries()) {
        let template = cache.get(name) ?? (await stores.analysisTemplates.get(projectId, name))?.body ?? SHIPPED_TEMPLATES[name];
        if (!template) {
          problems.push({ path: `${at}[${i}]`, message: `there is no analysis template named ${name}` });
          continue;
        }
        cache.set(name, template);
        out.push(...template.metrics.map((m) => ({ ...m, template: name })));
      }
      return out;
    };
    const steps: ResolvedStep[] = [];
    for (const [i, step] of plan.steps.entries()) {
      if ('analysis' in step) steps.push({ analysis: { templates: step.analysis.templates, metrics: await metricsOf(step.analysis.templates, `${field}.steps[${i}].analysis.templates`) } });
      else steps.push(step);
    }
    const bgNames = [...new Set([...(plan.analysis?.templates ?? []), ...extraBackground])];
    const bgMetrics = await metricsOf(bgNames, plan.analysis ? `${field}.analysis.templates` : 'analysis.templates');
    const spec: RolloutSpec = { steps, background: bgNames.length > 0 ? { metrics: bgMetrics, startingStep: plan.analysis?.startingStep ?? 0 } : null };
    problems.push(...validateSpec(spec, field));
    if (problems.length > 0) throw invalid('The rollout', problems);
    return spec;
  }
}
