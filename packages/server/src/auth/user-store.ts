import type { Kysely, Selectable } from 'kysely';
import { isPostgres, lockRows } from '../db/row-lock.js';
import type { Database, UserTable } from '../db/schema.js';
import type { Role } from './roles.js';

export interface User {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  role: Role;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface NewUser extends Omit<User, 'disabled'> {
  passwordHash: string | null;
}

export interface UserPatch {
  displayName?: string;
  email?: string | null;
  role?: Role;
  passwordHash?: string;
  disabled?: boolean;
  updatedAt: string;
}

function toUser(row: Selectable<UserTable>): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    role: row.role as Role,
    disabled: row.disabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class UserStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Locks the user row until the transaction ends (read-merge-write of PATCH). */
  async lock(id: string): Promise<void> {
    await lockRows(this.db, 'users', { id });
  }

  async insert(user: NewUser): Promise<void> {
    await this.db
      .insertInto('users')
      .values({
        id: user.id,
        username: user.username,
        display_name: user.displayName,
        email: user.email,
        role: user.role,
        password_hash: user.passwordHash,
        disabled: 0,
        created_at: user.createdAt,
        updated_at: user.updatedAt,
      })
      .execute();
  }

  async get(id: string): Promise<User | null> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toUser(row) : null;
  }

  async getByUsername(username: string): Promise<User | null> {
    const row = await this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    return row ? toUser(row) : null;
  }

  /** The user and the stored password hash, for sign-in only. */
  async getWithPassword(username: string): Promise<{ user: User; passwordHash: string | null } | null> {
    const row = await this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    return row ? { user: toUser(row), passwordHash: row.password_hash } : null;
  }

  /** With `lock`, every active admin's row is locked first (PostgreSQL), so the count holds until commit. */
  async countActiveAdmins(lock = false): Promise<number> {
    if (lock && isPostgres(this.db)) await this.db.selectFrom('users').select('id').where('role', '=', 'admin').where('disabled', '=', 0).forUpdate().execute();
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('role', '=', 'admin')
      .where('disabled', '=', 0)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async list(afterId: string | null, limit: number): Promise<User[]> {
    let query = this.db.selectFrom('users').selectAll();
    if (afterId !== null) query = query.where('id', '>', afterId);
    const rows = await query.orderBy('id', 'asc').limit(limit).execute();
    return rows.map(toUser);
  }

  async update(id: string, patch: UserPatch): Promise<void> {
    await this.db
      .updateTable('users')
      .set({
        ...(patch.displayName !== undefined && { display_name: patch.displayName }),
        ...(patch.email !== undefined && { email: patch.email }),
        ...(patch.role !== undefined && { role: patch.role }),
        ...(patch.passwordHash !== undefined && { password_hash: patch.passwordHash }),
        ...(patch.disabled !== undefined && { disabled: patch.disabled ? 1 : 0 }),
        updated_at: patch.updatedAt,
      })
      .where('id', '=', id)
      .execute();
  }
}
