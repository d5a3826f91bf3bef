import { createHash } from 'node:crypto';
import { systemContext, type RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import type { Uow } from '../db/stores.js';
import type { Clock } from '../shared/clock.js';
import { ForbiddenError, NotFoundError } from '../shared/errors.js';
import type { Landed, RawStateRow } from './deployment-state-store.js';
import type { Heartbeat } from './heartbeat-store.js';
import { environmentState } from './environment-state.js';

/** Instances seen within this window count for drift; older reports are ignored. */
export const DRIFT_WINDOW_MS = 10 * 60 * 1000;
/** Instances kept per reporter (token or SDK key) and environment; the oldest go first. */
export const HEARTBEAT_CAP = 500;
/** Instances not seen for this long are forgotten. */
export const HEARTBEAT_EXPIRY_MS = 24 * 60 * 60 * 1000;
/** How long the whole matrix reuses the heartbeats it read (this server's own heartbeats clear it). */
export const BEATS_REUSE_MS = 1000;
/** Drifting instances listed per cell; `driftCount` and `driftVersions` summarise the rest. */
export const DRIFT_LIST_MAX = 20;

type Beat = Heartbeat;

/**
 * The status matrix as a JSON string: for each project and environment `current`, `previous`,
 * `inFlight`, `targets` (only when targets run different versions), `instances` seen recently and
 * `drift`. Built by concatenating the stored JSON columns: at 1,200 cells, parsing and
 * re-serialising them was most of the response time (docs/benchmarks.md).
 */
/** The status matrix as JSON text, as bytes for an HTTP answer, and its ETag. */
export interface StatusMatrix {
  readonly json: string;
  body(): Buffer;
  readonly etag: string;
}

export class StatusService {
  /**
   * The last full matrix this process built, with the revision it was built at. It is checked
   * against the database's revision on every request, so replicas never serve a stale one; when
   * the revision moved, the rows that changed are merged in (see stateRows).
   */
  private cache: { revision: number; rows: RawStateRow[]; cells: string[]; joined?: { environments: string; items: string; itemsHash: string; bytes?: Buffer } } | null = null;

  constructor(
    private readonly uow: Uow,
    private readonly clock: Clock,
  ) {}

  /**
   * The state rows and the state part of each cell's JSON, reused while the revision holds. When
   * it moved, only the rows whose `row_revision` is newer are read again and merged: a deployment
   * anywhere costs one small indexed query, not a rebuild of 1,200 cells (docs/benchmarks.md).
   * Merging is idempotent, so a row that changed while the revision was being read is simply read
   * again next time.
   */
  private async stateRows(projectId: string | undefined): Promise<{ rows: RawStateRow[]; cells: string[] | null; joined?: { environments: string; items: string; itemsHash: string } }> {
    const store = this.uow.reads.deploymentState;
    if (projectId !== undefined) return { rows: await store.raw(projectId), cells: null };
    const revision = await store.revision();
    const cache = this.cache;
    if (cache?.revision === revision) return cache;
    if (cache && revision > cache.revision) {
      const changed = await store.raw(undefined, cache.revision);
      const rows = [...cache.rows];
      const cells = [...cache.cells];
      const at = new Map(rows.map((r, i) => [`${r.projectId}/${r.environment}`, i]));
      let added = false;
      for (const r of changed) {
        const i = at.get(`${r.projectId}/${r.environment}`);
        if (i === undefined) {
          rows.push(r);
          cells.push(cellPrefix(r));
          added = true;
        } else {
          rows[i] = r;
          cells[i] = cellPrefix(r);
        }
      }
      if (added) {
        const order = rows.map((_, i) => i).sort((a, b) => (rows[a]!.projectKey < rows[b]!.projectKey ? -1 : rows[a]!.projectKey > rows[b]!.projectKey ? 1 : 0));
        this.cache = { revision, rows: order.map((i) => rows[i]!), cells: order.map((i) => cells[i]!) };
      } else {
        this.cache = { revision, rows, cells };
      }
      return this.cache;
    }
    const rows = await store.raw();
    this.cache = { revision, rows, cells: rows.map(cellPrefix) };
    return this.cache;
  }

  /**
   * Instances seen in the drift window. For the whole matrix they are read at most once a second
   * per server (and at once after a heartbeat reached this server): drift is judged over ten
   * minutes, so a second-old list changes nothing, and a dashboard polling /status no longer
   * re-reads 1,200 rows per request (docs/benchmarks.md).
   */
  private beats: { at: number; list: Heartbeat[] } | null = null;

  private async recentBeats(now: Date, projectId: string | undefined): Promise<Heartbeat[]> {
    const since = new Date(now.getTime() - DRIFT_WINDOW_MS).toISOString();
    if (projectId !== undefined) return this.uow.reads.heartbeats.seenSince(since, projectId);
    const t = now.getTime();
    if (this.beats && t - this.beats.at >= 0 && t - this.beats.at < BEATS_REUSE_MS) return this.beats.list;
    const list = await this.uow.reads.heartbeats.seenSince(since);
    this.beats = { at: t, list };
    return list;
  }

  /** Cells in display order (project, then environment rank) and their keys, kept while rows and environments hold. */
  private order: { rows: RawStateRow[]; environments: string; order: number[]; keys: string[] } | null = null;

  private sorted(rows: RawStateRow[], environments: string, rank: Map<string, number>): { order: number[]; keys: string[] } {
    if (this.order?.rows === rows && this.order.environments === environments) return this.order;
    const order = rows.map((_, i) => i);
    const r = (i: number) => rank.get(rows[i]!.environment) ?? 1e9;
    order.sort((a, b) => (rows[a]!.projectKey === rows[b]!.projectKey ? r(a) - r(b) : rows[a]!.projectKey < rows[b]!.projectKey ? -1 : 1));
    const built = { rows, environments, order, keys: rows.map((x) => `${x.projectId}/${x.environment}`) };
    // Kept for the whole matrix only: a one-project answer has rows of its own each time.
    if (rows === this.cache?.rows) this.order = built;
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
  async matrix(filter: { project?: string } = {}): Promise<StatusMatrix> {
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
      this.recentBeats(now, projectId),
    ]);
    const environments = JSON.stringify(envs.map((e) => e.key));
    const states = JSON.stringify(envs.map((e) => environmentState(e, now)));
    // The items' hash is kept with the cached items: a 304 then costs no hash of the whole matrix.
    const head = `{"environments":${environments},"environmentStates":${states},"items":[`;
    const tail = `],"generatedAt":"${now.toISOString()}"}`;
    const finish = (items: string, itemsHash = sha1(items), itemsBytes: () => Buffer = () => Buffer.from(items)) => ({
      json: head + items + tail,
      // For HTTP: the items' UTF-8 bytes are made once per build (cached below); a string answer
      // of this size cost a flatten, a byte count and an encoding on every request.
      body: () => Buffer.concat([Buffer.from(head), itemsBytes(), Buffer.from(tail)]),
      etag: `"${sha1(`${environments}${states}${itemsHash}`)}"`,
      itemsHash,
    });
    const cache = this.cache;
    const whole = projectId === undefined && beats.length === 0 && cached !== null && cache?.cells === cached;
    // No instance reported and nothing changed since the last build: the same items, as they were.
    if (whole && cache.joined?.environments === environments) {
      const joined = cache.joined;
      return finish(joined.items, joined.itemsHash, () => (joined.bytes ??= Buffer.from(joined.items)));
    }
    const rank = new Map(envs.map((e, i) => [e.key, i]));
    const beatsByCell = new Map<string, Beat[]>();
    for (const b of beats) {
      const key = `${b.projectId}/${b.environment}`;
      const list = beatsByCell.get(key);
      if (list) list.push(b);
      else beatsByCell.set(key, [b]);
    }
    const { order, keys } = this.sorted(rows, environments, rank);
    const parts: string[] = new Array<string>(order.length);
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      const cellBeats = beatsByCell.get(keys[i]!);
      if (cellBeats !== undefined) beatsByCell.delete(keys[i]!);
      // The cell's first half is reused from the cache; only the instances part depends on heartbeats.
      parts[k] = (cached ? cached[i]! : cellPrefix(rows[i]!)) + (cellBeats === undefined ? EMPTY_SUFFIX : cellSuffix(rows[i]!, cellBeats));
    }
    let cells: Array<{ project: string; rank: number; json: string }> | null = null;
    if (beatsByCell.size > 0) {
      // Instances reporting where nothing was deployed through Slipway: every one of them drifts.
      cells = order.map((i, k) => ({ project: rows[i]!.projectKey, rank: rank.get(rows[i]!.environment) ?? 1e9, json: parts[k]! }));
      const projectKeys = await this.uow.reads.heartbeats.projectKeys([...new Set([...beatsByCell.values()].map((list) => list[0]!.projectId))]);
      for (const list of beatsByCell.values()) {
        const first = list[0]!;
        const projectKey = projectKeys.get(first.projectId);
        if (projectKey === undefined) continue; // the project is gone
        const empty: RawStateRow = { projectId: first.projectId, projectKey, environment: first.environment, current: null, previous: null, inFlight: null, targets: '{}', currentVersion: null, targetsDiffer: false };
        cells.push({ project: projectKey, rank: rank.get(first.environment) ?? 1e9, json: cellPrefix(empty) + cellSuffix(empty, list) });
      }
      cells.sort((a, b) => (a.project === b.project ? a.rank - b.rank : a.project < b.project ? -1 : 1));
    }
    const items = cells ? cells.map((c) => c.json).join(',') : parts.join(',');
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
    const now = this.clock.now();
    const reporter = ctx.actor.tokenId ?? ctx.actor.username;
    this.beats = null;
    await this.uow.reads.heartbeats.upsert({ projectId: project.id, environment, instance: input.instance, target: input.target ?? null, version: input.version, seenAt: now.toISOString(), reporter });
    await this.uow.reads.heartbeats.trim(project.id, environment, reporter, HEARTBEAT_CAP, new Date(now.getTime() - HEARTBEAT_EXPIRY_MS).toISOString());
    await this.announceDrift(project.id, project.key, environment, now);
  }

  /**
   * Announces `deployment.drift_detected` once per change of what drifts (the expected version and
   * the versions instances run instead), naming the instances. Drift that ends re-arms it.
   */
  private async announceDrift(projectId: string, projectKey: string, environment: string, now: Date): Promise<void> {
    const state = await this.uow.reads.deploymentState.get(projectId, environment);
    if (!state) return;
    const beats = await this.uow.reads.heartbeats.cell(projectId, environment, new Date(now.getTime() - DRIFT_WINDOW_MS).toISOString());
    const expectedFor = (b: Heartbeat) => (b.target !== null && state.targets[b.target] ? state.targets[b.target]!.version : (state.current?.version ?? null));
    const drifting = beats.filter((b) => b.version !== expectedFor(b));
    const signature = drifting.length === 0 ? null : [...new Set(drifting.map((b) => `${b.target ?? '*'}:${expectedFor(b) ?? '-'}→${b.version}`))].sort().join(',');
    if (signature === (state.driftAnnounced ?? null)) return;
    await this.uow.transaction(async (tx) => {
      await tx.stores.deploymentState.setDriftAnnounced(projectId, environment, signature);
      if (signature === null) return;
      const instances = drifting.slice(0, 50).map((b) => ({ instance: b.instance, target: b.target, version: b.version, expected: expectedFor(b), seenAt: b.seenAt }));
      await tx.record(systemContext(), {
        action: 'deployment.drift_detected',
        resourceType: 'environment',
        resourceId: `${projectKey}/${environment}`,
        after: { instances, expected: state.current?.version ?? null },
        event: {
          type: 'deployment.drift_detected',
          payload: {
            project: projectKey,
            environment,
            version: state.current?.version ?? null,
            expected: state.current?.version ?? null,
            instances,
            driftCount: drifting.length,
            versions: [...new Set(drifting.map((b) => b.version))],
          },
          projectKey,
          environmentKey: environment,
        },
      });
    });
  }
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('base64url');

const EMPTY_SUFFIX = ',"instances":0,"drift":null,"driftCount":0,"driftVersions":[]}';

/** The part of a cell that depends on the state row only (cached per revision). */
function cellPrefix(r: RawStateRow): string {
  let targets = 'null';
  if (r.targetsDiffer) {
    const byTarget = JSON.parse(r.targets) as Record<string, Landed>;
    targets = JSON.stringify(Object.entries(byTarget).map(([key, t]) => ({ key, ...t })));
  }
  return `{"project":${JSON.stringify(r.projectKey)},"environment":${JSON.stringify(r.environment)},"current":${r.current ?? 'null'},"previous":${r.previous ?? 'null'},"inFlight":${r.inFlight ?? 'null'},"targets":${targets}`;
}

/** The instances part of a cell: how many reported, and which run another version than expected. */
function cellSuffix(r: RawStateRow, beats: Beat[]): string {
  // Targets only change the expectation when they run different versions.
  const byTarget = r.targetsDiffer && beats.some((b) => b.target !== null) ? (JSON.parse(r.targets) as Record<string, Landed>) : null;
  const expectedFor = (b: Beat) => (b.target !== null && byTarget?.[b.target] ? byTarget[b.target]!.version : r.currentVersion);
  let drifting: Beat[] | null = null;
  for (const b of beats) if (b.version !== expectedFor(b)) (drifting ??= []).push(b);
  if (drifting === null) return `,"instances":${beats.length},"drift":null,"driftCount":0,"driftVersions":[]}`;
  drifting.sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0));
  const drift = JSON.stringify(drifting.slice(0, DRIFT_LIST_MAX).map((b) => ({ instance: b.instance, target: b.target, version: b.version, seenAt: b.seenAt, expected: expectedFor(b) })));
  const versions = new Map<string, number>();
  for (const b of drifting) versions.set(b.version, (versions.get(b.version) ?? 0) + 1);
  return `,"instances":${beats.length},"drift":${drift},"driftCount":${drifting.length},"driftVersions":${JSON.stringify([...versions].map(([version, instances]) => ({ version, instances })))}}`;
}
