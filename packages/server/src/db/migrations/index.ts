import type { Migration } from 'kysely';
import * as foundation from './0001-foundation.js';
import * as releases from './0002-releases.js';

/** Every migration, in order. Names are stable: they are recorded in the database. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-releases': releases,
};
