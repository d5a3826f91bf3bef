import type { RequestContext } from '../auth/actor.js';
import type { Uow } from '../db/stores.js';
import { isUniqueViolation } from '../db/connect.js';
import type { Clock } from '../shared/clock.js';
import { ConflictError, NotFoundError, UnauthorizedError, ValidationError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { decodeCursor, isString, toPage, type Page, type PageRequest } from '../shared/page.js';
import type { Actor } from './actor.js';
import { authorize } from './permissions.js';
import { atLeast, lowerRole, type Role } from './roles.js';
import { generateToken, hashPassword, hashToken, tokenPrefix } from './secrets.js';
import type { ApiToken } from './token-store.js';
import type { User, UserPatch } from './user-store.js';

export interface CreateTokenInput {
  name: string;
  role?: Role;
  expiresAt?: string | null;
  /** Admins may create a token for another user. */
  userId?: string;
}

export interface CreateUserInput {
  username: string;
  displayName?: string;
  email?: string | null;
  role: Role;
  password?: string;
}

export interface UpdateUserInput {
  displayName?: string;
  email?: string | null;
  role?: Role;
  password?: string;
  disabled?: boolean;
}

/** How often a token's last-used time is written: every request would turn reads into writes. */
const TOUCH_INTERVAL_MS = 60_000;

export class AuthService {
  constructor(
    private readonly uow: Uow,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  /** Resolves a bearer token to an actor; the effective role is the lower of the token's and its owner's. */
  async authenticate(rawToken: string): Promise<Actor> {
    const token = await this.uow.reads.tokens.findByHash(hashToken(rawToken));
    const now = this.clock.now();
    if (!token) throw new UnauthorizedError('The token is not valid.');
    if (token.revokedAt !== null) throw new UnauthorizedError('The token has been revoked.');
    if (token.expiresAt !== null && token.expiresAt <= now.toISOString()) throw new UnauthorizedError('The token has expired.');
    if (token.userDisabled) throw new UnauthorizedError('The user of this token is disabled.');
    if (token.lastUsedAt === null || now.getTime() - Date.parse(token.lastUsedAt) > TOUCH_INTERVAL_MS) {
      await this.uow.reads.tokens.touch(token.id, now.toISOString());
    }
    return { userId: token.userId, username: token.username, role: lowerRole(token.role, token.userRole), tokenId: token.id };
  }

  /**
   * On first start (no active admin), creates the `admin` user and its token. Returns the token,
   * to be shown once, or null when an admin already exists.
   */
  async bootstrap(ctx: RequestContext, presetToken: string | null): Promise<string | null> {
    return (await this.bootstrapAdmin(ctx, { token: presetToken, password: null }))?.token ?? null;
  }

  /**
   * On first start (no active admin), creates the `admin` user with a password (for the web app)
   * and a token (for the CLI); unset values are random. Returns both, to be shown once, or null
   * when an admin already exists.
   */
  async bootstrapAdmin(ctx: RequestContext, preset: { token: string | null; password: string | null }): Promise<{ token: string; password: string } | null> {
    const password = preset.password ?? generateToken('pw').slice(3, 27);
    const passwordHash = await hashPassword(password);
    return this.uow.transaction(async (tx) => {
      if ((await tx.stores.users.countActiveAdmins()) > 0) return null;
      let admin = await tx.stores.users.getByUsername('admin');
      if (!admin) {
        admin = { id: this.ids.next(), username: 'admin', displayName: 'Administrator', email: null, role: 'admin', disabled: false, createdAt: tx.now, updatedAt: tx.now };
        await tx.stores.users.insert({ ...admin, passwordHash });
        await tx.record(ctx, { action: 'user.created', resourceType: 'user', resourceId: admin.id, after: admin, event: { type: 'user.created', payload: { username: admin.username, role: admin.role } } });
      } else {
        await tx.stores.users.update(admin.id, { role: 'admin', disabled: false, passwordHash, updatedAt: tx.now });
      }
      const secret = preset.token ?? generateToken();
      const token = await this.insertToken(tx.stores, { userId: admin.id, name: 'bootstrap', role: 'admin', expiresAt: null }, secret, tx.now);
      await tx.record(ctx, { action: 'token.created', resourceType: 'token', resourceId: token.id, after: token });
      return { token: secret, password };
    });
  }

  async createToken(ctx: RequestContext, input: CreateTokenInput): Promise<{ token: string; record: ApiToken }> {
    authorize(ctx.actor, { role: 'viewer', action: 'Creating a token' });
    const userId = input.userId ?? ctx.actor.userId;
    if (userId !== ctx.actor.userId) authorize(ctx.actor, { role: 'admin', action: "Creating a token for another user" });
    if (userId === null) throw new ValidationError('userId is required for tokens created by the server itself.');
    const owner = await this.uow.reads.users.get(userId);
    if (!owner) throw new NotFoundError(`User ${userId} does not exist.`, { userId });
    const ceiling = userId === ctx.actor.userId ? ctx.actor.role : owner.role;
    const role = input.role ?? ceiling;
    if (!atLeast(ceiling, role)) {
      throw new ValidationError(`A token cannot have more power than its user: the highest role available is ${ceiling}.`, { field: 'role' });
    }
    if (input.expiresAt != null && input.expiresAt <= this.clock.now().toISOString()) {
      throw new ValidationError('expiresAt must be in the future.', { field: 'expiresAt' });
    }
    const secret = generateToken();
    return this.uow.transaction(async (tx) => {
      const record = await this.insertToken(tx.stores, { userId, name: input.name, role, expiresAt: input.expiresAt ?? null }, secret, tx.now);
      await tx.record(ctx, { action: 'token.created', resourceType: 'token', resourceId: record.id, after: record, event: { type: 'token.created', payload: { id: record.id, name: record.name, userId } } });
      return { token: secret, record };
    });
  }

  async listTokens(ctx: RequestContext, page: PageRequest, all: boolean): Promise<Page<ApiToken>> {
    if (all) authorize(ctx.actor, { role: 'admin', action: "Listing every user's tokens" });
    const afterId = decodeCursor(page.cursor, isString);
    const rows = await this.uow.reads.tokens.list({ ...(all ? {} : { userId: ctx.actor.userId ?? '' }), afterId, limit: page.limit + 1 });
    return toPage(rows, page.limit, (t) => t.id);
  }

  async revokeToken(ctx: RequestContext, id: string): Promise<ApiToken> {
    return this.uow.transaction(async (tx) => {
      await tx.stores.tokens.lock(id);
      const before = await tx.stores.tokens.get(id);
      if (!before || (before.userId !== ctx.actor.userId && !atLeast(ctx.actor.role, 'admin'))) {
        throw new NotFoundError(`Token ${id} does not exist.`, { id });
      }
      if (before.revokedAt !== null) return before;
      await tx.stores.tokens.revoke(id, tx.now);
      const after = { ...before, revokedAt: tx.now };
      await tx.record(ctx, { action: 'token.revoked', resourceType: 'token', resourceId: id, before, after, event: { type: 'token.revoked', payload: { id, name: before.name } } });
      return after;
    });
  }

  async me(ctx: RequestContext): Promise<{ user: User | null; role: Role; tokenId: string | null }> {
    const user = ctx.actor.userId ? await this.uow.reads.users.get(ctx.actor.userId) : null;
    return { user, role: ctx.actor.role, tokenId: ctx.actor.tokenId };
  }

  async createUser(ctx: RequestContext, input: CreateUserInput): Promise<User> {
    authorize(ctx.actor, { role: 'admin', action: 'Creating a user' });
    const passwordHash = input.password !== undefined ? await hashPassword(input.password) : null;
    return this.uow.transaction(async (tx) => {
      const user: User = {
        id: this.ids.next(),
        username: input.username,
        displayName: input.displayName ?? input.username,
        email: input.email ?? null,
        role: input.role,
        disabled: false,
        createdAt: tx.now,
        updatedAt: tx.now,
      };
      try {
        await tx.stores.users.insert({ ...user, passwordHash });
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`A user named ${input.username} already exists.`, { username: input.username });
        throw error;
      }
      await tx.record(ctx, { action: 'user.created', resourceType: 'user', resourceId: user.id, after: user, event: { type: 'user.created', payload: { username: user.username, role: user.role } } });
      return user;
    });
  }

  async listUsers(ctx: RequestContext, page: PageRequest): Promise<Page<User>> {
    authorize(ctx.actor, { role: 'admin', action: 'Listing users' });
    const rows = await this.uow.reads.users.list(decodeCursor(page.cursor, isString), page.limit + 1);
    return toPage(rows, page.limit, (u) => u.id);
  }

  async updateUser(ctx: RequestContext, id: string, input: UpdateUserInput): Promise<User> {
    authorize(ctx.actor, { role: 'admin', action: 'Changing a user' });
    const passwordHash = input.password !== undefined ? await hashPassword(input.password) : undefined;
    return this.uow.transaction(async (tx) => {
      await tx.stores.users.lock(id);
      const before = await tx.stores.users.get(id);
      if (!before) throw new NotFoundError(`User ${id} does not exist.`, { id });
      const losesAdmin = before.role === 'admin' && !before.disabled && ((input.role !== undefined && input.role !== 'admin') || input.disabled === true);
      // Counted with every active admin's row locked: two admins demoted at once cannot both pass.
      if (losesAdmin && (await tx.stores.users.countActiveAdmins(true)) <= 1) {
        throw new ConflictError('This is the last active admin: make another user admin first.', { id });
      }
      const patch: UserPatch = { updatedAt: tx.now };
      if (input.displayName !== undefined) patch.displayName = input.displayName;
      if (input.email !== undefined) patch.email = input.email;
      if (input.role !== undefined) patch.role = input.role;
      if (input.disabled !== undefined) patch.disabled = input.disabled;
      if (passwordHash !== undefined) patch.passwordHash = passwordHash;
      await tx.stores.users.update(id, patch);
      // A new password or a disabled user signs every browser of that user out.
      if (passwordHash !== undefined || input.disabled === true) {
        await tx.stores.sessions.endAllOfUser(id, tx.now, input.disabled === true ? 'user_disabled' : 'password_changed');
      }
      const after = (await tx.stores.users.get(id))!;
      const { password: _omitted, ...visible } = input;
      await tx.record(ctx, {
        action: 'user.updated',
        resourceType: 'user',
        resourceId: id,
        before,
        after: { ...after, ...(passwordHash !== undefined && { passwordChanged: true }) },
        event: { type: 'user.updated', payload: { username: after.username, changes: Object.keys(visible) } },
      });
      return after;
    });
  }

  private async insertToken(
    stores: Uow['reads'],
    input: { userId: string; name: string; role: Role; expiresAt: string | null },
    secret: string,
    now: string,
  ): Promise<ApiToken> {
    const record: ApiToken = { id: this.ids.next(), userId: input.userId, name: input.name, prefix: tokenPrefix(secret), role: input.role, expiresAt: input.expiresAt, revokedAt: null, lastUsedAt: null, createdAt: now };
    try {
      await stores.tokens.insert({ ...record, tokenHash: hashToken(secret) });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError('This token value is already in use.');
      throw error;
    }
    return record;
  }
}
