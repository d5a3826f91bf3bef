import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { systemContext } from './auth/actor.js';
import { compose, type Services } from './composition.js';
import type { Config } from './config.js';
import { migrate, openDatabase } from './db/connect.js';
import { startFlagFanout } from './fanout/start-fanout.js';
import { redactUrl } from './http/redact-url.js';
import { OutboundPolicy } from './shared/outbound-policy.js';
import { sealRepositoryCredentials } from './projects/repository-sealing.js';

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
export async function startServer(config: Config, options: { logStream?: NodeJS.WritableStream } = {}): Promise<RunningServer> {
  // The data directory holds the database, the secret key and the clones: the server's user only.
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(config.dataDir, 0o700);
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
      repositoryRefreshMs: config.repositoryRefreshMs,
      statusInstancesReuseMs: config.statusInstancesReuseMs,
      rollouts: config.rollouts,
      outbound: new OutboundPolicy(config.outbound),
    });
    // Credentials still in repository URLs (stored before 0012) are sealed before anything is served.
    await sealRepositoryCredentials(services.uow, services.secrets, config.dataDir);
    const bootstrap = await services.auth.bootstrapAdmin(systemContext(), { token: config.bootstrapToken, password: config.bootstrapPassword });
    const app = await buildApp(services, {
      logger: {
        level: config.logLevel,
        // Tests read the log (secrets must never appear in it); the process logs to stdout.
        ...(options.logStream && { stream: options.logStream }),
        redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie', 'req.headers["x-slipway-csrf"]'],
        // Calendar feeds and tracker webhooks carry their token in the URL: logged URLs hide it.
        serializers: { req: (req: { method: string; url: string; hostname?: string; ip?: string }) => ({ method: req.method, url: redactUrl(req.url), hostname: req.hostname, remoteAddress: req.ip }) }
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
    // Clones are fetched in the background so a release does not pay for every new commit (docs/decisions/0007).
    services.repositoryRefresher.start();
    // Rollouts advance in the background, claimed with leases like deployments.
    services.rollouts.ticker.start();
    // Test schedules and runs, the weekly digest, calendar reminders, outbox consumers (insights).
    services.insights.worker.start(services.outbox);
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
          await services.repositoryRefresher.stop();
          await services.rollouts.ticker.stop();
          await services.insights.worker.stop();
          await services.insights.runner.stop();
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
