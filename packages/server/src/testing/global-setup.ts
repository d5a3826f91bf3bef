import { createHash } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrate } from '../db/connect.js';
import { MIGRATIONS } from '../db/migrations/index.js';
import type { Database } from '../db/schema.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplate: string | null;
  }
}

/**
 * Builds one migrated PostgreSQL template database per run; each test file clones it
 * (CREATE DATABASE … TEMPLATE …), which is far faster than migrating every time.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    project.provide('pgTemplate', null);
    return async () => {};
  }
  const admin = new pg.Client({ connectionString: url });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`TEST_DATABASE_URL is set but PostgreSQL is unreachable (${(error as Error).message}); start it, or unset the variable to run on SQLite only.`);
  }
  const fingerprint = createHash('sha256').update(Object.keys(MIGRATIONS).join(',')).digest('hex').slice(0, 8);
  const template = `slipway_tpl_${fingerprint}_${process.pid}`;
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  const templateUrl = new URL(url);
  templateUrl.pathname = `/${template}`;
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: templateUrl.toString(), max: 1 }) }) });
  await migrate(db);
  await sql`select 1`.execute(db);
  await db.destroy();
  project.provide('pgTemplate', template);

  return async () => {
    const leftovers = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`slipway_t_${process.pid}_%`]);
    for (const row of leftovers.rows) await admin.query(`DROP DATABASE IF EXISTS ${row.datname} WITH (FORCE)`);
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.end();
  };
}
