import type { FastifyInstance } from 'fastify';
import { bugRoutes, bugWebhookRoutes } from '../bugs/bug-routes.js';
import type { Services } from '../composition.js';
import { incidentRoutes } from '../incidents/incident-routes.js';
import { insightRoutes } from './insight-routes.js';

/** Routes of the insights features that take user tokens (registered inside the auth hook). */
export async function registerInsightRoutes(api: FastifyInstance, s: Services): Promise<void> {
  const i = s.insights;
  await api.register(insightRoutes(i.dora, i.quality, s.clock));
  await api.register(incidentRoutes(i.incidents, s.clock));
  await api.register(bugRoutes(i.bugs));
}

/** Routes that authenticate on their own (tracker webhooks, calendar feeds, executors, public checks). */
export async function registerPublicInsightRoutes(app: FastifyInstance, s: Services): Promise<void> {
  await app.register(bugWebhookRoutes(s.insights.bugs, s.auth), { prefix: '/api/v1' });
}
