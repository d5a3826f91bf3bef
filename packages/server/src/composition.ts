import { AuditService } from './audit/audit-service.js';
import { AuthService } from './auth/auth-service.js';
import type { OpenDatabase } from './db/connect.js';
import { createStores, type Uow } from './db/stores.js';
import { UnitOfWork } from './db/unit-of-work.js';
import { EnvironmentService } from './environments/environment-service.js';
import { OutboxBus } from './outbox/outbox-bus.js';
import { RepositoryRegistry } from './git/repository-registry.js';
import { ProjectService } from './projects/project-service.js';
import { ReleaseService } from './releases/release-service.js';
import { systemClock, type Clock } from './shared/clock.js';
import { cryptoRandom, IdGenerator, type RandomSource } from './shared/ids.js';

export interface CompositionOptions {
  database: OpenDatabase;
  dataDir: string;
  clock?: Clock;
  random?: RandomSource;
}

/** Everything the HTTP layer and the background workers use, built once. */
export interface Services {
  readonly database: OpenDatabase;
  readonly dataDir: string;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly uow: Uow;
  readonly outbox: OutboxBus;
  readonly auth: AuthService;
  readonly environments: EnvironmentService;
  readonly projects: ProjectService;
  readonly audit: AuditService;
  readonly repositories: RepositoryRegistry;
  readonly releases: ReleaseService;
}

/** The one place where stores and services are constructed and wired. */
export function compose(options: CompositionOptions): Services {
  const clock = options.clock ?? systemClock;
  const ids = new IdGenerator(clock, options.random ?? cryptoRandom);
  const outbox = new OutboxBus();
  const uow: Uow = new UnitOfWork(options.database.db, createStores, outbox, clock, ids);
  const repositories = new RepositoryRegistry(options.dataDir);
  return {
    database: options.database,
    dataDir: options.dataDir,
    clock,
    ids,
    uow,
    outbox,
    auth: new AuthService(uow, clock, ids),
    environments: new EnvironmentService(uow, ids),
    projects: new ProjectService(uow, ids),
    audit: new AuditService(uow),
    repositories,
    releases: new ReleaseService(uow, repositories, ids),
  };
}
