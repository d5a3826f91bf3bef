import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * Writes a history straight into the tables (projects, environments, releases, deployments,
 * sign-offs) with chosen timestamps, so insights tests can compare against answers computed by hand.
 * Rows look exactly like the ones the services write.
 */
export class HistorySeed {
  private n = 0;

  constructor(private readonly db: Kysely<Database>) {}

  id(prefix = 'seed'): string {
    this.n++;
    return `${prefix}${String(this.n).padStart(22, '0')}`.slice(0, 26).padEnd(26, '0');
  }

  async environment(key: string, rank: number): Promise<void> {
    const at = '2026-01-01T00:00:00.000Z';
    await this.db.insertInto('environments').values({ id: this.id('env'), key, name: key, rank, protected: 0, color: '#64748b', settings: '{}', production: key === 'production' ? 1 : 0, badge: 'public', created_at: at, updated_at: at }).onConflict((oc) => oc.column('key').doNothing()).execute();
  }

  async project(key: string): Promise<string> {
    const id = this.id('prj');
    const at = '2026-01-01T00:00:00.000Z';
    await this.db.insertInto('projects').values({ id, key, name: key, repository: `/srv/git/${key}.git`, tag_template: 'v{version}', ticket_pattern: '[A-Z][A-Z0-9]+-\\d+', lifecycle: null, hotfix_lifecycle: null, initial_version: '1.0.0', created_at: at, updated_at: at }).execute();
    return id;
  }

  async release(
    projectId: string,
    r: { version: string; previous: string | null; parent?: string | null; kind: string; createdAt: string; commits: Array<{ sha: string; type: string; time: string; tickets?: string[] }> },
  ): Promise<void> {
    const changelog = r.commits.map((c) => ({ sha: c.sha.padEnd(40, '0'), type: c.type, scope: null, subject: `${c.type}: change ${c.sha}`, breaking: false, author: { name: 'Dev', email: 'dev@example.com' }, time: c.time, tickets: c.tickets ?? [] }));
    await this.db
      .insertInto('releases')
      .values({
        id: this.id('rel'),
        project_id: projectId,
        version: r.version,
        tag: `v${r.version}`,
        commit_sha: (r.commits.at(-1)?.sha ?? r.version).padEnd(40, '0'),
        kind: r.kind,
        parent_version: r.parent ?? null,
        previous_version: r.previous,
        ref: 'main',
        changelog: JSON.stringify(changelog),
        tickets: JSON.stringify([...new Set(r.commits.flatMap((c) => c.tickets ?? []))]),
        idempotency_key: null,
        created_by: 'seed',
        created_at: r.createdAt,
      })
      .execute();
  }

  async deployment(
    projectId: string,
    projectKey: string,
    d: { environment: string; version: string; status: string; finishedAt: string; kind?: 'deploy' | 'rollback'; rollbackOf?: string | null; failureReason?: string | null; smoke?: unknown },
  ): Promise<string> {
    const id = this.id('dep');
    const started = new Date(Date.parse(d.finishedAt) - 60_000).toISOString();
    await this.db
      .insertInto('deployments')
      .values({
        id,
        project_id: projectId,
        project_key: projectKey,
        environment_key: d.environment,
        version: d.version,
        tag: `v${d.version}`,
        commit_sha: 'a'.repeat(40),
        kind: d.kind ?? 'deploy',
        rollback_of: d.rollbackOf ?? null,
        status: d.status,
        phase: 'done',
        reason: null,
        override_reason: null,
        overridden: '[]',
        requested_by: 'seed',
        requested_by_id: null,
        approvals_required: 0,
        approval_roles: '[]',
        smoke: d.smoke === undefined ? null : JSON.stringify(d.smoke),
        auto_rollback: 0,
        callback_token_hash: 'x',
        failure_reason: d.failureReason ?? null,
        failure_target: null,
        in_flight_key: null,
        lease_owner: null,
        lease_expires_at: null,
        next_check_at: null,
        wake: 0,
        created_at: started,
        started_at: started,
        finished_at: d.finishedAt,
        updated_at: d.finishedAt,
        approval_groups: '[]',
      })
      .execute();
    return id;
  }

  async signoff(projectId: string, s: { version: string; kind?: string; decision: 'go' | 'no-go'; at: string; environment?: string | null }): Promise<void> {
    await this.db
      .insertInto('signoffs')
      .values({ id: this.id('sgn'), project_id: projectId, version: s.version, environment_key: s.environment ?? null, kind: s.kind ?? 'qa', decision: s.decision, comment: '', created_by: 'qa', created_at: s.at })
      .execute();
  }
}
