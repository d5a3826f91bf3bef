import type { Kysely } from 'kysely';
import { AuditStore } from '../audit/audit-store.js';
import { TokenStore } from '../auth/token-store.js';
import { UserStore } from '../auth/user-store.js';
import { EnvironmentStore } from '../environments/environment-store.js';
import { OutboxStore } from '../outbox/outbox-store.js';
import { ProjectStore } from '../projects/project-store.js';
import { ReleaseStore } from '../releases/release-store.js';
import type { Database } from './schema.js';
import type { CoreStores, UnitOfWork } from './unit-of-work.js';

/** Every store, bound to one database handle (the pool or a transaction). */
export interface Stores extends CoreStores {
  readonly users: UserStore;
  readonly tokens: TokenStore;
  readonly environments: EnvironmentStore;
  readonly projects: ProjectStore;
  readonly releases: ReleaseStore;
}

export type Uow = UnitOfWork<Stores>;

export function createStores(db: Kysely<Database>): Stores {
  return {
    audit: new AuditStore(db),
    outbox: new OutboxStore(db),
    users: new UserStore(db),
    tokens: new TokenStore(db),
    environments: new EnvironmentStore(db),
    projects: new ProjectStore(db),
    releases: new ReleaseStore(db),
  };
}
