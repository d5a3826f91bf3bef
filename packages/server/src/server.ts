import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { systemContext } from './auth/actor.js';
import { compose, type Services } from './composition.js';
import type { Config } from './config.js';
import { migrate, openDatabase } from './db/connect.js';
import { startFlagFanout } from './fanout/start-fanout.js';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly services: Services;
  readonly url: string;
  /** The admin token created on first start (shown once), or null. */
  readonly bootstrapToken: string | null;
  /** The admin password set on first start (shown once), or null. */
  readonly bootstrapPassword: string | null;
  readonly migrationsApplied: string[];
  stop(): Promise<void>;
}

/** Opens the database, migrates, bootstraps the first admin, and listens. */
export async function startServer(config: Config): Promise<RunningServer> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const database = await openDatabase(config.database);
  try {
    const migrationsApplied = await migrate(database.db);
    let logBackgroundError = (_error: unknown, _context: string): void => {};
    const services = compose({
      database,
      dataDir: config.dataDir,
      ...(config.secretKey && { secretKey: config.secretKey }),
      publicUrl: config.publicUrl,
      notifications: config.notifications,
      onBackgroundError: (error, context) => logBackgroundError(error, context),
      deployLeaseMs: config.deployLeaseMs,
      sessions: config.sessions,
    });
    const bootstrap = await services.auth.bootstrapAdmin(systemContext(), { token: config.bootstrapToken, password: config.bootstrapPassword });
    const app = await buildApp(services, {
      logger: {
        level: config.logLevel,
        redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie', 'req.headers["x-slipway-csrf"]'],
      },
      trustProxy: config.trustProxy,
      webDir: config.webDir,
    });
    logBackgroundError = (error, context) => app.log.error({ err: error }, `background work failed: ${context}`);
    // Flag changes reach SDK streams on every replica: LISTEN/NOTIFY on PostgreSQL, Redis pub/sub with REDIS_URL.
    const stopFlagFanout = await startFlagFanout(services.flagFanout, services.flagDelivery, {
      postgresUrl: config.database.dialect === 'postgres' ? config.database.url : null,
      redisUrl: config.redisUrl,
      onError: (error) => logBackgroundError(error, 'flag fan-out'),
    });
    await app.listen({ port: config.port, host: config.host });
    // Notifications are delivered from the outbox in the background, never inside a request.
    services.notifications.dispatcher.start(services.outbox);
    // Deployments run in the background, claimed with leases so a crash never leaves one running.
    services.deployments.runner.start();
    // OFREP evaluation counts are kept in memory and written once a minute (and at shutdown).
    services.flagEvaluations.start(60_000);
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
          await stopFlagFanout();
          await services.flagEvaluations.stop().catch((error: unknown) => logBackgroundError(error, 'flag evaluation counts'));
          await services.deployments.runner.stop();
          await services.notifications.dispatcher.stop();
          await database.close();
        }
      })();
      return stopping;
    };
    return { app, services, url: `http://${host}:${port}`, bootstrapToken: bootstrap?.token ?? null, bootstrapPassword: bootstrap?.password ?? null, migrationsApplied, stop };
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
}
