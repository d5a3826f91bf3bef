import { createHash } from 'node:crypto';
import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import type { Uow } from '../db/stores.js';
import type { Clock } from '../shared/clock.js';
import { ForbiddenError, NotFoundError } from '../shared/errors.js';
import type { Landed, RawStateRow } from './deployment-state-store.js';
import type { Heartbeat } from './heartbeat-store.js';
import { environmentState } from './environment-state.js';

/** Instances seen within this window count for drift; older reports are ignored. */
export const DRIFT_WINDOW_MS = 10 * 60 * 1000;

type Beat = Heartbeat & { projectKey: string };

/**
 * The status matrix as a JSON string: for each project and environment `current`, `previous`,
 * `inFlight`, `targets` (only when targets run different versions), `instances` seen recently and
 * `drift`. Built by concatenating the stored JSON columns: at 1,200 cells, parsing and
 * re-serialising them was most of the response time (docs/benchmarks.md).
 */
export class StatusService {
  /**
   * The last full matrix this process built, with the revision it was built at. It is checked
   * against the database's revision on every request, so replicas never serve a stale one.
   */
  private cache: { revision: number; rows: RawStateRow[]; cells: string[]; joined?: { environments: string; items: string; itemsHash: string } } | null = null;

  constructor(
    private readonly uow: Uow,
    private readonly clock: Clock,
  ) {}

  /** The state rows and their cell JSON (without heartbeats), reused while the revision holds. */
  private async stateRows(projectId: string | undefined): Promise<{ rows: RawStateRow[]; cells: string[] | null; joined?: { environments: string; items: string; itemsHash: string } }> {
    if (projectId !== undefined) return { rows: await this.uow.reads.deploymentState.raw(projectId), cells: null };
    const revision = await this.uow.reads.deploymentState.revision();
    if (this.cache?.revision === revision) return this.cache;
    const rows = await this.uow.reads.deploymentState.raw();
    // Read again after the rows: if a change landed in between, do not keep what may mix both.
    const after = await this.uow.reads.deploymentState.revision();
    const built = { revision, rows, cells: rows.map((r) => cellJson(r, [])) };
    if (after === revision) this.cache = built;
    return built;
  }

  async matrixJson(filter: { project?: string } = {}): Promise<string> {
    return (await this.matrix(filter)).json;
  }

  /**
   * The matrix JSON and its ETag: a hash of everything but `generatedAt`, so a poller gets 304
   * until a version, an in-flight deployment, an instance report or an environment's
   * freeze/window state changes.
   */
  async matrix(filter: { project?: string } = {}): Promise<{ json: string; etag: string }> {
    const now = this.clock.now();
    let projectId: string | undefined;
    if (filter.project !== undefined) {
      const project = await this.uow.reads.projects.get(filter.project);
      if (!project) throw new NotFoundError(`Project ${filter.project} does not exist.`, { project: filter.project });
      projectId = project.id;
    }
    const [envs, { rows, cells: cached }, beats] = await Promise.all([
      this.uow.reads.environments.all(),
      this.stateRows(projectId),
      this.uow.reads.heartbeats.seenSince(new Date(now.getTime() - DRIFT_WINDOW_MS).toISOString(), projectId),
    ]);
    const environments = JSON.stringify(envs.map((e) => e.key));
    const states = JSON.stringify(envs.map((e) => environmentState(e, now)));
    // The items' hash is kept with the cached items: a 304 then costs no hash of the whole matrix.
    const finish = (items: string, itemsHash = sha1(items)) => ({
      json: `{"environments":${environments},"environmentStates":${states},"items":[${items}],"generatedAt":"${now.toISOString()}"}`,
      etag: `"${sha1(`${environments}${states}${itemsHash}`)}"`,
      itemsHash,
    });
    const cache = this.cache;
    const whole = projectId === undefined && beats.length === 0 && cached !== null && cache?.cells === cached;
    // No instance reported and nothing changed since the last build: the same items, as they were.
    if (whole && cache.joined?.environments === environments) return finish(cache.joined.items, cache.joined.itemsHash);
    const rank = new Map(envs.map((e, i) => [e.key, i]));
    const beatsByCell = new Map<string, Beat[]>();
    for (const b of beats) {
      const key = `${b.projectId}/${b.environment}`;
      const list = beatsByCell.get(key);
      if (list) list.push(b);
      else beatsByCell.set(key, [b]);
    }
    const cells: Array<{ project: string; rank: number; json: string }> = [];
    rows.forEach((r, i) => {
      const key = `${r.projectId}/${r.environment}`;
      const cellBeats = beatsByCell.get(key);
      beatsByCell.delete(key);
      const json = cellBeats === undefined && cached ? cached[i]! : cellJson(r, cellBeats ?? []);
      cells.push({ project: r.projectKey, rank: rank.get(r.environment) ?? 1e9, json });
    });
    // Instances reporting where nothing was deployed through Slipway: every one of them drifts.
    for (const list of beatsByCell.values()) {
      const first = list[0]!;
      const empty: RawStateRow = { projectId: first.projectId, projectKey: first.projectKey, environment: first.environment, current: null, previous: null, inFlight: null, targets: '{}', currentVersion: null, targetsDiffer: false };
      cells.push({ project: first.projectKey, rank: rank.get(first.environment) ?? 1e9, json: cellJson(empty, list) });
    }
    cells.sort((a, b) => (a.project === b.project ? a.rank - b.rank : a.project < b.project ? -1 : 1));
    const items = cells.map((c) => c.json).join(',');
    const result = finish(items);
    if (whole) cache.joined = { environments, items, itemsHash: result.itemsHash };
    return result;
  }

  /** A running instance says which version it runs. Telemetry, not a change: not audited. */
  async heartbeat(ctx: RequestContext, projectKey: string, environment: string, input: { version: string; instance: string; target?: string }): Promise<void> {
    authorize(ctx.actor, { role: 'engineer', action: 'Reporting running versions' });
    if (ctx.sdkKey && (ctx.sdkKey.projectKey !== projectKey || ctx.sdkKey.environmentKey !== environment)) {
      throw new ForbiddenError(`This SDK key belongs to ${ctx.sdkKey.projectKey} in ${ctx.sdkKey.environmentKey}; it cannot report for ${projectKey} in ${environment}.`, { ...ctx.sdkKey });
    }
    const [project, env] = await Promise.all([this.uow.reads.projects.get(projectKey), this.uow.reads.environments.get(environment)]);
    if (!project) throw new NotFoundError(`Project ${projectKey} does not exist.`, { project: projectKey });
    if (!env) throw new NotFoundError(`Environment ${environment} does not exist.`, { environment });
    await this.uow.reads.heartbeats.upsert({ projectId: project.id, environment, instance: input.instance, target: input.target ?? null, version: input.version, seenAt: this.clock.now().toISOString() });
  }
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('base64url');

function cellJson(r: RawStateRow, beats: Beat[]): string {
  let targets = 'null';
  let byTarget: Record<string, Landed> | null = null;
  if (r.targetsDiffer) {
    byTarget = JSON.parse(r.targets) as Record<string, Landed>;
    targets = JSON.stringify(Object.entries(byTarget).map(([key, t]) => ({ key, ...t })));
  }
  let drift = 'null';
  if (beats.length > 0) {
    byTarget ??= beats.some((b) => b.target !== null) ? (JSON.parse(r.targets) as Record<string, Landed>) : {};
    const expectedFor = (b: Beat) => (b.target !== null && byTarget![b.target] ? byTarget![b.target]!.version : r.currentVersion);
    const drifting = beats.filter((b) => b.version !== expectedFor(b)).map((b) => ({ instance: b.instance, target: b.target, version: b.version, seenAt: b.seenAt, expected: expectedFor(b) }));
    if (drifting.length > 0) drift = JSON.stringify(drifting);
  }
  return `{"project":${JSON.stringify(r.projectKey)},"environment":${JSON.stringify(r.environment)},"current":${r.current ?? 'null'},"previous":${r.previous ?? 'null'},"inFlight":${r.inFlight ?? 'null'},"targets":${targets},"instances":${beats.length},"drift":${drift}}`;
}
