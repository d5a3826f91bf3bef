import { createHmac, timingSafeEqual } from 'node:crypto';
import semver from 'semver';
import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import { isUniqueViolation } from '../db/connect.js';
import type { Stores, Uow } from '../db/stores.js';
import type { Tx } from '../db/unit-of-work.js';
import type { ProjectRecord } from '../projects/project-store.js';
import type { Clock } from '../shared/clock.js';
import { ConflictError, NotFoundError, UnauthorizedError, ValidationError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { decodeCursor, isString, toPage, type Page, type PageRequest } from '../shared/page.js';
import type { SecretBox } from '../shared/secret-box.js';
import { DEFAULT_INTAKE, mapField, normaliseTimestamp, readPath, validateMapping, type IntakeMapping } from './bug-intake.js';
import { SEVERITIES, STAGES, type Bug, type Severity, type Stage } from './bug-store.js';
import { parseCsv } from './csv.js';

export interface BugInput {
  project: string;
  title: string;
  ticket?: string | null;
  severity: string;
  foundIn: string;
  version?: string | null;
  regression?: boolean;
  foundAt: string;
}

export type BugPatch = Partial<Omit<BugInput, 'project'>>;

/** The tracker webhook's settings: the mapping, a shared secret (stored sealed), on or off. */
export interface IntakeSettings {
  enabled: boolean;
  mapping: IntakeMapping;
  /** Sealed with the server key; requests prove it with x-hub-signature (HMAC-SHA256) or ?token=. */
  secret: string | null;
}

const INTAKE_KEY = 'bug-intake';
const FUTURE_SLACK_MS = 5 * 60_000;

type Problem = { field: string; message: string };

/** Bugs: recorded by people, a tracker's webhook or a CSV import; linked to the release that fixed them. */
export class BugService {
  constructor(
    private readonly uow: Uow,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly box: SecretBox,
  ) {}

  /** Checks one bug's fields; returns the normalised values or the problems, each naming its field. */
  private check(input: BugInput, prefix = ''): { value: Omit<BugInput, 'project'> & { severity: Severity; foundIn: Stage; foundAt: string }; problems: Problem[] } {
    const problems: Problem[] = [];
    const f = (name: string) => `${prefix}${name}`;
    const title = typeof input.title === 'string' ? input.title.trim() : '';
    if (title.length === 0 || title.length > 500) problems.push({ field: f('title'), message: 'must be 1–500 characters' });
    if (!(SEVERITIES as readonly string[]).includes(input.severity)) problems.push({ field: f('severity'), message: `must be one of ${SEVERITIES.join(', ')}` });
    if (!(STAGES as readonly string[]).includes(input.foundIn)) problems.push({ field: f('foundIn'), message: `must be one of ${STAGES.join(', ')}` });
    const ticket = input.ticket === undefined || input.ticket === null || input.ticket === '' ? null : input.ticket.trim();
    if (ticket !== null && !/^[A-Za-z0-9][A-Za-z0-9._#/-]{0,99}$/.test(ticket)) problems.push({ field: f('ticket'), message: 'must be a ticket key such as WEB-123 (letters, digits, . _ # / -)' });
    const version = input.version === undefined || input.version === null || input.version === '' ? null : input.version.trim();
    if (version !== null && semver.valid(version) === null) problems.push({ field: f('version'), message: 'must be a semantic version such as 2.14.1' });
    let foundAt = '';
    const at = typeof input.foundAt === 'string' && /^\d{4}-\d{2}-\d{2}/.test(input.foundAt) ? Date.parse(normaliseTimestamp(input.foundAt)) : NaN;
    if (!Number.isFinite(at)) problems.push({ field: f('foundAt'), message: 'must be an ISO-8601 date-time, e.g. 2026-03-02T10:15:00Z' });
    else if (at > this.clock.now().getTime() + FUTURE_SLACK_MS) problems.push({ field: f('foundAt'), message: 'is in the future' });
    else foundAt = new Date(at).toISOString();
    return { value: { title, ticket, severity: input.severity as Severity, foundIn: input.foundIn as Stage, version, regression: input.regression ?? false, foundAt }, problems };
  }

  private async project(key: string, field = 'project'): Promise<ProjectRecord> {
    const p = await this.uow.reads.projects.get(key);
    if (!p) throw new NotFoundError(`Project ${key} does not exist.`, { project: key, field });
    return p;
  }

  private newBug(ctx: RequestContext, project: ProjectRecord, v: ReturnType<BugService['check']>['value'], source: Bug['source'], now: string): Bug {
    return {
      id: this.ids.next(),
      projectId: project.id,
      project: project.key,
      title: v.title,
      ticket: v.ticket ?? null,
      severity: v.severity,
      foundIn: v.foundIn,
      version: v.version ?? null,
      regression: v.regression ?? false,
      foundAt: v.foundAt,
      source,
      fixedIn: null,
      fixedAt: null,
      createdBy: ctx.actor.username,
      createdAt: now,
      updatedAt: now,
    };
  }

  /** Links a new bug to a release already cut after it was found that names its ticket. */
  private async withFix(tx: Tx<Stores>, bug: Bug): Promise<Bug> {
    if (bug.ticket === null) return bug;
    const fix = await tx.stores.bugs.firstReleaseNaming(bug.projectId, bug.ticket, bug.foundAt);
    return fix ? { ...bug, fixedIn: fix.version, fixedAt: fix.createdAt } : bug;
  }

  private async record(tx: Tx<Stores>, ctx: RequestContext, bug: Bug): Promise<void> {
    await tx.record(ctx, {
      action: 'bug.created',
      resourceType: 'bug',
      resourceId: bug.id,
      after: bug,
      event: { type: 'bug.created', projectKey: bug.project, payload: { bug: bug.id, project: bug.project, title: bug.title, ticket: bug.ticket, severity: bug.severity, foundIn: bug.foundIn, version: bug.version, regression: bug.regression, source: bug.source } },
    });
  }

  async create(ctx: RequestContext, input: BugInput, source: Bug['source'] = 'api'): Promise<Bug> {
    authorize(ctx.actor, { role: 'engineer', action: 'Recording a bug' });
    const { value, problems } = this.check(input);
    if (problems.length > 0) throw new ValidationError(`${problems[0]!.field} ${problems[0]!.message}.`, { problems });
    const project = await this.project(input.project);
    return this.uow.transaction(async (tx) => {
      const bug = await this.withFix(tx, this.newBug(ctx, project, value, source, tx.now));
      try {
        await tx.stores.bugs.insert(bug);
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`${project.key} already has a bug for ticket ${bug.ticket}: look it up with GET /api/v1/bugs?project=${project.key}.`, { project: project.key, ticket: bug.ticket });
        throw error;
      }
      await this.record(tx, ctx, bug);
      return bug;
    });
  }

  async get(id: string): Promise<Bug> {
    const bug = await this.uow.reads.bugs.get(id);
    if (!bug) throw new NotFoundError(`Bug ${id} does not exist.`, { bug: id });
    return bug;
  }

  async list(filter: { project?: string; stage?: Stage; regression?: boolean; from?: string; to?: string }, page: PageRequest): Promise<Page<Bug>> {
    const projectId = filter.project === undefined ? undefined : (await this.project(filter.project)).id;
    const rows = await this.uow.reads.bugs.page({
      ...(projectId !== undefined && { projectId }),
      ...(filter.stage !== undefined && { stage: filter.stage }),
      ...(filter.regression !== undefined && { regression: filter.regression }),
      ...(filter.from !== undefined && { from: filter.from }),
      ...(filter.to !== undefined && { to: filter.to }),
      beforeId: decodeCursor(page.cursor, isString),
      limit: page.limit + 1,
    });
    return toPage(rows, page.limit, (b) => b.id);
  }

  async update(ctx: RequestContext, id: string, patch: BugPatch): Promise<Bug> {
    authorize(ctx.actor, { role: 'engineer', action: 'Changing a bug' });
    return this.uow.transaction(async (tx) => {
      await tx.stores.bugs.lock(id);
      const before = await tx.stores.bugs.get(id);
      if (!before) throw new NotFoundError(`Bug ${id} does not exist.`, { bug: id });
      const merged: BugInput = {
        project: before.project,
        title: patch.title ?? before.title,
        ticket: patch.ticket !== undefined ? patch.ticket : before.ticket,
        severity: patch.severity ?? before.severity,
        foundIn: patch.foundIn ?? before.foundIn,
        version: patch.version !== undefined ? patch.version : before.version,
        regression: patch.regression ?? before.regression,
        foundAt: patch.foundAt ?? before.foundAt,
      };
      const { value, problems } = this.check(merged);
      if (problems.length > 0) throw new ValidationError(`${problems[0]!.field} ${problems[0]!.message}.`, { problems });
      let after: Bug = { ...before, ...value, ticket: value.ticket ?? null, version: value.version ?? null, regression: value.regression ?? false, updatedAt: tx.now };
      if (after.ticket !== before.ticket) after = await this.withFix(tx, { ...after, fixedIn: null, fixedAt: null });
      try {
        await tx.stores.bugs.update(after);
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`${before.project} already has a bug for ticket ${after.ticket}.`, { ticket: after.ticket });
        throw error;
      }
      await tx.record(ctx, { action: 'bug.updated', resourceType: 'bug', resourceId: id, before, after, event: { type: 'bug.updated', projectKey: after.project, payload: { bug: id, project: after.project, changes: Object.keys(patch) } } });
      return after;
    });
  }

  /**
   * Imports bugs from CSV (header row: project,title,ticket,severity,foundIn,version,regression,foundAt).
   * All or nothing: any invalid row refuses the file with every problem listed by line; rows whose
   * ticket is already recorded are skipped, so importing the same file twice adds nothing.
   */
  async importCsv(ctx: RequestContext, text: string, defaults: { project?: string } = {}): Promise<{ created: Bug[]; skipped: Array<{ line: number; ticket: string; reason: string }> }> {
    authorize(ctx.actor, { role: 'engineer', action: 'Importing bugs' });
    let rows: Array<{ line: number; fields: string[] }>;
    try {
      rows = parseCsv(text);
    } catch (error) {
      throw new ValidationError(`The CSV cannot be read: ${(error as Error).message}.`, { field: 'body' });
    }
    if (rows.length === 0) throw new ValidationError('The CSV is empty: send a header row and one row per bug.', { field: 'body' });
    const header = rows[0]!.fields.map((h) => h.trim().toLowerCase().replace(/[\s_-]/g, ''));
    const column = (...names: string[]) => header.findIndex((h) => names.includes(h));
    const cols = { project: column('project'), title: column('title', 'summary'), ticket: column('ticket', 'key', 'issue'), severity: column('severity', 'priority'), foundIn: column('foundin', 'stage'), version: column('version'), regression: column('regression'), foundAt: column('foundat', 'found', 'created', 'date') };
    const missing = (['title', 'severity', 'foundIn', 'foundAt'] as const).filter((k) => cols[k] < 0);
    if (cols.project < 0 && defaults.project === undefined) missing.unshift('project' as never);
    if (missing.length > 0) throw new ValidationError(`The CSV header lacks ${missing.join(', ')}: the first row must name the columns (project,title,ticket,severity,foundIn,version,regression,foundAt).`, { field: 'body', missing });
    if (rows.length > 10_001) throw new ValidationError('Import at most 10,000 bugs per file.', { field: 'body' });
    const problems: Problem[] = [];
    const parsed: Array<{ line: number; projectKey: string; value: ReturnType<BugService['check']>['value'] }> = [];
    for (const row of rows.slice(1)) {
      const get = (i: number) => (i >= 0 ? (row.fields[i] ?? '').trim() : '');
      const regression = get(cols.regression).toLowerCase();
      const input: BugInput = {
        project: get(cols.project) || defaults.project || '',
        title: get(cols.title),
        ticket: get(cols.ticket) || null,
        severity: get(cols.severity).toLowerCase(),
        foundIn: get(cols.foundIn).toLowerCase(),
        version: get(cols.version) || null,
        regression: ['true', 'yes', 'y', '1', 'x'].includes(regression),
        foundAt: get(cols.foundAt),
      };
      if (regression !== '' && !['true', 'yes', 'y', '1', 'x', 'false', 'no', 'n', '0'].includes(regression)) problems.push({ field: `line ${row.line}: regression`, message: 'must be true or false' });
      const { value, problems: rowProblems } = this.check(input, `line ${row.line}: `);
      problems.push(...rowProblems);
      parsed.push({ line: row.line, projectKey: input.project, value });
    }
    const projects = new Map<string, ProjectRecord>();
    for (const key of new Set(parsed.map((p) => p.projectKey))) {
      const p = key === '' ? null : await this.uow.reads.projects.get(key);
      if (p) projects.set(key, p);
    }
    for (const p of parsed) if (!projects.has(p.projectKey)) problems.push({ field: `line ${p.line}: project`, message: p.projectKey === '' ? 'is empty' : `${p.projectKey} does not exist` });
    const seen = new Set<string>();
    for (const p of parsed) {
      if (p.value.ticket === null || p.value.ticket === undefined) continue;
      const key = `${p.projectKey}/${p.value.ticket}`;
      if (seen.has(key)) problems.push({ field: `line ${p.line}: ticket`, message: `${p.value.ticket} appears twice in the file` });
      seen.add(key);
    }
    if (problems.length > 0) throw new ValidationError(`${problems.length} problem${problems.length === 1 ? '' : 's'} in the CSV, nothing imported; first: ${problems[0]!.field} ${problems[0]!.message}.`, { problems: problems.slice(0, 200) });
    return this.uow.transaction(async (tx) => {
      const skipped: Array<{ line: number; ticket: string; reason: string }> = [];
      const created: Bug[] = [];
      const existing = new Set<string>();
      for (const [key, project] of projects) {
        const tickets = parsed.filter((p) => p.projectKey === key && p.value.ticket).map((p) => p.value.ticket!);
        for (const b of await tx.stores.bugs.byTickets(project.id, tickets)) existing.add(`${key}/${b.ticket}`);
      }
      for (const p of parsed) {
        if (p.value.ticket && existing.has(`${p.projectKey}/${p.value.ticket}`)) {
          skipped.push({ line: p.line, ticket: p.value.ticket, reason: 'already recorded' });
          continue;
        }
        created.push(await this.withFix(tx, this.newBug(ctx, projects.get(p.projectKey)!, p.value, 'csv', tx.now)));
      }
      await tx.stores.bugs.insertMany(created);
      await tx.record(ctx, {
        action: 'bug.imported',
        resourceType: 'bug',
        resourceId: 'csv',
        after: { created: created.length, skipped: skipped.length },
        event: { type: 'bug.imported', payload: { created: created.length, skipped: skipped.length, projects: [...projects.keys()] } },
      });
      return { created, skipped };
    });
  }

  // --- tracker webhook -----------------------------------------------------------------------------

  async intake(): Promise<IntakeSettings> {
    const stored = await this.uow.reads.insightSettings.get<IntakeSettings>(INTAKE_KEY);
    return stored?.value ?? { enabled: false, mapping: DEFAULT_INTAKE, secret: null };
  }

  /** The settings as responses show them: the secret replaced by whether one is set. */
  presentIntake(s: IntakeSettings) {
    return { enabled: s.enabled, mapping: s.mapping as unknown as Record<string, unknown>, hasSecret: s.secret !== null };
  }

  async setIntake(ctx: RequestContext, input: { enabled?: boolean; mapping?: Partial<IntakeMapping>; secret?: string | null }): Promise<IntakeSettings> {
    authorize(ctx.actor, { role: 'release-manager', action: 'Configuring the bug tracker webhook' });
    const merge = (current: IntakeSettings): IntakeSettings => {
      const mapping: IntakeMapping = { ...current.mapping, ...(input.mapping ?? {}) };
      validateMapping(mapping);
      return {
        enabled: input.enabled ?? current.enabled,
        mapping,
        secret: input.secret === undefined ? current.secret : input.secret === null ? null : this.box.encrypt(input.secret),
      };
    };
    merge(await this.intake()); // refuses a bad mapping before the transaction
    let next!: IntakeSettings;
    await this.uow.transaction(async (tx) => {
      // Merged into the stored settings read under their row's lock.
      await tx.stores.insightSettings.lock(INTAKE_KEY);
      const current = (await tx.stores.insightSettings.get<IntakeSettings>(INTAKE_KEY))?.value ?? { enabled: false, mapping: DEFAULT_INTAKE, secret: null };
      next = merge(current);
      await tx.stores.insightSettings.put(INTAKE_KEY, next, ctx.actor.username, tx.now);
      await tx.record(ctx, { action: 'bug.intake_configured', resourceType: 'settings', resourceId: INTAKE_KEY, before: this.presentIntake(current), after: this.presentIntake(next) });
    });
    return next;
  }

  /**
   * Checks a webhook request that carries no API token: `x-hub-signature: sha256=<HMAC of the raw
   * body>` (what Jira sends when the webhook has a secret) or `?token=<the secret>`.
   */
  async verifyWebhook(rawBody: string, signature: string | undefined, token: string | undefined): Promise<void> {
    const s = await this.intake();
    if (s.secret === null) throw new UnauthorizedError('The bug webhook has no secret: send an API token, or set a secret with PUT /api/v1/bugs/intake.');
    const secret = this.box.decrypt(s.secret);
    const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
    if (signature !== undefined) {
      const expected = `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
      if (same(signature, expected)) return;
      throw new UnauthorizedError('The x-hub-signature does not match the body signed with the webhook secret.');
    }
    if (token !== undefined && same(token, secret)) return;
    throw new UnauthorizedError('Send an API token, an x-hub-signature (HMAC-SHA256 of the body with the webhook secret) or ?token=<secret>.');
  }

  /** A tracker's webhook: creates the bug an issue-created event describes; other events are ignored. */
  async fromWebhook(ctx: RequestContext, payload: unknown): Promise<{ bug: Bug | null; ignored: string | null; duplicate: boolean }> {
    const s = await this.intake();
    if (!s.enabled) throw new ConflictError('The bug webhook is switched off: enable it with PUT /api/v1/bugs/intake {"enabled": true}.', {});
    const m = s.mapping;
    const event = readPath(payload, m.eventField);
    if (typeof event === 'string' && !m.events.includes(event)) return { bug: null, ignored: `event ${event} is not one of ${m.events.join(', ')}`, duplicate: false };
    const value = (key: keyof IntakeMapping) => mapField(payload, m[key] as never);
    const projectValue = value('project');
    const input: BugInput = {
      project: projectValue ?? '',
      title: value('title') ?? '',
      ticket: value('ticket') ?? null,
      severity: (value('severity') ?? '').toLowerCase(),
      foundIn: (value('foundIn') ?? '').toLowerCase(),
      version: value('version') ?? null,
      regression: value('regression') === 'true',
      foundAt: value('foundAt') ?? this.clock.now().toISOString(),
    };
    if (!projectValue || !(await this.uow.reads.projects.get(projectValue))) {
      throw new ValidationError(`The payload maps to project ${JSON.stringify(projectValue ?? null)}, which does not exist: map the tracker's project to a Slipway project in PUT /api/v1/bugs/intake (mapping.project.map).`, { field: 'mapping.project', value: projectValue ?? null });
    }
    try {
      return { bug: await this.create(ctx, input, 'webhook'), ignored: null, duplicate: false };
    } catch (error) {
      // Trackers retry deliveries: the same issue twice is an answer, not an error.
      if (error instanceof ConflictError && input.ticket) {
        const project = (await this.uow.reads.projects.get(projectValue))!;
        const [existing] = await this.uow.reads.bugs.byTickets(project.id, [input.ticket]);
        return { bug: existing ?? null, ignored: null, duplicate: true };
      }
      throw error;
    }
  }

  /** A release was cut: bugs of its project whose ticket it names, found before it, are fixed in it. */
  async linkFixes(tx: Tx<Stores>, ctx: RequestContext, release: { project: string; version: string; tickets: string[]; createdAt: string }): Promise<number> {
    const project = await tx.stores.projects.get(release.project);
    if (!project || release.tickets.length === 0) return 0;
    let n = 0;
    for (const bug of await tx.stores.bugs.unfixedWithTickets(project.id, release.tickets, release.createdAt)) {
      if (!(await tx.stores.bugs.setFixed(bug.id, release.version, release.createdAt, tx.now))) continue;
      n++;
      await tx.record(ctx, {
        action: 'bug.fixed',
        resourceType: 'bug',
        resourceId: bug.id,
        before: { fixedIn: null },
        after: { fixedIn: release.version },
        event: { type: 'bug.fixed', projectKey: project.key, payload: { bug: bug.id, project: project.key, ticket: bug.ticket, version: release.version, title: bug.title } },
      });
    }
    return n;
  }
}
