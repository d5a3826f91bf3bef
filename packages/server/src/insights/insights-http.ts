import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { bugRoutes, bugWebhookRoutes } from '../bugs/bug-routes.js';
import { calendarFeedRoutes, calendarRoutes } from '../calendar/calendar-routes.js';
import { compatibilityCheckRoutes, compatibilityRoutes } from '../compatibility/compatibility-routes.js';
import type { Services } from '../composition.js';
import { DAYS } from '../environments/deployment-settings.js';
import { errorResponses, Nullable, Slug } from '../http/schemas.js';
import { incidentRoutes } from '../incidents/incident-routes.js';
import { scheduleRoutes } from '../testruns/schedule-routes.js';
import { testRunCallbackRoutes, testRunRoutes } from '../testruns/test-run-routes.js';
import type { WeeklyDigest } from './digest.js';
import { insightRoutes } from './insight-routes.js';

const DigestSettings = Type.Object({ enabled: Type.Boolean(), timezone: Type.String(), day: Type.String(), time: Type.String(), environment: Type.String(), projects: Nullable(Type.Array(Type.String())) });

function digestRoutes(digest: WeeklyDigest, now: () => Date): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['insights'];
    app.get('/insights/digest', { schema: { tags, summary: 'Weekly digest ("Lichty Lines") settings', response: { 200: DigestSettings, ...errorResponses } } }, async () => digest.settings());
    app.put(
      '/insights/digest',
      {
        schema: {
          tags,
          summary: 'Configure the weekly digest (sent to channels subscribed to insights.weekly_digest)',
          body: Type.Object(
            { enabled: Type.Optional(Type.Boolean()), timezone: Type.Optional(Type.String({ maxLength: 64 })), day: Type.Optional(Type.Union(DAYS.map((d) => Type.Literal(d)))), time: Type.Optional(Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' })), environment: Type.Optional(Slug), projects: Type.Optional(Nullable(Type.Array(Slug, { maxItems: 100 }))) },
            { additionalProperties: false },
          ),
          response: { 200: DigestSettings, ...errorResponses },
        },
      },
      async (request) => digest.configure(request.ctx, request.body as never),
    );
    app.get(
      '/insights/digest/preview',
      { schema: { tags, summary: 'The digest of the last full week, as it would be sent now', response: { 200: DigestPreview, ...errorResponses } } },
      async () => digest.build(now()),
    );
  };
}

const DigestPreview = Type.Object({
  week: Type.Object({ start: Type.String(), startsAt: Type.String(), endsAt: Type.String() }),
  title: Type.String(),
  summary: Type.String(),
  facts: Type.Array(Type.Object({ label: Type.String(), value: Type.String() })),
  projects: Type.Array(
    Type.Object({ project: Nullable(Type.String()), qa: Type.Integer(), pushedBack: Type.Integer(), bugs: Type.Integer(), regressions: Type.Integer(), deployments: Type.Integer() }),
  ),
});

/** Routes of the insights features that take user tokens (registered inside the auth hook). */
export async function registerInsightRoutes(api: FastifyInstance, s: Services): Promise<void> {
  const i = s.insights;
  await api.register(insightRoutes(i.dora, i.quality, s.clock));
  await api.register(digestRoutes(i.digest, () => s.clock.now()));
  await api.register(incidentRoutes(i.incidents, s.clock));
  await api.register(bugRoutes(i.bugs));
  await api.register(testRunRoutes(i.testRuns, s.clock));
  await api.register(scheduleRoutes(i.schedules, i.testsGate));
  await api.register(compatibilityRoutes(i.compatibility));
  await api.register(calendarRoutes(i.calendar, s.clock));
}

/** Routes that authenticate on their own (tracker webhooks, calendar feeds, executors, public checks). */
export async function registerPublicInsightRoutes(app: FastifyInstance, s: Services): Promise<void> {
  const i = s.insights;
  await app.register(bugWebhookRoutes(i.bugs, s.auth), { prefix: '/api/v1' });
  await app.register(testRunCallbackRoutes(i.testRuns, s.auth), { prefix: '/api/v1' });
  await app.register(calendarFeedRoutes(i.calendar, s.auth, s.clock), { prefix: '/api/v1' });
  await app.register(compatibilityCheckRoutes(i.compatibility, s.sdkKeys, s.auth), { prefix: '/api/v1' });
}
