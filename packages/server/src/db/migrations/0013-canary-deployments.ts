import type { Kysely } from 'kysely';

// Canary deployments (issue 13, part a): what a `strategy: "canary"` deployment needs besides its
// row — the rollout driving it, the stable version it is compared with, the frozen plan, and the
// executor calls made so far (JSON; null for every other deployment).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deployments').addColumn('canary', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deployments').dropColumn('canary').execute();
}
