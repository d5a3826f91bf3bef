import type { Kysely } from 'kysely';

// Repository credentials leave the URL (issue 11): `projects.repository` keeps the URL as shown
// (`https://user:***@host/repo.git`) and the credentials are sealed with the server's secret key in
// `repository_credentials`. The key is not in the database, so the rows that still carry a password
// are sealed and redacted when the server starts, right after migrating (projects/repository-sealing.ts,
// docs/decisions/0027).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('projects').addColumn('repository_credentials', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('projects').dropColumn('repository_credentials').execute();
}
