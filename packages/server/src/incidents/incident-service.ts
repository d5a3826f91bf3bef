import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import type { Uow } from '../db/stores.js';
import type { DoraService, IncidentView } from '../insights/dora-service.js';
import type { Clock } from '../shared/clock.js';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import type { IncidentRecord } from './incident-store.js';

export interface CreateIncidentInput {
  project?: string;
  environment?: string;
  title: string;
  severity?: string;
  openedAt?: string;
  resolvedAt?: string;
  deployment?: string;
  version?: string;
}

/**
 * Incidents Slipway cannot see in its own deployments (a bad config, an outage of a dependency):
 * reported with POST /incidents, counted in time to restore and, when linked to a deployment or a
 * version, in change failure rate. Incidents of failed and rolled-back deployments are derived
 * (DoraService) and listed beside these.
 */
export class IncidentService {
  constructor(
    private readonly uow: Uow,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly dora: DoraService,
  ) {}

  private instant(value: string | undefined, field: string, fallback: string): string {
    if (value === undefined) return fallback;
    const at = Date.parse(value);
    if (!Number.isFinite(at)) throw new ValidationError(`${field} must be an ISO-8601 date-time.`, { field });
    if (at > this.clock.now().getTime() + 5 * 60_000) throw new ValidationError(`${field} is in the future.`, { field });
    return new Date(at).toISOString();
  }

  async create(ctx: RequestContext, input: CreateIncidentInput): Promise<IncidentRecord> {
    authorize(ctx.actor, { role: 'engineer', action: 'Reporting an incident' });
    const now = this.clock.now().toISOString();
    const environment = input.environment ?? 'production';
    if (!(await this.uow.reads.environments.get(environment))) throw new NotFoundError(`Environment ${environment} does not exist.`, { environment, field: 'environment' });
    let project = input.project === undefined ? null : await this.uow.reads.projects.get(input.project);
    if (input.project !== undefined && !project) throw new NotFoundError(`Project ${input.project} does not exist.`, { project: input.project, field: 'project' });
    let version = input.version ?? null;
    if (input.deployment !== undefined) {
      const d = await this.uow.reads.deployments.get(input.deployment);
      if (!d) throw new NotFoundError(`Deployment ${input.deployment} does not exist.`, { deployment: input.deployment, field: 'deployment' });
      if (d.environment !== environment) throw new ValidationError(`Deployment ${d.id} went to ${d.environment}, not ${environment}.`, { field: 'deployment' });
      if (project && project.id !== d.projectId) throw new ValidationError(`Deployment ${d.id} is of ${d.projectKey}, not ${project.key}.`, { field: 'deployment' });
      project ??= await this.uow.reads.projects.get(d.projectKey);
      version ??= d.version;
    }
    if (version !== null && !project) throw new ValidationError('A version needs its project: give project too.', { field: 'version' });
    const openedAt = this.instant(input.openedAt, 'openedAt', now);
    const resolvedAt = input.resolvedAt === undefined ? null : this.instant(input.resolvedAt, 'resolvedAt', now);
    if (resolvedAt !== null && resolvedAt < openedAt) throw new ValidationError('resolvedAt must not be before openedAt.', { field: 'resolvedAt' });
    return this.uow.transaction(async (tx) => {
      const incident: IncidentRecord = {
        id: this.ids.next(),
        projectId: project?.id ?? null,
        projectKey: project?.key ?? null,
        environment,
        title: input.title,
        severity: input.severity ?? null,
        deploymentId: input.deployment ?? null,
        version,
        openedAt,
        resolvedAt,
        createdBy: ctx.actor.username,
        createdAt: tx.now,
        updatedAt: tx.now,
      };
      await tx.stores.incidents.insert(incident);
      await tx.record(ctx, {
        action: 'incident.opened',
        resourceType: 'incident',
        resourceId: incident.id,
        after: incident,
        event: { type: 'incident.opened', projectKey: incident.projectKey, environmentKey: environment, payload: { incident: incident.id, project: incident.projectKey, environment, title: incident.title, severity: incident.severity, version, deploymentId: incident.deploymentId, openedAt, resolvedAt } },
      });
      return incident;
    });
  }

  async resolve(ctx: RequestContext, id: string, input: { resolvedAt?: string }): Promise<IncidentRecord> {
    authorize(ctx.actor, { role: 'engineer', action: 'Resolving an incident' });
    const incident = await this.uow.reads.incidents.get(id);
    if (!incident) throw new NotFoundError(`Incident ${id} does not exist${id.startsWith('deployment:') ? ': incidents of deployments resolve with the next successful deployment' : ''}.`, { incident: id });
    const resolvedAt = this.instant(input.resolvedAt, 'resolvedAt', this.clock.now().toISOString());
    if (resolvedAt < incident.openedAt) throw new ValidationError('resolvedAt must not be before the incident opened.', { field: 'resolvedAt', openedAt: incident.openedAt });
    return this.uow.transaction(async (tx) => {
      if (!(await tx.stores.incidents.resolve(id, resolvedAt, tx.now))) throw new ConflictError(`Incident ${id} is already resolved (at ${incident.resolvedAt}).`, { incident: id });
      const after = { ...incident, resolvedAt, updatedAt: tx.now };
      await tx.record(ctx, {
        action: 'incident.resolved',
        resourceType: 'incident',
        resourceId: id,
        before: incident,
        after,
        event: { type: 'incident.resolved', projectKey: incident.projectKey, environmentKey: incident.environment, payload: { incident: id, project: incident.projectKey, environment: incident.environment, title: incident.title, openedAt: incident.openedAt, resolvedAt } },
      });
      return after;
    });
  }

  list(q: { project?: string; environment: string; from: Date; to: Date }): Promise<IncidentView[]> {
    return this.dora.incidents(q);
  }
}
