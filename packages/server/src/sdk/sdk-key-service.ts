import { createHash, randomBytes } from 'node:crypto';
import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import type { Uow } from '../db/stores.js';
import type { FlagFanout } from '../fanout/flag-fanout.js';
import { requireProject } from '../flags/flag-service.js';
import type { Clock } from '../shared/clock.js';
import { NotFoundError } from '../shared/errors.js';
import type { IdGenerator, RandomSource } from '../shared/ids.js';
import { decodeCursor, isString, toPage, type Page, type PageRequest } from '../shared/page.js';
import type { SdkKeyKind, SdkKeyRecord } from './sdk-key-store.js';

/** Who an SDK key speaks for. */
export interface SdkKeyIdentity {
  readonly id: string;
  readonly projectKey: string;
  readonly environmentKey: string;
  readonly kind: SdkKeyKind;
}

/** Resolves a raw SDK key (from `Authorization: Bearer` or `X-API-Key`) to its identity, or null. */
export type SdkKeyAuthenticator = (rawKey: string) => Promise<SdkKeyIdentity | null>;

export const SDK_KEY_PREFIX: Record<SdkKeyKind, string> = { server: 'sdk-srv-', client: 'sdk-cli-' };

// Positive lookups are cached for a minute (revocations clear the cache at once, on every replica,
// through the fan-out); unknown keys for a few seconds, so a client retrying a bad key stays cheap.
const POSITIVE_TTL_MS = 60_000;
const NEGATIVE_TTL_MS = 5_000;
const MAX_CACHED = 10_000;

interface CacheEntry {
  identity: SdkKeyIdentity | null;
  expires: number;
}

export function hashSdkKey(raw: string): string {
  return createHash('sha256').update(raw).digest('hex');
}

const RAW_KEY = /^sdk-(srv|cli)-[A-Za-z0-9_-]{43}$/;

/** SDK keys per project and environment: created (shown once), listed, revoked, and authenticated. */
export class SdkKeyService {
  private readonly cache = new Map<string, CacheEntry>();
  /** Identities by key id (OFREP event-stream channels name a key by its id). */
  private readonly byId = new Map<string, CacheEntry>();
  private readonly changeListeners = new Set<() => void>();

  constructor(
    private readonly uow: Uow,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly fanout: FlagFanout,
    private readonly random: RandomSource = (n) => randomBytes(n),
  ) {
    fanout.subscribe((message) => {
      if (message.type === 'sdk-keys' || message.type === 'resync') this.keysChanged();
    });
  }

  /** Called after keys were revoked here or on another replica (open streams re-check their key). */
  onKeysChanged(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private keysChanged(): void {
    this.cache.clear();
    this.byId.clear();
    for (const listener of this.changeListeners) listener();
  }

  /**
   * The identity of a raw SDK key, or null when it is unknown or revoked. Cached in memory, so it
   * is cheap on hot paths (OFREP); revocations on any replica take effect at once.
   * Bound: pass `sdkKeys.authenticateSdkKey` around as a plain function.
   */
  readonly authenticateSdkKey: SdkKeyAuthenticator = async (rawKey) => {
    const cached = this.lookupCached(rawKey);
    if (cached !== undefined) return cached;
    return this.lookup(rawKey);
  };

  /** The cached identity (or null for a known-bad key), or undefined when the database must be asked. */
  lookupCached(rawKey: string): SdkKeyIdentity | null | undefined {
    const entry = this.cache.get(rawKey);
    if (entry === undefined) return undefined;
    if (entry.expires < this.clock.now().getTime()) {
      this.cache.delete(rawKey);
      return undefined;
    }
    return entry.identity;
  }

  /**
   * The identity of the key with this id, or null when it does not exist or is revoked. Cached
   * like {@link authenticateSdkKey}: browsers reconnecting their event streams stay cheap.
   */
  async identityById(id: string): Promise<SdkKeyIdentity | null> {
    const now = this.clock.now().getTime();
    const entry = this.byId.get(id);
    if (entry !== undefined && entry.expires >= now) return entry.identity;
    const record = id.length <= 64 ? await this.uow.reads.sdkKeys.get(id) : null;
    const identity =
      record !== null && record.revokedAt === null
        ? Object.freeze({ id: record.id, projectKey: record.projectKey, environmentKey: record.environmentKey, kind: record.kind })
        : null;
    if (this.byId.size >= MAX_CACHED) this.byId.clear();
    this.byId.set(id, { identity, expires: now + (identity ? POSITIVE_TTL_MS : NEGATIVE_TTL_MS) });
    return identity;
  }

  private async lookup(rawKey: string): Promise<SdkKeyIdentity | null> {
    let identity: SdkKeyIdentity | null = null;
    if (RAW_KEY.test(rawKey)) {
      const record = await this.uow.reads.sdkKeys.findByHash(hashSdkKey(rawKey));
      if (record !== null && record.revokedAt === null) {
        identity = Object.freeze({ id: record.id, projectKey: record.projectKey, environmentKey: record.environmentKey, kind: record.kind });
      }
    }
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(rawKey, { identity, expires: this.clock.now().getTime() + (identity ? POSITIVE_TTL_MS : NEGATIVE_TTL_MS) });
    return identity;
  }

  async list(projectKey: string, environmentKey: string, page: PageRequest): Promise<Page<SdkKeyRecord>> {
    const project = await requireProject(this.uow.reads, projectKey);
    const rows = await this.uow.reads.sdkKeys.page(project.id, environmentKey, decodeCursor(page.cursor, isString), page.limit + 1);
    return toPage(rows, page.limit, (k) => k.id);
  }

  /** Creates a key; the secret is in the result only, never stored or logged. */
  async create(ctx: RequestContext, projectKey: string, environmentKey: string, input: { kind: SdkKeyKind; name?: string }): Promise<{ key: SdkKeyRecord; secret: string }> {
    return this.uow.transaction(async (tx) => {
      const project = await requireProject(tx.stores, projectKey);
      const env = await tx.stores.environments.get(environmentKey);
      if (!env) throw new NotFoundError(`Environment ${environmentKey} does not exist.`, { environment: environmentKey });
      authorize(ctx.actor, { role: 'engineer', action: 'Creating an SDK key', environment: env });
      const secret = `${SDK_KEY_PREFIX[input.kind]}${Buffer.from(this.random(32)).toString('base64url')}`;
      const key: SdkKeyRecord = {
        id: this.ids.next(),
        projectId: project.id,
        projectKey: project.key,
        environmentKey: env.key,
        kind: input.kind,
        name: input.name ?? `${input.kind} key`,
        prefix: secret.slice(0, 12),
        createdBy: ctx.actor.username,
        createdAt: tx.now,
        revokedAt: null,
      };
      await tx.stores.sdkKeys.insert(key, hashSdkKey(secret));
      await tx.record(ctx, {
        action: 'sdk_key.created',
        resourceType: 'sdk_key',
        resourceId: key.id,
        after: key,
        event: { type: 'sdk_key.created', payload: { project: project.key, environment: env.key, id: key.id, kind: key.kind, name: key.name }, projectKey: project.key, environmentKey: env.key },
      });
      return { key, secret };
    });
  }

  async revoke(ctx: RequestContext, projectKey: string, environmentKey: string, id: string): Promise<SdkKeyRecord> {
    const result = await this.uow.transaction(async (tx) => {
      await tx.stores.sdkKeys.lock(id);
      const before = await tx.stores.sdkKeys.get(id);
      if (!before || before.projectKey !== projectKey || before.environmentKey !== environmentKey) {
        throw new NotFoundError(`SDK key ${id} does not exist in ${projectKey}/${environmentKey}.`, { id });
      }
      const env = await tx.stores.environments.get(environmentKey);
      authorize(ctx.actor, { role: 'engineer', action: 'Revoking an SDK key', ...(env && { environment: env }) });
      if (before.revokedAt !== null) return before;
      const after = { ...before, revokedAt: tx.now };
      await tx.stores.sdkKeys.revoke(id, tx.now);
      await tx.record(ctx, {
        action: 'sdk_key.revoked',
        resourceType: 'sdk_key',
        resourceId: id,
        before,
        after,
        event: { type: 'sdk_key.revoked', payload: { project: projectKey, environment: environmentKey, id, kind: before.kind, name: before.name }, projectKey, environmentKey },
      });
      return after;
    });
    // The fan-out delivers this to this process too (keysChanged), and to every other replica.
    this.fanout.publish({ type: 'sdk-keys' });
    return result;
  }
}
