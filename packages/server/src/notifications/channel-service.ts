import type { Actor, RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import { isUniqueViolation } from '../db/connect.js';
import type { Uow } from '../db/stores.js';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { decodeCursor, isString, toPage, type Page, type PageRequest } from '../shared/page.js';
import type { SecretBox } from '../shared/secret-box.js';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { ChannelStore, type StoredChannel } from './channel-store.js';
import { DEFAULT_OUTBOUND_POLICY, type OutboundPolicy } from '../shared/outbound-policy.js';
import { destinationProblems, joinSecrets, mergeConfig, publicConfig, requireSecretsOnNewDestination, splitSecrets, validateConfig, type Channel, type ChannelType, type Subscription } from './channel-types.js';

export interface CreateChannelInput {
  name: string;
  type: ChannelType;
  config: Record<string, unknown>;
  subscriptions: Subscription[];
  enabled?: boolean;
}

export interface UpdateChannelInput {
  name?: string;
  config?: Record<string, unknown>;
  subscriptions?: Subscription[];
  enabled?: boolean;
}

/** What `POST /channels/{id}/test` answers: whether the sample reached the receiver. */
export interface ChannelTestResult {
  delivered: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** A channel whose secrets could not be opened (the secret key changed) says why instead of failing every read. */
export type LoadedChannel = Channel & { unusable?: string };

const MANAGE = { role: 'release-manager', action: 'Managing notification channels' } as const;

export function authorizeChannels(actor: Actor): void {
  authorize(actor, MANAGE);
}

/** Channels: CRUD with write-only secrets (sealed with AES-256-GCM), and a test send. */
export class ChannelService {
  constructor(
    private readonly uow: Uow,
    private readonly ids: IdGenerator,
    private readonly box: SecretBox,
    private readonly sendSample: (channel: Channel) => Promise<ChannelTestResult>,
    private readonly outbound: OutboundPolicy = DEFAULT_OUTBOUND_POLICY,
  ) {}

  /** Refuses (400, naming the field) a destination the outbound policy would refuse at send time anyway. */
  private checkDestination(type: ChannelType, config: Record<string, unknown>): void {
    const problems = destinationProblems(type, config, this.outbound);
    if (problems.length > 0) throw new ValidationError(`${problems[0]!.field}: ${problems[0]!.message}.`, { field: problems[0]!.field, problems });
  }

  /** The channel as responses show it: secrets replaced by "set". */
  present(channel: Channel): Channel {
    return { ...channel, config: publicConfig(channel.type, channel.config) };
  }

  private open(stored: StoredChannel): LoadedChannel {
    const { sealedSecrets, ...rest } = stored;
    try {
      const secrets = JSON.parse(this.box.decrypt(sealedSecrets)) as Record<string, unknown>;
      return { ...rest, config: joinSecrets(stored.config, secrets) };
    } catch {
      return { ...rest, unusable: 'The channel secrets cannot be decrypted with the current SLIPWAY_SECRET_KEY: set them again with PATCH.' };
    }
  }

  private seal(channel: Channel): StoredChannel {
    const { plain, secrets } = splitSecrets(channel.type, channel.config);
    return { ...channel, config: plain, sealedSecrets: this.box.encrypt(JSON.stringify(secrets)) };
  }

  /** Every channel, opened: what the dispatcher routes and sends with. No permission check: internal. */
  async loadAll(db?: Kysely<Database>): Promise<LoadedChannel[]> {
    const store = db ? new ChannelStore(db) : this.uow.reads.channels;
    return (await store.all()).map((c) => this.open(c));
  }

  async list(ctx: RequestContext, page: PageRequest): Promise<Page<Channel>> {
    authorizeChannels(ctx.actor);
    const rows = await this.uow.reads.channels.page(decodeCursor(page.cursor, isString), page.limit + 1);
    return toPage(rows.map((c) => this.present(this.open(c))), page.limit, (c) => c.name);
  }

  async get(ctx: RequestContext, idOrName: string): Promise<Channel> {
    authorizeChannels(ctx.actor);
    return this.present(await this.find(idOrName));
  }

  private async find(idOrName: string): Promise<LoadedChannel> {
    const stored = await this.uow.reads.channels.find(idOrName);
    if (!stored) throw new NotFoundError(`Channel ${idOrName} does not exist.`, { channel: idOrName });
    return this.open(stored);
  }

  async create(ctx: RequestContext, input: CreateChannelInput): Promise<Channel> {
    authorizeChannels(ctx.actor);
    validateConfig(input.type, input.config);
    this.checkDestination(input.type, input.config);
    return this.uow.transaction(async (tx) => {
      const channel: Channel = {
        id: this.ids.next(),
        name: input.name,
        type: input.type,
        config: input.config,
        subscriptions: input.subscriptions,
        enabled: input.enabled ?? true,
        createdBy: ctx.actor.username,
        createdAt: tx.now,
        updatedAt: tx.now,
      };
      try {
        await tx.stores.channels.insert(this.seal(channel));
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`A channel named ${input.name} already exists.`, { channel: input.name });
        throw error;
      }
      const shown = this.present(channel);
      await tx.record(ctx, {
        action: 'channel.created',
        resourceType: 'channel',
        resourceId: channel.id,
        after: shown,
        event: { type: 'channel.created', payload: { channel: channel.name, id: channel.id, type: channel.type } },
      });
      return shown;
    });
  }

  async update(ctx: RequestContext, idOrName: string, input: UpdateChannelInput): Promise<Channel> {
    authorizeChannels(ctx.actor);
    return this.uow.transaction(async (tx) => {
      await tx.stores.channels.lock(idOrName);
      const stored = await tx.stores.channels.find(idOrName);
      if (!stored) throw new NotFoundError(`Channel ${idOrName} does not exist.`, { channel: idOrName });
      const before = this.open(stored);
      if (before.unusable && input.config === undefined) {
        throw new ValidationError(`${before.unusable}`, { channel: before.name });
      }
      const config = input.config === undefined ? before.config : mergeConfig(before.type, before.unusable ? {} : before.config, input.config);
      if (input.config !== undefined) {
        validateConfig(before.type, config);
        this.checkDestination(before.type, config);
        if (!before.unusable) requireSecretsOnNewDestination(before.type, before.config, input.config, config);
      }
      const after: Channel = {
        id: before.id,
        name: input.name ?? before.name,
        type: before.type,
        config,
        subscriptions: input.subscriptions ?? before.subscriptions,
        enabled: input.enabled ?? before.enabled,
        createdBy: before.createdBy,
        createdAt: before.createdAt,
        updatedAt: tx.now,
      };
      try {
        await tx.stores.channels.update(this.seal(after));
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`A channel named ${after.name} already exists.`, { channel: after.name });
        throw error;
      }
      const shown = this.present(after);
      await tx.record(ctx, {
        action: 'channel.updated',
        resourceType: 'channel',
        resourceId: after.id,
        before: before.unusable ? { ...before, config: {} } : this.present(before),
        after: shown,
        event: { type: 'channel.updated', payload: { channel: after.name, id: after.id, type: after.type, changes: Object.keys(input) } },
      });
      return shown;
    });
  }

  async delete(ctx: RequestContext, idOrName: string): Promise<void> {
    authorizeChannels(ctx.actor);
    await this.uow.transaction(async (tx) => {
      await tx.stores.channels.lock(idOrName);
      const stored = await tx.stores.channels.find(idOrName);
      if (!stored) throw new NotFoundError(`Channel ${idOrName} does not exist.`, { channel: idOrName });
      await tx.stores.channels.delete(stored.id);
      await tx.stores.deliveries.failPendingOfChannel(stored.id, 'The channel was deleted.', tx.now);
      await tx.record(ctx, {
        action: 'channel.deleted',
        resourceType: 'channel',
        resourceId: stored.id,
        before: { id: stored.id, name: stored.name, type: stored.type, subscriptions: stored.subscriptions, enabled: stored.enabled },
        event: { type: 'channel.deleted', payload: { channel: stored.name, id: stored.id, type: stored.type } },
      });
    });
  }

  /** Sends a sample message now, outside the outbox; audited, so who tested what stays visible. */
  async test(ctx: RequestContext, idOrName: string): Promise<ChannelTestResult> {
    authorizeChannels(ctx.actor);
    const channel = await this.find(idOrName);
    const result: ChannelTestResult = channel.unusable
      ? { delivered: false, statusCode: null, error: channel.unusable, durationMs: 0 }
      : await this.sendSample(channel);
    await this.uow.transaction((tx) =>
      tx.record(ctx, { action: 'channel.tested', resourceType: 'channel', resourceId: channel.id, after: { delivered: result.delivered, statusCode: result.statusCode, error: result.error } }),
    );
    return result;
  }
}
