import { randomUUID } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { auditRoutes } from './audit/audit-routes.js';
import { authRoutes } from './auth/auth-routes.js';
import { sessionRoutes } from './auth/session-routes.js';
import type { Services } from './composition.js';
import { pingDatabase } from './db/connect.js';
import { environmentRoutes } from './environments/environment-routes.js';
import { flagRoutes } from './flags/flag-routes.js';
import { segmentRoutes } from './flags/segment-routes.js';
import { registerErrorHandling } from './http/error-handler.js';
import { registerMetrics, RequestDurations } from './http/metrics.js';
import { registerNulGuard } from './http/nul-guard.js';
import { requireAuthentication } from './http/request-context.js';
import { registerSchemaCompilers } from './http/validation.js';
import { projectRoutes } from './projects/project-routes.js';
import { releaseRoutes } from './releases/release-routes.js';
import { OfrepFastPath } from './sdk/ofrep-fast-path.js';
import { ofrepRoutes } from './sdk/ofrep-routes.js';
import { sdkKeyRoutes } from './sdk/sdk-key-routes.js';
import { sdkRoutes } from './sdk/sdk-routes.js';
import { signoffRoutes } from './signoffs/signoff-routes.js';
import { deploymentCallbackRoutes } from './deployments/deployment-callback-routes.js';
import { deploymentRoutes } from './deployments/deployment-routes.js';
import { statusRoutes } from './status/status-routes.js';
import { channelRoutes } from './notifications/channel-routes.js';
import { deliveryRoutes } from './notifications/delivery-routes.js';
import { registerWebApp } from './web/web-app.js';
import { deploymentTimelineRoutes } from './deployments/deployment-timeline-routes.js';
import { flagPreviewRoutes } from './flags/flag-preview-routes.js';
import { badgeRoutes } from './web/badge-routes.js';
import { analysisRoutes } from './rollouts/analysis-routes.js';
import { metricsRoutes } from './rollouts/metrics-routes.js';
import { rolloutRoutes } from './rollouts/rollout-routes.js';
import { registerInsightRoutes, registerPublicInsightRoutes } from './insights/insights-http.js';

export interface AppOptions {
  logger?: FastifyServerOptions['logger'];
  version?: string;
  /** The built web app to serve at `/` (SLIPWAY_WEB_DIR); unset: no web app routes. */
  webDir?: string;
  /** Which proxies' X-Forwarded-For to believe for the client address (SLIPWAY_TRUST_PROXY). */
  trustProxy?: boolean | number | string[];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A request's id: its X-Request-Id when that is a sane token, else a new UUID. */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const incoming = headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Answers well-formed single-flag OFREP requests before Fastify sees them (decision 0029); null when access logs are on. */
    ofrepFastPath: { readonly handled: number; closing: boolean } | null;
  }
}

/** SDK endpoints: called thousands of times a second by machines. */
export function isSdkUrl(url: string | undefined): boolean {
  return url !== undefined && (url.startsWith('/ofrep/') || url.startsWith('/api/v1/sdk/'));
}

/**
 * Access log lines ("incoming request", "request completed") of SDK endpoints are written only
 * at LOG_LEVEL debug or trace; errors are always logged. Deciding per request in the log
 * controller costs nothing, where a route log level rebuilds each request's logger.
 */
export class SdkAccessLogs extends LogController {
  constructor(private readonly quiet: boolean) {
    super();
  }

  override isLogDisabled(req: { url?: string }): boolean {
    return this.quiet && isSdkUrl(req.url);
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (error && this.isLogDisabled(request)) reply.log.error({ reqId: request.id, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else super.requestCompleted(error, request, reply, metadata);
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (reply.statusCode >= 500 && this.isLogDisabled(request)) reply.log.error({ reqId: request.id, req: request, res: reply, err: error }, error?.message);
    else super.defaultErrorLog(error, request, reply, metadata);
  }
}

/** Whether a log level hides debug lines (then SDK access lines are left out too). */
export function quietSdkAccessLogs(options: FastifyServerOptions['logger']): boolean {
  if (!options) return true;
  const level = typeof options === 'object' && 'level' in options ? String(options.level) : 'info';
  return level !== 'debug' && level !== 'trace';
}
export const BODY_LIMIT = 1024 * 1024;

/** Builds the Fastify application from composed services. It does not listen: main.ts does. */
export async function buildApp(services: Services, options: AppOptions = {}): Promise<FastifyInstance> {
  const quiet = quietSdkAccessLogs(options.logger);
  const durations = new RequestDurations();
  let log: FastifyInstance['log'] | undefined;
  // With SDK access logs on (LOG_LEVEL debug), every OFREP request goes through Fastify to be logged.
  const fastPath = quiet
    ? new OfrepFastPath({
        delivery: services.flagDelivery,
        keys: services.sdkKeys,
        evaluations: services.flagEvaluations,
        requestId: requestIdOf,
        observe: (method, route, status, seconds) => durations.observe(method, route, status, seconds),
        logError: (fields, message) => log?.error(fields, message),
        bodyLimit: BODY_LIMIT,
      })
    : null;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT,
    requestIdHeader: false,
    genReqId: (req) => requestIdOf(req.headers),
    // The OFREP fast path sees each request first (decision 0029); the server is otherwise made as
    // Fastify makes it. A global hook added here does not run for the requests that path answers.
    ...(fastPath !== null && {
      serverFactory: (handler: http.RequestListener, opts: FastifyServerOptions) => {
        const server = http.createServer((req, res) => {
          if (!fastPath.handle(req, res)) handler(req, res);
        });
        if (opts.keepAliveTimeout !== undefined) server.keepAliveTimeout = opts.keepAliveTimeout;
        if (opts.requestTimeout !== undefined) server.requestTimeout = opts.requestTimeout;
        if (opts.connectionTimeout !== undefined) server.setTimeout(opts.connectionTimeout);
        if (opts.maxRequestsPerSocket !== undefined && opts.maxRequestsPerSocket !== null && opts.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = opts.maxRequestsPerSocket;
        return server;
      },
    }),
    return503OnClosing: true,
    routerOptions: { maxParamLength: 1000 },
    // Router-level errors (malformed URLs) get the same JSON error shape as everything else.
    frameworkErrors: (error, _request, reply) => {
      void (reply as unknown as { status(code: number): { send(body: unknown): void } })
        .status(400)
        .send({ error: { code: 'bad_request', message: `The URL is not valid: ${error.message}`, details: {} } });
    },
    forceCloseConnections: 'idle',
    // A hop count becomes a function: Fastify's types take booleans, addresses and functions.
    trustProxy: typeof options.trustProxy === 'number' ? ((hops: number) => (_address: string, hop: number) => hop < hops)(options.trustProxy) : (options.trustProxy ?? false),
    logController: new SdkAccessLogs(quiet),
    // Quiet SDK requests log only errors, which name their request id themselves: they share the
    // server's logger instead of building a child logger per request.
    childLoggerFactory: (logger, bindings, childOptions, raw) => (quiet && isSdkUrl(raw.url) ? logger : logger.child(bindings, childOptions)),
  }).withTypeProvider<TypeBoxTypeProvider>();
  log = app.log;
  app.decorate('ofrepFastPath', fastPath);
  // A closing server answers 503 with Connection: close: Fastify does that, so the fast path steps aside.
  app.addHook('preClose', (done) => {
    if (fastPath !== null) fastPath.closing = true;
    done();
  });

  // The API speaks JSON only: a text/plain body is refused with 415, not parsed into a string.
  app.removeContentTypeParser('text/plain');
  registerSchemaCompilers(app);
  registerErrorHandling(app);
  registerNulGuard(app);
  // A callback hook, not an async one: it runs on every request, SDK ones included.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Slipway API', version: options.version ?? '0.1.0', description: 'Release control plane: releases, promotions, sign-offs, flags.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await pingDatabase(services.database.db);
      return { status: 'ready', database: services.database.dialect };
    } catch {
      return reply.status(503).send({ error: { code: 'not_ready', message: 'The database is not reachable.', details: {} } });
    }
  });
  registerMetrics(app, durations);

  await app.register(
    async (api) => {
      requireAuthentication(api, services.auth, services.sdkKeys.authenticateSdkKey, services.sessions);
      await api.register(authRoutes(services.auth));
      await api.register(environmentRoutes(services.environments));
      await api.register(projectRoutes(services.projects, { get: (p) => services.insights.compatibility.projectRequirements(p), validate: (ctx, p, r) => services.insights.compatibility.validateProjectRequirements(ctx, p, r), set: (ctx, p, r) => services.insights.compatibility.setProjectRequirements(ctx, p, r) }));
      await api.register(auditRoutes(services.audit));
      await api.register(releaseRoutes(services.releases, async (project) => (await services.projects.get(project)).ticketUrl));
      // Before flagRoutes: /flags/evaluate is a static path beside /flags/:flag.
      await api.register(flagPreviewRoutes(services.flagPreview));
      await api.register(flagRoutes(services.flags));
      await api.register(segmentRoutes(services.segments));
      await api.register(sdkKeyRoutes(services.sdkKeys));
      await api.register(signoffRoutes(services.signoffs));
      await api.register(deploymentRoutes(services.deployments));
      await api.register(statusRoutes(services.status, { outbox: services.outbox, pollMs: services.statusStream.pollMs }));
      await api.register(channelRoutes(services.notifications.channels));
      await api.register(deliveryRoutes(services.notifications.deliveries));
      await api.register(deploymentTimelineRoutes(services.deploymentTimeline));
      await api.register(rolloutRoutes(services.rollouts.service));
      await api.register(analysisRoutes(services.rollouts.analysis));
      await registerInsightRoutes(api, services);
    },
    { prefix: '/api/v1' },
  );
  // Sign-in needs no credentials yet; sign-out clears the cookie even of an expired session.
  await app.register(sessionRoutes(services.sessions, { secureCookies: services.publicUrl.startsWith('https:') }), { prefix: '/api/v1' });
  // SDK endpoints authenticate with SDK keys, not user tokens: outside the user-token hook.
  await app.register(sdkRoutes(services.flagDelivery, services.sdkKeys, services.flagStream), { prefix: '/api/v1' });
  await app.register(ofrepRoutes(services.flagDelivery, services.sdkKeys, { secrets: services.secrets, pingIntervalMs: services.flagStream.pingIntervalMs, evaluations: services.flagEvaluations }));
  // Services report request metrics for rollout analysis with a server SDK key.
  await app.register(metricsRoutes(services.rollouts.ingestion, services.sdkKeys.authenticateSdkKey), { prefix: '/api/v1' });
  // Executors report with a per-deployment callback token (or an API token): outside the user-token hook.
  await app.register(deploymentCallbackRoutes(services.deployments.reports, services.auth), { prefix: '/api/v1' });
  await app.register(badgeRoutes(services.badges));
  // The web app at `/`, its pages falling back to index.html; /api/* misses stay JSON 404s.
  if (options.webDir !== undefined) await registerWebApp(app, { webDir: options.webDir, secure: services.publicUrl.startsWith('https:') });
  await registerPublicInsightRoutes(app, services);

  return app;
}
