import { sql, type Kysely, type Selectable } from 'kysely';
import { lockRows } from '../db/row-lock.js';
import type { BugTable } from '../db/insights-schema.js';
import type { Database } from '../db/schema.js';
import { bucketOf } from '../insights/buckets.js';

/** Where a bug was found, in the seed's own terms (004): each stage of the road to production. */
export const STAGES = ['staging', 'release-candidate', 'alpha', 'beta', 'push-to-production', 'production'] as const;
export type Stage = (typeof STAGES)[number];
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const BUG_SOURCES = ['api', 'webhook', 'csv'] as const;

export interface Bug {
  id: string;
  projectId: string;
  project: string;
  title: string;
  ticket: string | null;
  severity: Severity;
  foundIn: Stage;
  version: string | null;
  regression: boolean;
  foundAt: string;
  source: (typeof BUG_SOURCES)[number];
  /** The first release after the bug was found whose changelog names its ticket. */
  fixedIn: string | null;
  fixedAt: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

function toBug(r: Selectable<BugTable>): Bug {
  return {
    id: r.id,
    projectId: r.project_id,
    project: r.project_key,
    title: r.title,
    ticket: r.ticket,
    severity: r.severity as Severity,
    foundIn: r.found_in as Stage,
    version: r.version,
    regression: r.regression === 1,
    foundAt: r.found_at,
    source: r.source as Bug['source'],
    fixedIn: r.fixed_in,
    fixedAt: r.fixed_at,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toRow(b: Bug): Selectable<BugTable> {
  return {
    id: b.id,
    project_id: b.projectId,
    project_key: b.project,
    title: b.title,
    ticket: b.ticket,
    severity: b.severity,
    found_in: b.foundIn,
    version: b.version,
    regression: b.regression ? 1 : 0,
    found_at: b.foundAt,
    source: b.source,
    fixed_in: b.fixedIn,
    fixed_at: b.fixedAt,
    created_by: b.createdBy,
    created_at: b.createdAt,
    updated_at: b.updatedAt,
  };
}

export interface BugFilter {
  projectId?: string;
  stage?: Stage;
  regression?: boolean;
  from?: string;
  to?: string;
  beforeId: string | null;
  limit: number;
}

export class BugStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Locks the bug row until the transaction ends (read-merge-write of PATCH). */
  async lock(id: string): Promise<void> {
    await lockRows(this.db, 'bugs', { id });
  }

  async insert(b: Bug): Promise<void> {
    await this.db.insertInto('bugs').values(toRow(b)).execute();
  }

  async insertMany(bugs: Bug[]): Promise<void> {
    for (let i = 0; i < bugs.length; i += 200) await this.db.insertInto('bugs').values(bugs.slice(i, i + 200).map(toRow)).execute();
  }

  async update(b: Bug): Promise<void> {
    const { id: _id, ...row } = toRow(b);
    await this.db.updateTable('bugs').set(row).where('id', '=', b.id).execute();
  }

  async get(id: string): Promise<Bug | null> {
    const row = await this.db.selectFrom('bugs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toBug(row) : null;
  }

  async byTickets(projectId: string, tickets: string[]): Promise<Bug[]> {
    if (tickets.length === 0) return [];
    const out: Bug[] = [];
    for (let i = 0; i < tickets.length; i += 500) {
      out.push(...(await this.db.selectFrom('bugs').selectAll().where('project_id', '=', projectId).where('ticket', 'in', tickets.slice(i, i + 500)).execute()).map(toBug));
    }
    return out;
  }

  /** Newest first (keyset on id). */
  async page(f: BugFilter): Promise<Bug[]> {
    let q = this.db.selectFrom('bugs').selectAll();
    if (f.projectId !== undefined) q = q.where('project_id', '=', f.projectId);
    if (f.stage !== undefined) q = q.where('found_in', '=', f.stage);
    if (f.regression !== undefined) q = q.where('regression', '=', f.regression ? 1 : 0);
    if (f.from !== undefined) q = q.where('found_at', '>=', f.from);
    if (f.to !== undefined) q = q.where('found_at', '<', f.to);
    if (f.beforeId !== null) q = q.where('id', '<', f.beforeId);
    return (await q.orderBy('id', 'desc').limit(f.limit).execute()).map(toBug);
  }

  /** Bugs found in a range counted per period (see bucketOf), stage and regression: a few rows, not one per bug. */
  async stageCounts(from: string, to: string, ends: string[], projectId?: string): Promise<Array<{ bucket: number; foundIn: string; regression: boolean; n: number }>> {
    const bucket = bucketOf('found_at', ends);
    let q = this.db
      .selectFrom('bugs')
      .select([bucket.as('bucket'), 'found_in', 'regression', (eb) => eb.fn.countAll().as('n')])
      .where('found_at', '>=', from)
      .where('found_at', '<', to);
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    const rows = await q.groupBy([sql`1`, sql`2`, sql`3`]).execute();
    return rows.map((r) => ({ bucket: Number(r.bucket), foundIn: r.found_in, regression: r.regression === 1, n: Number(r.n) }));
  }

  /** Bugs naming one of these versions of these projects, found before `to`. */
  async ofVersions(projectIds: string[], versions: string[], to: string): Promise<Array<{ projectId: string; version: string; foundIn: string; regression: boolean; foundAt: string }>> {
    if (projectIds.length === 0 || versions.length === 0) return [];
    const rows = await this.db
      .selectFrom('bugs')
      .select(['project_id', 'version', 'found_in', 'regression', 'found_at'])
      .where('project_id', 'in', projectIds)
      .where('version', 'in', versions)
      .where('found_at', '<', to)
      .execute();
    return rows.map((r) => ({ projectId: r.project_id, version: r.version!, foundIn: r.found_in, regression: r.regression === 1, foundAt: r.found_at }));
  }

  /** Production bugs without a version of these projects found in [from, to): they belong to whatever ran then. */
  async productionWithoutVersion(projectIds: string[], from: string, to: string): Promise<Array<{ projectId: string; regression: boolean; foundAt: string }>> {
    if (projectIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('bugs')
      .select(['project_id', 'regression', 'found_at'])
      .where('project_id', 'in', projectIds)
      .where('found_in', '=', 'production')
      .where('version', 'is', null)
      .where('found_at', '>=', from)
      .where('found_at', '<', to)
      .execute();
    return rows.map((r) => ({ projectId: r.project_id, regression: r.regression === 1, foundAt: r.found_at }));
  }

  /** Open bugs (no fix yet) of a project whose ticket is one of these, found before `before`. */
  async unfixedWithTickets(projectId: string, tickets: string[], before: string): Promise<Bug[]> {
    if (tickets.length === 0) return [];
    const rows = await this.db
      .selectFrom('bugs')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('ticket', 'in', tickets)
      .where('fixed_in', 'is', null)
      .where('found_at', '<=', before)
      .execute();
    return rows.map(toBug);
  }

  async setFixed(id: string, version: string, at: string, now: string): Promise<boolean> {
    const r = await this.db.updateTable('bugs').set({ fixed_in: version, fixed_at: at, updated_at: now }).where('id', '=', id).where('fixed_in', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** The first release of the project created after `after` whose tickets include `ticket`. */
  async firstReleaseNaming(projectId: string, ticket: string, after: string): Promise<{ version: string; createdAt: string } | null> {
    // Tickets are stored as a JSON array of strings. LIKE narrows the rows (a `_` or `%` in a key only
    // widens the match); the parsed array decides.
    const rows = await this.db
      .selectFrom('releases')
      .select(['version', 'created_at', 'tickets'])
      .where('project_id', '=', projectId)
      .where('created_at', '>=', after)
      .where('tickets', 'like', `%${JSON.stringify(ticket)}%`)
      .orderBy('created_at', 'asc')
      .execute();
    const row = rows.find((r) => (JSON.parse(r.tickets) as string[]).includes(ticket));
    return row ? { version: row.version, createdAt: row.created_at } : null;
  }
}
