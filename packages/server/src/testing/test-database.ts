import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { migrate, openDatabase, type Dialect, type OpenDatabase } from '../db/connect.js';

/**
 * The dialects every storage test runs on: SQLite always, PostgreSQL when TEST_DATABASE_URL is
 * set (CI always sets it, and .ci/run fails when PostgreSQL is unreachable).
 */
export const DIALECTS: Dialect[] = process.env.TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export interface TestDatabase extends OpenDatabase {
  /** What the server would need to open the same database (for process tests). */
  readonly target: { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };
}

/** A fresh, migrated database: a temp SQLite file, or a clone of the migrated PostgreSQL template. */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-db-'));
    const file = path.join(dir, 'slipway.db');
    const opened = await openDatabase({ dialect: 'sqlite', file });
    await migrate(opened.db);
    return {
      ...opened,
      target: { dialect: 'sqlite', file },
      close: async () => {
        await opened.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const base = process.env.TEST_DATABASE_URL;
  const template = inject('pgTemplate');
  if (!base || !template) throw new Error('PostgreSQL tests need TEST_DATABASE_URL and the vitest global setup');
  const name = `slipway_t_${process.ppid}_${randomBytes(6).toString('hex')}`;
  await withAdmin(base, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  const url = new URL(base);
  url.pathname = `/${name}`;
  const opened = await openDatabase({ dialect: 'postgres', url: url.toString(), poolSize: 5 });
  return {
    ...opened,
    target: { dialect: 'postgres', url: url.toString() },
    close: async () => {
      await opened.close();
      await withAdmin(base, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** A name for a database the test will create itself (e.g. through a server process). */
export async function createEmptyPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('needs TEST_DATABASE_URL');
  const name = `slipway_t_${process.ppid}_${randomBytes(6).toString('hex')}`;
  await withAdmin(base, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(base);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => withAdmin(base, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}) };
}

async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
