import { validateSegment } from '@slipway/flag-engine';
import type { Condition } from '@slipway/flag-engine';
import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import { isUniqueViolation } from '../db/connect.js';
import type { Stores, Uow } from '../db/stores.js';
import type { FlagFanout } from '../fanout/flag-fanout.js';
import type { ProjectRecord } from '../projects/project-store.js';
import { ConflictError, NotFoundError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { decodeCursor, isString, toPage, type Page, type PageRequest } from '../shared/page.js';
import { unsafeConditionPatterns } from '../shared/regex-policy.js';
import { checkPrecondition, type Precondition } from '../shared/versions.js';
import { problemsError, requireProject } from './flag-service.js';
import { segmentsUsed } from './flag-model.js';
import { RuleSetLog } from './rule-set-log.js';
import type { SegmentRecord } from './segment-store.js';

export interface CreateSegmentInput {
  key: string;
  name?: string;
  description?: string;
  conditions: Condition[];
}

export type UpdateSegmentInput = Partial<Omit<CreateSegmentInput, 'key'>>;

export interface SegmentView extends SegmentRecord {
  projectKey: string;
}

/** Where a segment is used: "flag (environment)" entries, and the environments involved. */
interface Usage {
  flags: string[];
  environments: Set<string>;
}

function normalizeConditions(conditions: Condition[]): Condition[] {
  return conditions.map((c) => ({ attribute: c.attribute ?? '', operator: c.operator, ...(c.values !== undefined && { values: [...c.values] }) }));
}

/** Segments: reusable conditions of a project, referenced from rules with `in_segment`. */
export class SegmentService {
  constructor(
    private readonly uow: Uow,
    private readonly ids: IdGenerator,
    private readonly fanout: FlagFanout,
  ) {}

  async list(projectKey: string, page: PageRequest): Promise<Page<SegmentView>> {
    const project = await requireProject(this.uow.reads, projectKey);
    const rows = await this.uow.reads.segments.page(project.id, decodeCursor(page.cursor, isString), page.limit + 1);
    const result = toPage(rows, page.limit, (s) => s.key);
    return { items: result.items.map((s) => ({ ...s, projectKey: project.key })), nextCursor: result.nextCursor };
  }

  async get(projectKey: string, key: string): Promise<SegmentView> {
    const project = await requireProject(this.uow.reads, projectKey);
    return { ...(await requireSegment(this.uow.reads, project, key)), projectKey: project.key };
  }

  async create(ctx: RequestContext, projectKey: string, input: CreateSegmentInput): Promise<SegmentView> {
    authorize(ctx.actor, { role: 'engineer', action: 'Creating a segment' });
    const conditions = normalizeConditions(input.conditions);
    const problems = [...validateSegment({ key: input.key, conditions }), ...unsafeConditionPatterns('segment.conditions', conditions)];
    if (problems.length > 0) throw problemsError(`Segment ${input.key}`, problems);
    const { result, log } = await this.uow.transaction(async (tx) => {
      const project = await requireProject(tx.stores, projectKey);
      const segment: SegmentRecord = {
        id: this.ids.next(),
        projectId: project.id,
        key: input.key,
        name: input.name ?? input.key,
        description: input.description ?? '',
        conditions,
        createdAt: tx.now,
        updatedAt: tx.now,
        version: 1,
      };
      try {
        await tx.stores.segments.insert(segment);
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`Segment ${input.key} already exists in ${projectKey}.`, { project: projectKey, segment: input.key });
        throw error;
      }
      const log = new RuleSetLog(tx.stores, project.key, tx.now);
      await log.appendEverywhere({ segments: [{ key: segment.key, conditions }] });
      await tx.record(ctx, {
        action: 'segment.created',
        resourceType: 'segment',
        resourceId: `${project.key}/${segment.key}`,
        after: segment,
        event: { type: 'segment.changed', payload: { project: project.key, segment: segment.key, summary: `segment ${segment.key} added`, before: null, after: segment }, projectKey: project.key },
      });
      return { result: { ...segment, projectKey: project.key }, log };
    });
    log.announce(this.fanout);
    return result;
  }

  /** Merges the change into the segment read under its row lock; with `If-Match`, 412 when it changed since. */
  async update(ctx: RequestContext, projectKey: string, key: string, input: UpdateSegmentInput, precondition?: Precondition): Promise<SegmentView> {
    authorize(ctx.actor, { role: 'engineer', action: 'Changing a segment' });
    const { result, log } = await this.uow.transaction(async (tx) => {
      const project = await requireProject(tx.stores, projectKey);
      const before = await requireSegment(tx.stores, project, key, true);
      checkPrecondition(precondition, before, `Segment ${key}`);
      const after: SegmentRecord = {
        ...before,
        ...(input.name !== undefined && { name: input.name }),
        ...(input.description !== undefined && { description: input.description }),
        ...(input.conditions !== undefined && { conditions: normalizeConditions(input.conditions) }),
        updatedAt: tx.now,
        version: before.version + 1,
      };
      const problems = [
        ...validateSegment({ key: after.key, conditions: after.conditions }),
        ...(input.conditions !== undefined ? unsafeConditionPatterns('segment.conditions', after.conditions) : []),
      ];
      if (problems.length > 0) throw problemsError(`Segment ${key}`, problems);
      const conditionsChanged = JSON.stringify(before.conditions) !== JSON.stringify(after.conditions);
      const log = new RuleSetLog(tx.stores, project.key, tx.now);
      if (conditionsChanged) {
        // New conditions change who gets what wherever the segment is used, protected environments included.
        const usage = await usageOf(tx.stores, project, key);
        for (const env of await tx.stores.environments.all()) {
          if (usage.environments.has(env.key)) authorize(ctx.actor, { role: 'engineer', action: 'Changing a segment used there', environment: env });
        }
        await log.appendEverywhere({ segments: [{ key: after.key, conditions: after.conditions }] });
      }
      await tx.stores.segments.update(after);
      const summary = `segment ${key}: ${conditionsChanged ? 'conditions changed' : 'renamed or described'}`;
      await tx.record(ctx, {
        action: 'segment.updated',
        resourceType: 'segment',
        resourceId: `${project.key}/${key}`,
        before,
        after,
        event: { type: 'segment.changed', payload: { project: project.key, segment: key, summary, before, after }, projectKey: project.key },
      });
      return { result: { ...after, projectKey: project.key }, log };
    });
    log.announce(this.fanout);
    return result;
  }

  async delete(ctx: RequestContext, projectKey: string, key: string): Promise<void> {
    authorize(ctx.actor, { role: 'engineer', action: 'Deleting a segment' });
    const log = await this.uow.transaction(async (tx) => {
      const project = await requireProject(tx.stores, projectKey);
      const before = await requireSegment(tx.stores, project, key, true);
      const usage = await usageOf(tx.stores, project, key);
      if (usage.flags.length > 0) {
        throw new ConflictError(`Segment ${key} is used by ${usage.flags.join(', ')}: remove it from their rules first.`, { flags: usage.flags });
      }
      await tx.stores.segments.delete(before.id);
      const log = new RuleSetLog(tx.stores, project.key, tx.now);
      await log.appendEverywhere({ deletedSegments: [key] });
      await tx.record(ctx, {
        action: 'segment.deleted',
        resourceType: 'segment',
        resourceId: `${project.key}/${key}`,
        before,
        event: { type: 'segment.changed', payload: { project: project.key, segment: key, summary: `segment ${key} deleted`, before, after: null }, projectKey: project.key },
      });
      return log;
    });
    log.announce(this.fanout);
  }
}

async function requireSegment(stores: Pick<Stores, 'segments'>, project: ProjectRecord, key: string, forUpdate = false): Promise<SegmentRecord> {
  const segment = forUpdate ? await stores.segments.getForUpdate(project.id, key) : await stores.segments.get(project.id, key);
  if (!segment) throw new NotFoundError(`Segment ${key} does not exist in ${project.key}.`, { project: project.key, segment: key });
  return segment;
}

/** The flags (of any state, archived too: restoring one must not find its segment gone) using a segment. */
async function usageOf(stores: Stores, project: ProjectRecord, key: string): Promise<Usage> {
  const flags = new Map((await stores.flags.all(project.id)).map((f) => [f.id, f.key]));
  const usage: Usage = { flags: [], environments: new Set() };
  const names = new Set<string>();
  for (const c of await stores.flags.allConfigs(project.id)) {
    if (!segmentsUsed(c.config).includes(key)) continue;
    names.add(flags.get(c.flagId) ?? c.flagId);
    usage.environments.add(c.environmentKey);
  }
  usage.flags = [...names].sort();
  return usage;
}
