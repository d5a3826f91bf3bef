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
/** How long the whole matrix reuses the instances it read by default; this server's own heartbeats are applied to them at once. */
export const BEATS_REUSE_MS = 1000;
/** Drifting instances listed per cell; `driftCount` and `driftVersions` summarise the rest. */
export const DRIFT_LIST_MAX = 20;

type Beat = Heartbeat;

/** The status matrix as JSON text, as bytes for an HTTP answer, and its ETag. */
export interface StatusMatrix {
  readonly json: string;
  body(): Buffer;
  readonly etag: string;
}

/**
 * The part of a cell that depends on its state row only (everything but the instances): its text,
 * its UTF-8 bytes and a digest, made once per change of the row. An answer is put together from
 * these bytes and its ETag from these digests, so a request no longer joins, hashes and encodes
 * 600 KiB of text (docs/benchmarks.md).
 */
interface Prefix {
  readonly text: string;
  readonly bytes: Buffer;
  readonly digest: string;
}

/** State rows and their prefixes; `layout` changes when the set of cells does (not their content). */
interface StateCells {
  readonly rows: RawStateRow[];
  readonly prefixes: Prefix[];
  readonly layout: object;
}

/** Instances seen in the drift window, by project and environment, and how many cells they report in. */
interface RecentBeats {
  readonly cells: Map<string, Map<string, Beat[]>>;
  readonly count: number;
}

/** The instances part of each cell by display position (none: no instance reports there), and a signature of them all. */
interface InstancesPart {
  readonly suffixes: Array<string | undefined>;
  readonly signature: string;
  /** Cells with instances but no state row: nothing was deployed there through Slipway. */
  readonly strays: number;
}

/** Where each cell goes: display order (project, then environment rank) and each cell's index by project and environment. */
interface Layout {
  readonly order: number[];
  readonly at: Map<string, Map<string, number>>;
}

export class StatusService {
  /**
   * The last full matrix's cells, with the revision they were read at. The revision is checked
   * against the database's on every request, so replicas never serve a stale matrix; when it
   * moved, the rows that changed are merged in (see stateCells).
   */
  private cache: (StateCells & { revision: number }) | null = null;
  /** The whole matrix's layout, kept while its cells' layout and the environments hold. */
  private laidOut: { layout: object; environments: string; value: Layout } | null = null;
  /** The whole matrix's instances part, kept while the instances, the rows and the order hold. */
  private instancesKept: { recent: RecentBeats; rows: RawStateRow[]; order: number[]; value: InstancesPart } | null = null;
  /** Each cell's instances part, by the list of its instances (see instancesOf). */
  private readonly suffixes = new WeakMap<Beat[], { row: RawStateRow; suffix: string }>();
  /**
   * The whole matrix in display order, kept while its prefixes and order hold: the digest of its
   * prefixes (for the ETag) and its items as bytes for the last instances part answered.
   */
  private built: { prefixes: Prefix[]; order: number[]; digest: string; encoded?: { instances: InstancesPart; items: Buffer } } | null = null;

  constructor(
    private readonly uow: Uow,
    private readonly clock: Clock,
    /** How long the whole matrix reuses the instances it read (SLIPWAY_STATUS_INSTANCES_REUSE_MS). */
    private readonly instancesReuseMs: number = BEATS_REUSE_MS,
  ) {}

  /**
   * The state rows and their prefixes, reused while the revision holds. When it moved, only the
   * rows whose `row_revision` is newer are read again and merged: a deployment anywhere costs one
   * small indexed query and the prefix of the cells it changed, not a rebuild of 1,200 cells
   * (docs/benchmarks.md). Merging is idempotent, so a row that changed while the revision was
   * being read is simply read again next time.
   */
  private async stateCells(projectId: string | undefined): Promise<StateCells> {
    const store = this.uow.reads.deploymentState;
    if (projectId !== undefined) {
      const rows = await store.raw(projectId);
      return { rows, prefixes: rows.map((r) => prefixOf(r)), layout: {} };
    }
    const revision = await store.revision();
    const cache = this.cache;
    if (cache?.revision === revision) return cache;
    if (cache && revision > cache.revision) {
      const changed = await store.raw(undefined, cache.revision);
      if (changed.length === 0) {
        this.cache = { ...cache, revision };
        return this.cache;
      }
      const rows = [...cache.rows];
      const prefixes = [...cache.prefixes];
      const at = new Map(rows.map((r, i) => [`${r.projectId}/${r.environment}`, i]));
      let added = false;
      for (const r of changed) {
        const i = at.get(`${r.projectId}/${r.environment}`);
        if (i === undefined) {
          at.set(`${r.projectId}/${r.environment}`, rows.length);
          rows.push(r);
          prefixes.push(prefixOf(r));
          added = true;
        } else {
          rows[i] = r;
          // A row can change without changing its cell (the drift it announced): same prefix.
          const text = cellPrefix(r);
          if (text !== prefixes[i]!.text) prefixes[i] = prefixOf(r, text);
        }
      }
      this.cache = { revision, rows, prefixes, layout: added ? {} : cache.layout };
      return this.cache;
    }
    const rows = await store.raw();
    this.cache = { revision, rows, prefixes: rows.map((r) => prefixOf(r)), layout: {} };
    return this.cache;
  }

  /**
   * Instances seen in the drift window, by cell. For the whole matrix they are read at most once
   * a second per server: drift is judged over ten minutes, so a second-old list changes nothing,
   * and a dashboard polling /status no longer re-reads 1,200 rows per request. A heartbeat this
   * server takes is applied to the list at once (see heartbeat), so it shows in the next answer
   * without a read; other replicas' show within the second (docs/benchmarks.md).
   */
  private beats: { at: number; recent: RecentBeats } | null = null;
  /** Moved by every heartbeat this server takes: a read that began before it is not kept. */
  private beatsGeneration = 0;

  private async recentBeats(now: Date, projectId: string | undefined): Promise<RecentBeats> {
    const since = new Date(now.getTime() - DRIFT_WINDOW_MS).toISOString();
    if (projectId !== undefined) return groupBeats(await this.uow.reads.heartbeats.seenSince(since, projectId));
    const t = now.getTime();
    const kept = this.beats;
    if (kept && t - kept.at >= 0 && t - kept.at < this.instancesReuseMs) return kept.recent;
    const generation = this.beatsGeneration;
    const recent = groupBeats(await this.uow.reads.heartbeats.seenSince(since));
    if (generation === this.beatsGeneration) this.beats = { at: t, recent };
    return recent;
  }

  /** The layout of the given cells; kept for the whole matrix (a one-project answer has cells of its own each time). */
  private layoutOf(cells: StateCells, environments: string, rank: Map<string, number>, whole: boolean): Layout {
    const kept = this.laidOut;
    if (whole && kept?.layout === cells.layout && kept.environments === environments) return kept.value;
    const value = layout(cells.rows, rank);
    if (whole) this.laidOut = { layout: cells.layout, environments, value };
    return value;
  }

  /** The whole matrix as built for these prefixes in this order (kept), or a one-off for any other answer. */
  private builtFor(prefixes: Prefix[], order: number[], whole: boolean): { digest: string; encoded?: { instances: InstancesPart; items: Buffer } } {
    if (whole && this.built?.prefixes === prefixes && this.built.order === order) return this.built;
    const built = { prefixes, order, digest: sha1(order.map((i) => prefixes[i]!.digest).join('')) };
    if (whole) this.built = built;
    return built;
  }

  /**
   * The instances part of every cell in display order. Each cell's part is kept with the list of
   * its instances and reused while that list and the cell's row hold, so a heartbeat recomputes
   * one cell, not 1,200; the whole part is kept while the instances and the layout hold.
   */
  private instancesOf(rows: RawStateRow[], order: number[], recent: RecentBeats, whole: boolean): InstancesPart {
    const kept = this.instancesKept;
    if (whole && kept?.recent === recent && kept.rows === rows && kept.order === order) return kept.value;
    const suffixes = new Array<string | undefined>(order.length);
    let signature = '';
    let matched = 0;
    for (let k = 0; k < order.length; k++) {
      const row = rows[order[k]!]!;
      const list = recent.cells.get(row.projectId)?.get(row.environment);
      if (list === undefined) continue;
      matched++;
      let memo = this.suffixes.get(list);
      if (memo?.row !== row) this.suffixes.set(list, (memo = { row, suffix: cellSuffix(row, list) }));
      suffixes[k] = memo.suffix;
      // The signature covers every instances part, for the ETag.
      signature += `${k}${memo.suffix}`;
    }
    const value = { suffixes, signature, strays: recent.count - matched };
    if (whole) this.instancesKept = { recent, rows, order, value };
    return value;
  }

  /**
   * The matrix and its ETag: a hash of everything but `generatedAt`, so a poller gets 304 until a
   * version, an in-flight deployment, an instance report or an environment's freeze/window state
   * changes. The JSON text is only made when asked for (the live stream); an HTTP answer is
   * put together from the cells' bytes, kept while nothing changes.
   */
  async matrix(filter: { project?: string } = {}): Promise<StatusMatrix> {
    const now = this.clock.now();
    let projectId: string | undefined;
    if (filter.project !== undefined) {
      const project = await this.uow.reads.projects.get(filter.project);
      if (!project) throw new NotFoundError(`Project ${filter.project} does not exist.`, { project: filter.project });
      projectId = project.id;
    }
    const [envs, state, recent] = await Promise.all([this.uow.reads.environments.all(), this.stateCells(projectId), this.recentBeats(now, projectId)]);
    const environments = JSON.stringify(envs.map((e) => e.key));
    const states = JSON.stringify(envs.map((e) => environmentState(e, now)));
    const head = `{"environments":${environments},"environmentStates":${states},"items":[`;
    const tail = `],"generatedAt":"${now.toISOString()}"}`;
    const rank = new Map(envs.map((e, i) => [e.key, i]));
    // The whole matrix, as cached: what is derived from it is kept for the next answer.
    let whole = state === this.cache;
    let { rows, prefixes } = state;
    let { order, at } = this.layoutOf(state, environments, rank, whole);
    let instances = this.instancesOf(rows, order, recent, whole);
    if (instances.strays > 0) {
      // Instances reporting where nothing was deployed through Slipway: cells of their own, where
      // every instance drifts. Rare, so these answers are laid out afresh.
      const strays: Beat[][] = [];
      for (const [project, byEnvironment] of recent.cells) {
        for (const [environment, list] of byEnvironment) if (at.get(project)?.get(environment) === undefined) strays.push(list);
      }
      rows = [...rows];
      prefixes = [...prefixes];
      const projectKeys = await this.uow.reads.heartbeats.projectKeys([...new Set(strays.map((list) => list[0]!.projectId))]);
      for (const list of strays) {
        const first = list[0]!;
        const projectKey = projectKeys.get(first.projectId);
        if (projectKey === undefined) continue; // the project is gone
        const empty: RawStateRow = { projectId: first.projectId, projectKey, environment: first.environment, current: null, previous: null, inFlight: null, targets: '{}', currentVersion: null, targetsDiffer: false };
        rows.push(empty);
        prefixes.push(prefixOf(empty));
      }
      whole = false;
      ({ order, at } = layout(rows, rank));
      instances = this.instancesOf(rows, order, recent, whole);
    }
    const { suffixes, signature } = instances;
    const built = this.builtFor(prefixes, order, whole);
    const etag = `"${sha1(`${environments}${states}${built.digest}${signature}`)}"`;
    return {
      get json() {
        return head + order.map((i, k) => prefixes[i]!.text + (suffixes[k] ?? EMPTY_SUFFIX)).join(',') + tail;
      },
      body: () => {
        if (built.encoded?.instances !== instances) built.encoded = { instances, items: encodeItems(prefixes, order, suffixes) };
        return Buffer.concat([Buffer.from(head), built.encoded.items, Buffer.from(tail)]);
      },
      etag,
    };
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
    const beat: Beat = { projectId: project.id, environment, instance: input.instance, target: input.target ?? null, version: input.version, seenAt: now.toISOString() };
    await this.uow.reads.heartbeats.upsert({ ...beat, reporter });
    const removed = await this.uow.reads.heartbeats.trim(project.id, environment, reporter, HEARTBEAT_CAP, new Date(now.getTime() - HEARTBEAT_EXPIRY_MS).toISOString());
    // Shown in the next answer without reading every instance again; when the cap or the expiry
    // removed instances, the list is read afresh instead.
    this.beatsGeneration++;
    const kept = this.beats;
    this.beats = kept && removed === 0 ? { at: kept.at, recent: withBeat(kept.recent, beat) } : null;
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
const EMPTY_SUFFIX_BYTES = Buffer.from(EMPTY_SUFFIX);
const COMMA = 0x2c;

/** The items' UTF-8 bytes in one allocation: each cell's prefix bytes, then its instances part. */
function encodeItems(prefixes: Prefix[], order: number[], suffixes: Array<string | undefined>): Buffer {
  let size = Math.max(order.length - 1, 0);
  for (let k = 0; k < order.length; k++) {
    const suffix = suffixes[k];
    size += prefixes[order[k]!]!.bytes.length + (suffix === undefined ? EMPTY_SUFFIX_BYTES.length : Buffer.byteLength(suffix));
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let k = 0; k < order.length; k++) {
    if (k > 0) out[at++] = COMMA;
    at += prefixes[order[k]!]!.bytes.copy(out, at);
    const suffix = suffixes[k];
    at += suffix === undefined ? EMPTY_SUFFIX_BYTES.copy(out, at) : out.write(suffix, at);
  }
  return out;
}

function groupBeats(list: Heartbeat[]): RecentBeats {
  const cells = new Map<string, Map<string, Beat[]>>();
  let count = 0;
  for (const b of list) {
    let byEnvironment = cells.get(b.projectId);
    if (byEnvironment === undefined) cells.set(b.projectId, (byEnvironment = new Map()));
    const beats = byEnvironment.get(b.environment);
    if (beats) beats.push(b);
    else {
      byEnvironment.set(b.environment, [b]);
      count++;
    }
  }
  return { cells, count };
}

/** The instances with one report applied (copy on write: the other cells keep their lists). */
function withBeat(recent: RecentBeats, b: Beat): RecentBeats {
  const cells = new Map(recent.cells);
  const byEnvironment = new Map(recent.cells.get(b.projectId));
  const list = byEnvironment.get(b.environment);
  const at = list === undefined ? -1 : list.findIndex((x) => x.instance === b.instance);
  byEnvironment.set(b.environment, list === undefined ? [b] : at === -1 ? [...list, b] : list.map((x, i) => (i === at ? b : x)));
  cells.set(b.projectId, byEnvironment);
  return { cells, count: recent.count + (list === undefined ? 1 : 0) };
}

function prefixOf(r: RawStateRow, text = cellPrefix(r)): Prefix {
  const bytes = Buffer.from(text);
  return { text, bytes, digest: createHash('sha1').update(bytes).digest('base64url') };
}

/** Cells in display order (project, then environment rank), and each cell's index by project and environment. */
function layout(rows: RawStateRow[], rank: Map<string, number>): Layout {
  const order = rows.map((_, i) => i);
  const r = (i: number) => rank.get(rows[i]!.environment) ?? 1e9;
  order.sort((a, b) => (rows[a]!.projectKey === rows[b]!.projectKey ? r(a) - r(b) : rows[a]!.projectKey < rows[b]!.projectKey ? -1 : 1));
  const at = new Map<string, Map<string, number>>();
  rows.forEach((row, i) => {
    const byEnvironment = at.get(row.projectId);
    if (byEnvironment) byEnvironment.set(row.environment, i);
    else at.set(row.projectId, new Map([[row.environment, i]]));
  });
  return { order, at };
}

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
