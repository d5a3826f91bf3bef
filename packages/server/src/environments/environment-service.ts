import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import { isUniqueViolation } from '../db/connect.js';
import type { Uow } from '../db/stores.js';
import { EnvironmentBusyError } from '../deployments/deployment-errors.js';
import { ConflictError, NotFoundError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { decodeCursor, toPage, type Page, type PageRequest } from '../shared/page.js';
import { DEFAULT_OUTBOUND_POLICY, type OutboundPolicy } from '../shared/outbound-policy.js';
import type { SecretBox } from '../shared/secret-box.js';
import { checkPrecondition, type Precondition } from '../shared/versions.js';
import { applySettings, effectiveTargets, readSettings, redactSettings, SETTINGS_KEYS, type SettingsInput } from './deployment-settings.js';
import type { BadgeAccess, Environment } from './environment-store.js';

export interface CreateEnvironmentInput {
  key: string;
  name?: string;
  rank?: number;
  protected?: boolean;
  color?: string;
  /** Default: true for the keys `production` and `prod`. */
  production?: boolean;
  badge?: BadgeAccess;
}

export type UpdateEnvironmentInput = Partial<Omit<CreateEnvironmentInput, 'key'>> & SettingsInput;

const DEFAULT_COLOR = '#64748b';
/** Keys taken as production unless said otherwise: a badge drawn in production is the worse mistake. */
const PRODUCTION_KEYS = new Set(['production', 'prod']);

const isRankCursor = (value: unknown): value is [number, string] =>
  Array.isArray(value) && value.length === 2 && Number.isInteger(value[0]) && typeof value[1] === 'string';

export class EnvironmentService {
  constructor(
    private readonly uow: Uow,
    private readonly ids: IdGenerator,
    private readonly secrets: SecretBox | null = null,
    private readonly outbound: OutboundPolicy = DEFAULT_OUTBOUND_POLICY,
  ) {}

  async list(page: PageRequest): Promise<Page<Environment>> {
    const rows = await this.uow.reads.environments.page(decodeCursor(page.cursor, isRankCursor), page.limit + 1);
    return toPage(rows, page.limit, (e) => [e.rank, e.key]);
  }

  async get(key: string): Promise<Environment> {
    const env = await this.uow.reads.environments.get(key);
    if (!env) throw new NotFoundError(`Environment ${key} does not exist.`, { environment: key });
    return env;
  }

  async create(ctx: RequestContext, input: CreateEnvironmentInput): Promise<Environment> {
    authorize(ctx.actor, { role: 'release-manager', action: 'Creating an environment' });
    return this.uow.transaction(async (tx) => {
      let rank = input.rank;
      if (rank === undefined) {
        const all = await tx.stores.environments.all();
        rank = all.length === 0 ? 10 : all[all.length - 1]!.rank + 10;
      }
      const env: Environment = {
        id: this.ids.next(),
        key: input.key,
        name: input.name ?? input.key,
        rank,
        protected: input.protected ?? false,
        color: input.color ?? DEFAULT_COLOR,
        production: input.production ?? PRODUCTION_KEYS.has(input.key),
        badge: input.badge ?? 'public',
        settings: {},
        createdAt: tx.now,
        updatedAt: tx.now,
        version: 1,
      };
      try {
        await tx.stores.environments.insert(env);
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`Environment ${input.key} already exists.`, { environment: input.key });
        throw error;
      }
      await tx.record(ctx, {
        action: 'environment.created',
        resourceType: 'environment',
        resourceId: env.key,
        after: env,
        event: { type: 'environment.created', payload: { environment: env.key, name: env.name }, environmentKey: env.key },
      });
      return env;
    });
  }

  /**
   * Merges the change into the row read under its lock: two PATCHes at once (a freeze and a
   * colour) both land. With `If-Match`, a row changed since the client read it is refused (412).
   */
  async update(ctx: RequestContext, key: string, input: UpdateEnvironmentInput, precondition?: Precondition): Promise<Environment> {
    return this.uow.transaction(async (tx) => {
      const before = await tx.stores.environments.getForUpdate(key);
      if (!before) throw new NotFoundError(`Environment ${key} does not exist.`, { environment: key });
      authorize(ctx.actor, { role: 'release-manager', action: 'Changing an environment', environment: before });
      checkPrecondition(precondition, before, `Environment ${key}`);
      const after: Environment = {
        ...before,
        ...(input.name !== undefined && { name: input.name }),
        ...(input.rank !== undefined && { rank: input.rank }),
        ...(input.protected !== undefined && { protected: input.protected }),
        ...(input.color !== undefined && { color: input.color }),
        ...(input.production !== undefined && { production: input.production }),
        ...(input.badge !== undefined && { badge: input.badge }),
        updatedAt: tx.now,
        version: before.version + 1,
      };
      if (SETTINGS_KEYS.some((k) => input[k] !== undefined)) {
        if (!this.secrets) throw new Error('EnvironmentService needs a SecretBox to store deployment settings');
        after.settings = { ...before.settings, ...applySettings(readSettings(before.settings), input, this.secrets, this.outbound) };
      }
      await tx.stores.environments.update(after);
      if (input.targets !== undefined) {
        // A target removed from the settings leaves the status matrix (its history stays in the deployments).
        await tx.stores.deploymentState.pruneTargets(key, effectiveTargets(readSettings(after.settings)).map((t) => t.key), tx.now);
      }
      await tx.record(ctx, {
        action: 'environment.updated',
        resourceType: 'environment',
        resourceId: key,
        // Sealed webhook secrets stay out of the audit log.
        before: { ...before, settings: redactSettings(before.settings) },
        after: { ...after, settings: redactSettings(after.settings) },
        event: { type: 'environment.updated', payload: { environment: key, changes: Object.keys(input) }, environmentKey: key },
      });
      return after;
    });
  }

  async delete(ctx: RequestContext, key: string): Promise<void> {
    await this.uow.transaction(async (tx) => {
      const before = await tx.stores.environments.getForUpdate(key);
      if (!before) throw new NotFoundError(`Environment ${key} does not exist.`, { environment: key });
      authorize(ctx.actor, { role: 'admin', action: 'Deleting an environment', environment: before });
      const busy = await tx.stores.deployments.anyInFlightIn(key);
      if (busy) {
        throw new EnvironmentBusyError(`Deployment ${busy.id} of ${busy.projectKey} ${busy.version} to ${key} is ${busy.status}: wait for it to end (or cancel it: slipway cancel ${busy.id}) before deleting ${key}.`, {
          deployment: busy.id,
          status: busy.status,
        });
      }
      const users = await tx.stores.projects.usingEnvironment(key);
      if (users.length > 0) {
        throw new ConflictError(`Environment ${key} is in the lifecycle of ${users.join(', ')}: remove it from those projects first.`, { projects: users });
      }
      await tx.stores.environments.delete(before.id);
      await tx.record(ctx, {
        action: 'environment.deleted',
        resourceType: 'environment',
        resourceId: key,
        before: { ...before, settings: redactSettings(before.settings) },
        event: { type: 'environment.deleted', payload: { environment: key }, environmentKey: key },
      });
    });
  }
}
