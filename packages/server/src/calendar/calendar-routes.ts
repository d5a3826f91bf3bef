import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/auth-service.js';
import { errorResponses, Nullable, Slug, Timestamp } from '../http/schemas.js';
import { parseRange } from '../insights/range.js';
import type { Clock } from '../shared/clock.js';
import { UnauthorizedError, ValidationError } from '../shared/errors.js';
import { CALENDAR_KINDS } from './calendar-store.js';
import { TOKEN_PREFIX, type CalendarService } from './calendar-service.js';
import { buildFeed } from './ical-feed.js';

const KindSchema = Type.Union(CALENDAR_KINDS.map((k) => Type.Literal(k)));
const ScheduleResponse = Type.Object({
  id: Type.String(),
  project: Nullable(Type.String()),
  name: Type.String(),
  kind: Type.String(),
  rrule: Type.String(),
  startsAt: Type.String({ description: 'local start of the first occurrence, YYYY-MM-DDTHH:MM in timezone' }),
  timezone: Type.String(),
  durationMinutes: Type.Integer(),
  remindMinutes: Nullable(Type.Integer()),
  description: Type.String(),
  createdBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
const ScheduleFields = {
  project: Type.Optional(Nullable(Slug)),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  kind: KindSchema,
  rrule: Type.String({ minLength: 6, maxLength: 500, description: 'RFC 5545 RRULE, e.g. FREQ=WEEKLY;INTERVAL=2;BYDAY=TU' }),
  startsAt: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}$' }),
  timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  durationMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 10080 })),
  remindMinutes: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 43200 }))),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
};
const EventSchema = Type.Object({
  id: Type.String(),
  kind: Type.String({ description: 'release, major, maintenance, freeze, custom, deploy-window or release-cut' }),
  title: Type.String(),
  start: Timestamp,
  end: Timestamp,
  project: Nullable(Type.String()),
  environment: Nullable(Type.String()),
  scheduleId: Nullable(Type.String()),
  description: Nullable(Type.String()),
});
const CalendarQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ maxLength: 40 })),
    to: Type.Optional(Type.String({ maxLength: 40 })),
    project: Type.Optional(Slug),
    kinds: Type.Optional(Type.String({ maxLength: 200, description: 'comma-separated kinds to include' })),
  },
  { additionalProperties: false },
);

const KINDS = [...CALENDAR_KINDS, 'deploy-window', 'release-cut'];
function kindsOf(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const kinds = value.split(',').map((k) => k.trim()).filter(Boolean);
  const bad = kinds.filter((k) => !KINDS.includes(k));
  if (bad.length > 0) throw new ValidationError(`kinds: unknown ${bad.join(', ')}; use ${KINDS.join(', ')}.`, { field: 'kinds' });
  return kinds;
}

const DAY = 86_400_000;
const YEAR = 366 * DAY;

function range(q: { from?: string; to?: string }, now: Date) {
  const to = q.to ?? new Date(now.getTime() + 90 * DAY).toISOString();
  const from = q.from ?? new Date(now.getTime() - 7 * DAY).toISOString();
  const r = parseRange({ from, to }, now);
  if (r.to.getTime() - r.from.getTime() > YEAR) throw new ValidationError('The calendar spans at most a year per request: narrow from/to.', { field: 'to' });
  return r;
}

export function calendarRoutes(calendar: CalendarService, clock: Clock): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['calendar'];
    app.get('/calendar', { schema: { tags, summary: 'The release calendar: schedules, freezes, deploy windows and releases cut, in a range', querystring: CalendarQuery, response: { 200: Type.Object({ from: Timestamp, to: Timestamp, events: Type.Array(EventSchema) }), ...errorResponses } } }, async (request) => {
      const { from, to } = range(request.query, clock.now());
      const kinds = kindsOf(request.query.kinds);
      const events = await calendar.events({ from, to, ...(request.query.project !== undefined && { project: request.query.project }), ...(kinds !== undefined && { kinds }) });
      return { from: from.toISOString(), to: to.toISOString(), events };
    });
    app.get('/calendar/schedules', { schema: { tags, summary: 'Calendar schedules', querystring: Type.Object({ project: Type.Optional(Slug) }, { additionalProperties: false }), response: { 200: Type.Object({ items: Type.Array(ScheduleResponse) }), ...errorResponses } } }, async (request) => ({
      items: (await calendar.list(request.query.project)).map((s) => calendar.present(s)),
    }));
    app.post('/calendar/schedules', { schema: { tags, summary: 'Add a recurring calendar entry (release train, major, maintenance window, freeze, custom)', body: Type.Object(ScheduleFields, { additionalProperties: false }), response: { 201: ScheduleResponse, ...errorResponses } } }, async (request, reply) => {
      return reply.status(201).send(calendar.present(await calendar.create(request.ctx, request.body)));
    });
    const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
    app.get('/calendar/schedules/:id', { schema: { tags, summary: 'One calendar schedule', params: IdParams, response: { 200: ScheduleResponse, ...errorResponses } } }, async (request) => calendar.present(await calendar.get(request.params.id)));
    app.patch(
      '/calendar/schedules/:id',
      { schema: { tags, summary: 'Change a calendar schedule', params: IdParams, body: Type.Partial(Type.Object(ScheduleFields), { additionalProperties: false, minProperties: 1 }), response: { 200: ScheduleResponse, ...errorResponses } } },
      async (request) => calendar.present(await calendar.update(request.ctx, request.params.id, request.body)),
    );
    app.delete('/calendar/schedules/:id', { schema: { tags, summary: 'Remove a calendar schedule', params: IdParams, response: { 204: Type.Null(), ...errorResponses } } }, async (request, reply) => {
      await calendar.delete(request.ctx, request.params.id);
      return reply.status(204).send(null);
    });
    app.post(
      '/calendar/tokens',
      { schema: { tags, summary: 'A read-only token for the iCalendar feed (shown once)', body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }), response: { 201: Type.Object({ id: Type.String(), name: Type.String(), token: Type.String(), prefix: Type.String(), createdAt: Timestamp, url: Type.String() }), ...errorResponses } } },
      async (request, reply) => {
        const t = await calendar.createToken(request.ctx, request.body.name);
        return reply.status(201).send({ ...t, url: `/api/v1/calendar.ics?token=${t.token}` });
      },
    );
    app.get('/calendar/tokens', { schema: { tags, summary: 'Calendar feed tokens (without the secrets)', response: { 200: Type.Object({ items: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), prefix: Type.String(), createdBy: Type.String(), createdAt: Timestamp, revokedAt: Nullable(Timestamp) })) }), ...errorResponses } } }, async () => ({
      items: await calendar.tokens(),
    }));
    app.delete('/calendar/tokens/:id', { schema: { tags, summary: 'Revoke a calendar feed token', params: IdParams, response: { 204: Type.Null(), ...errorResponses } } }, async (request, reply) => {
      await calendar.revokeToken(request.ctx, request.params.id);
      return reply.status(204).send(null);
    });
  };
}

/**
 * GET /api/v1/calendar.ics, outside the user-token hook: calendar apps cannot send headers, so a
 * calendar token in `?token=` is accepted (read-only, calendar only, revocable); so is an API token
 * in the Authorization header. The log serializer strips `token` from logged URLs.
 */
export function calendarFeedRoutes(calendar: CalendarService, auth: AuthService, clock: Clock): FastifyPluginAsync {
  const authenticate = async (request: FastifyRequest) => {
    const query = (request.query ?? {}) as { token?: unknown };
    const header = request.headers.authorization;
    const bearer = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
    const token = typeof query.token === 'string' ? query.token : bearer;
    if (token === undefined) throw new UnauthorizedError('Send a calendar token: /api/v1/calendar.ics?token=slwcal_… (create one with POST /api/v1/calendar/tokens), or Authorization: Bearer <API token>.');
    if (token.startsWith(TOKEN_PREFIX)) return calendar.verifyToken(token);
    await auth.authenticate(token);
  };
  return async (app) => {
    app.get(
      '/calendar.ics',
      {
        schema: {
          tags: ['calendar'],
          summary: 'The release calendar as an iCalendar feed (subscribe to it in a calendar app)',
          querystring: { type: 'object', additionalProperties: false, properties: { token: { type: 'string', maxLength: 600 }, project: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }, kinds: { type: 'string', maxLength: 200 } } },
        },
      },
      async (request, reply) => {
        await authenticate(request);
        const q = request.query as { project?: string; kinds?: string };
        const now = clock.now();
        const kinds = kindsOf(q.kinds);
        const from = new Date(now.getTime() - 60 * DAY);
        const to = new Date(now.getTime() + 300 * DAY);
        const [schedules, events] = await Promise.all([calendar.list(q.project), calendar.events({ from, to, ...(q.project !== undefined && { project: q.project }), ...(kinds !== undefined && { kinds }) })]);
        const body = await buildFeed({ schedules: schedules.filter((s) => kinds === undefined || kinds.includes(s.kind)), events, now, name: q.project ? `Slipway: ${q.project}` : 'Slipway release calendar' });
        return reply.type('text/calendar; charset=utf-8').header('cache-control', 'private, max-age=300').send(body);
      },
    );
  };
}
