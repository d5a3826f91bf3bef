import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { systemContext } from './auth/actor.js';
import { compose, type Services } from './composition.js';
import type { Config } from './config.js';
import { migrate, openDatabase } from './db/connect.js';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly services: Services;
  readonly url: string;
  /** The admin token created on first start (shown once), or null. */
  readonly bootstrapToken: string | null;
  readonly migrationsApplied: string[];
  stop(): Promise<void>;
}

/** Opens the database, migrates, bootstraps the first admin, and listens. */
export async function startServer(config: Config): Promise<RunningServer> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const database = await openDatabase(config.database);
  try {
    const migrationsApplied = await migrate(database.db);
    const services = compose({ database, dataDir: config.dataDir });
    const bootstrapToken = await services.auth.bootstrap(systemContext(), config.bootstrapToken);
    const app = await buildApp(services, {
      logger: {
        level: config.logLevel,
        redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'],
      },
    });
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    let stopping: Promise<void> | null = null;
    const stop = () => {
      stopping ??= (async () => {
        const timer = setTimeout(() => {
          app.log.warn('shutdown timed out; closing remaining connections');
          app.server.closeAllConnections();
        }, config.shutdownTimeoutMs);
        timer.unref();
        try {
          await app.close();
        } finally {
          clearTimeout(timer);
          await database.close();
        }
      })();
      return stopping;
    };
    return { app, services, url: `http://${host}:${port}`, bootstrapToken, migrationsApplied, stop };
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
}
