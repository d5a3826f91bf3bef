import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import type { Uow } from '../db/stores.js';
import type { ReleaseService } from '../releases/release-service.js';
import { NotFoundError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import type { Decision, Signoff } from './signoff-store.js';

export interface RecordSignoffInput {
  kind: string;
  decision: Decision;
  environment?: string;
  comment?: string;
}

export interface SignoffList {
  /** Every decision, oldest first: nothing is ever replaced. */
  items: Signoff[];
  /** The decision that counts for each kind and environment: the latest one. */
  latest: Signoff[];
}

/**
 * The sign-off that decides whether kind `kind` is a go for environment `environment`: the newest
 * of those recorded for that environment or for every environment (no environment given).
 */
export function decisiveSignoff(signoffs: Signoff[], kind: string, environment: string): Signoff | null {
  let found: Signoff | null = null;
  for (const s of signoffs) {
    if (s.kind === kind && (s.environment === environment || s.environment === null) && (found === null || s.id > found.id)) found = s;
  }
  return found;
}

export class SignoffService {
  constructor(
    private readonly uow: Uow,
    private readonly releases: ReleaseService,
    private readonly ids: IdGenerator,
  ) {}

  async list(projectKey: string, version: string): Promise<SignoffList> {
    const release = await this.releases.get(projectKey, version);
    const items = await this.uow.reads.signoffs.forRelease(release.projectId, release.version);
    return { items, latest: latestPerKind(items) };
  }

  async record(ctx: RequestContext, projectKey: string, version: string, input: RecordSignoffInput): Promise<Signoff> {
    authorize(ctx.actor, { role: 'qa', action: 'Recording a sign-off' });
    const release = await this.releases.get(projectKey, version);
    return this.uow.transaction(async (tx) => {
      if (input.environment !== undefined && !(await tx.stores.environments.get(input.environment))) {
        throw new NotFoundError(`Environment ${input.environment} does not exist.`, { environment: input.environment });
      }
      const signoff: Signoff = {
        id: this.ids.next(),
        projectId: release.projectId,
        version: release.version,
        environment: input.environment ?? null,
        kind: input.kind,
        decision: input.decision,
        comment: input.comment ?? '',
        createdBy: ctx.actor.username,
        createdAt: tx.now,
      };
      await tx.stores.signoffs.insert(signoff);
      await tx.record(ctx, {
        action: 'signoff.recorded',
        resourceType: 'release',
        resourceId: `${projectKey}@${release.version}`,
        after: signoff,
        event: {
          type: 'signoff.recorded',
          payload: { project: projectKey, version: release.version, tag: release.tag, kind: signoff.kind, decision: signoff.decision, environment: signoff.environment, comment: signoff.comment, by: signoff.createdBy },
          projectKey,
          environmentKey: signoff.environment,
        },
      });
      return signoff;
    });
  }
}

function latestPerKind(items: Signoff[]): Signoff[] {
  const latest = new Map<string, Signoff>();
  for (const s of items) latest.set(`${s.kind}\u0000${s.environment ?? ''}`, s);
  return [...latest.values()];
}
