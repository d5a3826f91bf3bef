import { createHash, randomBytes } from 'node:crypto';
import semver from 'semver';
import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import type { Uow } from '../db/stores.js';
import { localTime, zonedInstant } from '../deployments/deploy-windows.js';
import { DAYS, readSettings } from '../environments/deployment-settings.js';
import type { Clock } from '../shared/clock.js';
import { NotFoundError, UnauthorizedError, ValidationError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { CALENDAR_KINDS, type CalendarKind, type CalendarSchedule } from './calendar-store.js';
import { normaliseRrule, occurrences, validateRecurrence } from './recurrence.js';

/** One entry of the calendar, whatever produced it. */
export interface CalendarEvent {
  id: string;
  kind: CalendarKind | 'deploy-window' | 'release-cut';
  title: string;
  start: string;
  end: string;
  project: string | null;
  environment: string | null;
  scheduleId: string | null;
  description: string | null;
}

export interface ScheduleInput {
  project?: string | null;
  name: string;
  kind: CalendarKind;
  rrule: string;
  startsAt: string;
  timezone?: string;
  durationMinutes?: number;
  remindMinutes?: number | null;
  description?: string;
}

const DAY_MS = 86_400_000;
export const TOKEN_PREFIX = 'slwcal_';
const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * The release calendar: recurring schedules (release trains, majors, maintenance windows), every
 * environment's freezes and deploy windows, and the releases already cut — one list for the API and
 * the iCalendar feed, and reminders ahead of each release train.
 */
export class CalendarService {
  constructor(
    private readonly uow: Uow,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
  ) {}

  present(s: CalendarSchedule) {
    const { projectId: _p, ...rest } = s;
    return rest;
  }

  private async projectOf(key: string | null | undefined) {
    if (key === null || key === undefined) return null;
    const p = await this.uow.reads.projects.get(key);
    if (!p) throw new NotFoundError(`Project ${key} does not exist.`, { project: key, field: 'project' });
    return p;
  }

  async list(project?: string): Promise<CalendarSchedule[]> {
    const p = await this.projectOf(project);
    return this.uow.reads.calendar.list(p?.id);
  }

  async get(id: string): Promise<CalendarSchedule> {
    const s = await this.uow.reads.calendar.get(id);
    if (!s) throw new NotFoundError(`Calendar schedule ${id} does not exist.`, { schedule: id });
    return s;
  }

  private async build(base: Partial<CalendarSchedule>, input: Partial<ScheduleInput>): Promise<Omit<CalendarSchedule, 'id' | 'projectId' | 'project' | 'createdBy' | 'createdAt' | 'updatedAt'>> {
    const kind = input.kind ?? base.kind ?? 'custom';
    if (!(CALENDAR_KINDS as readonly string[]).includes(kind)) throw new ValidationError(`kind must be one of ${CALENDAR_KINDS.join(', ')}.`, { field: 'kind' });
    const next = {
      name: input.name ?? base.name ?? '',
      kind,
      rrule: normaliseRrule(input.rrule ?? base.rrule ?? ''),
      startsAt: input.startsAt ?? base.startsAt ?? '',
      timezone: input.timezone ?? base.timezone ?? 'UTC',
      durationMinutes: input.durationMinutes ?? base.durationMinutes ?? (kind === 'maintenance' ? 120 : 60),
      // Release trains are announced the day before by default ("release train 2.14 cuts tomorrow").
      remindMinutes: input.remindMinutes !== undefined ? input.remindMinutes : base.remindMinutes !== undefined ? base.remindMinutes : kind === 'release' || kind === 'major' || kind === 'maintenance' ? 1440 : null,
      description: input.description ?? base.description ?? '',
    };
    await validateRecurrence(next);
    return next;
  }

  async create(ctx: RequestContext, input: ScheduleInput): Promise<CalendarSchedule> {
    authorize(ctx.actor, { role: 'release-manager', action: 'Changing the release calendar' });
    const project = await this.projectOf(input.project);
    const fields = await this.build({}, input);
    return this.uow.transaction(async (tx) => {
      const s: CalendarSchedule = { id: this.ids.next(), projectId: project?.id ?? null, project: project?.key ?? null, ...fields, createdBy: ctx.actor.username, createdAt: tx.now, updatedAt: tx.now };
      await tx.stores.calendar.insert(s);
      await tx.record(ctx, { action: 'calendar.schedule_created', resourceType: 'calendar_schedule', resourceId: s.id, after: this.present(s), event: { type: 'calendar.schedule_created', projectKey: s.project, payload: { schedule: s.id, name: s.name, kind: s.kind, project: s.project, rrule: s.rrule } } });
      return s;
    });
  }

  async update(ctx: RequestContext, id: string, input: Partial<ScheduleInput>): Promise<CalendarSchedule> {
    authorize(ctx.actor, { role: 'release-manager', action: 'Changing the release calendar' });
    await this.get(id);
    const project = input.project !== undefined ? await this.projectOf(input.project) : undefined;
    return this.uow.transaction(async (tx) => {
      // Merged into the row read under its lock (build reads nothing from the database).
      await tx.stores.calendar.lock(id);
      const before = await tx.stores.calendar.get(id);
      if (!before) throw new NotFoundError(`Calendar schedule ${id} does not exist.`, { schedule: id });
      const fields = await this.build(before, input);
      const after: CalendarSchedule = { ...before, ...fields, ...(project !== undefined && { projectId: project?.id ?? null, project: project?.key ?? null }), updatedAt: tx.now };
      await tx.stores.calendar.update(after);
      await tx.record(ctx, { action: 'calendar.schedule_updated', resourceType: 'calendar_schedule', resourceId: id, before: this.present(before), after: this.present(after) });
      return after;
    });
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    authorize(ctx.actor, { role: 'release-manager', action: 'Changing the release calendar' });
    const s = await this.get(id);
    await this.uow.transaction(async (tx) => {
      await tx.stores.calendar.delete(id);
      await tx.record(ctx, { action: 'calendar.schedule_deleted', resourceType: 'calendar_schedule', resourceId: id, before: this.present(s) });
    });
  }

  /** Every calendar entry overlapping [from, to), sorted by start. */
  async events(q: { from: Date; to: Date; project?: string; kinds?: string[] }): Promise<CalendarEvent[]> {
    const project = await this.projectOf(q.project);
    const want = (k: string) => q.kinds === undefined || q.kinds.includes(k);
    const out: CalendarEvent[] = [];
    for (const s of await this.uow.reads.calendar.list(project?.id)) {
      if (!want(s.kind)) continue;
      for (const o of await occurrences(s, q.from, q.to)) {
        out.push({ id: `schedule:${s.id}:${o.local}`, kind: s.kind, title: s.project ? `${s.project}: ${s.name}` : s.name, start: o.start.toISOString(), end: o.end.toISOString(), project: s.project, environment: null, scheduleId: s.id, description: s.description || null });
      }
    }
    const envs = await this.uow.reads.environments.all();
    for (const env of envs) {
      const settings = readSettings(env.settings);
      if (want('freeze')) {
        settings.freezes.forEach((f, i) => {
          if (Date.parse(f.to) <= q.from.getTime() || Date.parse(f.from) >= q.to.getTime()) return;
          out.push({ id: `freeze:${env.key}:${i}:${f.from}`, kind: 'freeze', title: `${env.key} frozen: ${f.reason}`, start: f.from, end: f.to, project: null, environment: env.key, scheduleId: null, description: f.reason });
        });
      }
      if (want('deploy-window')) {
        settings.windows.forEach((w, i) => {
          // Day by day in the window's zone: each listed weekday gives one slot.
          const first = localTime(new Date(q.from.getTime() - DAY_MS), w.timezone);
          for (let day = 0; day < 400; day++) {
            const date = new Date(Date.UTC(first.year, first.month - 1, first.day + day));
            const weekday = DAYS[(date.getUTCDay() + 6) % 7]!;
            const y = date.getUTCFullYear();
            const m = date.getUTCMonth() + 1;
            const d = date.getUTCDate();
            const start = zonedInstant(y, m, d, toMinutes(w.start), w.timezone);
            if (start >= q.to) break;
            if (!w.days.includes(weekday)) continue;
            const end = zonedInstant(y, m, d, toMinutes(w.end), w.timezone);
            if (end <= q.from) continue;
            out.push({ id: `window:${env.key}:${i}:${y}-${m}-${d}`, kind: 'deploy-window', title: `${env.key} deploy window`, start: start.toISOString(), end: end.toISOString(), project: null, environment: env.key, scheduleId: null, description: `${w.days.join(', ')} ${w.start}–${w.end} ${w.timezone}` });
          }
        });
      }
    }
    if (want('release-cut')) {
      for (const r of await this.uow.reads.calendar.releasesCut(q.from.toISOString(), q.to.toISOString(), project?.id)) {
        out.push({ id: `release:${r.project}@${r.version}`, kind: 'release-cut', title: `${r.project} ${r.version} released${r.kind === 'hotfix' ? ' (hotfix)' : ''}`, start: r.createdAt, end: r.createdAt, project: r.project, environment: null, scheduleId: null, description: null });
      }
    }
    return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.id < b.id ? -1 : 1));
  }

  // --- feed tokens: read-only access to the calendar, meant to sit in a calendar app's URL ---

  async createToken(ctx: RequestContext, name: string): Promise<{ id: string; name: string; token: string; prefix: string; createdAt: string }> {
    authorize(ctx.actor, { role: 'viewer', action: 'Subscribing to the calendar' });
    const token = `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
    return this.uow.transaction(async (tx) => {
      const t = { id: this.ids.next(), name, tokenHash: hash(token), prefix: token.slice(0, TOKEN_PREFIX.length + 4), createdBy: ctx.actor.username, createdAt: tx.now };
      await tx.stores.calendar.insertToken(t);
      await tx.record(ctx, { action: 'calendar.token_created', resourceType: 'calendar_token', resourceId: t.id, after: { id: t.id, name, prefix: t.prefix } });
      return { id: t.id, name, token, prefix: t.prefix, createdAt: t.createdAt };
    });
  }

  tokens() {
    return this.uow.reads.calendar.tokens();
  }

  async revokeToken(ctx: RequestContext, id: string): Promise<void> {
    const t = (await this.uow.reads.calendar.tokens()).find((x) => x.id === id);
    if (!t) throw new NotFoundError(`Calendar token ${id} does not exist.`, { token: id });
    if (t.createdBy !== ctx.actor.username) authorize(ctx.actor, { role: 'admin', action: "Revoking someone else's calendar token" });
    await this.uow.transaction(async (tx) => {
      await tx.stores.calendar.revokeToken(id, tx.now);
      await tx.record(ctx, { action: 'calendar.token_revoked', resourceType: 'calendar_token', resourceId: id, before: t });
    });
  }

  /** Whether a feed token is valid (not revoked). */
  async verifyToken(token: string): Promise<void> {
    const t = await this.uow.reads.calendar.tokenByHash(hash(token));
    if (!t || t.revokedAt !== null) throw new UnauthorizedError('The calendar token is not valid or has been revoked: create one with POST /api/v1/calendar/tokens.');
  }

  // --- reminders ---

  /** The name of the next train of a project's schedule: "2.14" after 2.13.x (a major: "3.0"). */
  async trainName(s: CalendarSchedule): Promise<string | null> {
    if (s.projectId === null || (s.kind !== 'release' && s.kind !== 'major')) return null;
    const finals = (await this.uow.reads.releases.summaries(s.projectId)).map((r) => r.version).filter((v) => semver.valid(v) && semver.prerelease(v) === null);
    const top = finals.sort(semver.rcompare)[0];
    if (!top) return null;
    const p = semver.parse(top)!;
    return s.kind === 'major' ? `${p.major + 1}.0` : `${p.major}.${p.minor + 1}`;
  }

  /**
   * Announces occurrences that start within their schedule's reminder lead time, each once (a job
   * marker per schedule and occurrence), on any replica, across restarts.
   */
  async remindDue(ctx: RequestContext): Promise<number> {
    const now = this.clock.now();
    let sent = 0;
    for (const s of await this.uow.reads.calendar.list()) {
      if (s.remindMinutes === null) continue;
      const lead = s.remindMinutes * 60_000;
      for (const o of await occurrences(s, now, new Date(now.getTime() + lead + 1), 20)) {
        if (o.start.getTime() - lead > now.getTime() || o.start <= now) continue;
        const train = await this.trainName(s);
        const when = describeWhen(o.start, now, s.timezone);
        const what = s.kind === 'maintenance' ? `Maintenance window "${s.name}"${s.project ? ` (${s.project})` : ''} starts ${when}` : s.kind === 'release' || s.kind === 'major' ? `${s.kind === 'major' ? 'Major release train' : 'Release train'} ${s.project ? `${s.project} ` : ''}${train ?? s.name} cuts ${when}` : `${s.name} ${when}`;
        const done = await this.uow.transaction(async (tx) => {
          if (!(await tx.stores.jobs.claim(`calendar:${s.id}`, o.start.toISOString(), tx.now))) return false;
          await tx.record(ctx, {
            action: 'calendar.reminder',
            resourceType: 'calendar_schedule',
            resourceId: s.id,
            after: { occurrence: o.start.toISOString() },
            event: {
              type: 'calendar.reminder',
              projectKey: s.project,
              payload: {
                schedule: s.id,
                name: s.name,
                kind: s.kind,
                project: s.project,
                train,
                startsAt: o.start.toISOString(),
                endsAt: o.end.toISOString(),
                local: `${o.local} ${s.timezone}`,
                message: { title: what, summary: s.description || null, tone: 'info', facts: [{ label: 'When', value: `${o.local.replace('T', ' ')} ${s.timezone}` }, ...(s.project ? [{ label: 'Project', value: s.project }] : []), ...(train ? [{ label: 'Train', value: train }] : []), { label: 'Schedule', value: s.name }] },
              },
            },
          });
          return true;
        });
        if (done) sent++;
      }
    }
    return sent;
  }
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** "tomorrow at 10:00 Europe/Paris", "today at …", or "on Tue 2026-03-10 at …". */
function describeWhen(at: Date, now: Date, zone: string): string {
  const a = localTime(at, zone);
  const n = localTime(now, zone);
  const days = Math.round((Date.UTC(a.year, a.month - 1, a.day) - Date.UTC(n.year, n.month - 1, n.day)) / DAY_MS);
  const time = `${String(Math.floor(a.minutes / 60)).padStart(2, '0')}:${String(a.minutes % 60).padStart(2, '0')} ${zone}`;
  if (days === 0) return `today at ${time}`;
  if (days === 1) return `tomorrow at ${time}`;
  return `on ${a.weekday} ${a.year}-${String(a.month).padStart(2, '0')}-${String(a.day).padStart(2, '0')} at ${time}`;
}
