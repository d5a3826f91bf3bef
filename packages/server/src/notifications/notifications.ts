import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Uow } from '../db/stores.js';
import type { EnvironmentService } from '../environments/environment-service.js';
import type { OutboxEvent } from '../outbox/outbox-store.js';
import type { ReleaseService } from '../releases/release-service.js';
import type { Clock } from '../shared/clock.js';
import { NotFoundError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import type { OutboundPolicy } from '../shared/outbound-policy.js';
import type { SecretBox } from '../shared/secret-box.js';
import { describe, sampleEvent, type Announcement, type Link } from './announcement.js';
import { ChannelService, type ChannelTestResult } from './channel-service.js';
import type { Channel } from './channel-types.js';
import { DeliveryService } from './delivery-service.js';
import { Dispatcher } from './dispatcher.js';
import { EventHistory } from './event-history.js';
import { buildDigest, type DigestSources } from './release-digest.js';
import { render } from './renderers/index.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
import { NetworkSender, type Sender } from './sender.js';

/** Delivery settings (config.ts reads them from the environment); every one has a default. */
export interface NotificationSettings {
  retry: RetryPolicy;
  leaseMs: number;
  timeoutMs: number;
  pollMs: number;
}

export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettings = Object.freeze({ retry: DEFAULT_RETRY_POLICY, leaseMs: 60_000, timeoutMs: 10_000, pollMs: 1000 });

export interface NotificationDeps {
  db: Kysely<Database>;
  uow: Uow;
  clock: Clock;
  ids: IdGenerator;
  secrets: SecretBox;
  environments: EnvironmentService;
  releases: ReleaseService;
  /** Slipway's own URL, for links in messages. */
  publicUrl: string;
  settings?: Partial<NotificationSettings>;
  sender?: Sender;
  /** Where channels may send (SLIPWAY_OUTBOUND_ALLOW / _DENY); default: the built-in denials only. */
  outbound?: OutboundPolicy;
  onError?(error: unknown, context: string): void;
}

export interface Notifications {
  readonly channels: ChannelService;
  readonly deliveries: DeliveryService;
  readonly dispatcher: Dispatcher;
  /** The announcement of an event as every channel would render it (enriched with dashboards and release notes). */
  announce(event: OutboxEvent): Promise<Announcement>;
}

function dashboardsOf(settings: Record<string, unknown>): Link[] {
  const raw = settings.dashboards;
  if (!Array.isArray(raw)) return [];
  return raw.filter((d): d is Link => d !== null && typeof d === 'object' && typeof (d as Link).name === 'string' && typeof (d as Link).url === 'string').map((d) => ({ name: d.name, url: d.url }));
}

/** Builds channels, deliveries and the dispatcher; composition.ts calls this once. */
export function createNotifications(deps: NotificationDeps): Notifications {
  const settings: NotificationSettings = { ...DEFAULT_NOTIFICATION_SETTINGS, ...deps.settings };
  const sender = deps.sender ?? new NetworkSender(settings.timeoutMs, deps.outbound);
  const history = new EventHistory(deps.db);
  const digestSources: DigestSources = {
    release: async (project, version) => {
      try {
        return await deps.releases.get(project, version);
      } catch (error) {
        if (error instanceof NotFoundError) return null;
        throw error;
      }
    },
    lastSucceeded: (p, e, before) => history.lastSucceeded(p, e, before),
    flagChanges: (p, e, after, before) => history.flagChanges(p, e, after, before),
  };
  const dashboards = async (environment: string | null): Promise<Link[]> => {
    if (!environment) return [];
    try {
      return dashboardsOf((await deps.environments.get(environment)).settings);
    } catch (error) {
      if (error instanceof NotFoundError) return [];
      throw error;
    }
  };
  const announce = async (event: OutboxEvent): Promise<Announcement> => {
    const environment = typeof event.payload.environment === 'string' ? event.payload.environment : event.environmentKey;
    // The deployment payload carries the dashboards it was made with; other events read the environment.
    const carried = dashboardsOf(event.payload);
    const [links, digest] = await Promise.all([carried.length > 0 ? carried : dashboards(environment), event.type === 'deployment.succeeded' ? buildDigest(event, digestSources) : Promise.resolve(null)]);
    return describe(event, { publicUrl: deps.publicUrl, dashboards: links, digest });
  };

  const sendSample = async (channel: Channel): Promise<ChannelTestResult> => {
    const id = deps.ids.next();
    const a = describe(sampleEvent(id, deps.clock.now().toISOString()), { publicUrl: deps.publicUrl });
    const t0 = performance.now();
    const result = await sender.send(render(channel, a, `test-${id}`), `test-${id}`);
    return { delivered: result.ok, statusCode: result.statusCode, error: result.error, durationMs: Math.round(performance.now() - t0) };
  };

  const channels = new ChannelService(deps.uow, deps.ids, deps.secrets, sendSample, deps.outbound);
  const dispatcher = new Dispatcher({
    db: deps.db,
    clock: deps.clock,
    ids: deps.ids,
    channels: (db) => channels.loadAll(db),
    announce,
    sender,
    retry: settings.retry,
    leaseMs: settings.leaseMs,
    pollMs: settings.pollMs,
    ...(deps.onError && { onError: deps.onError }),
  });
  const deliveries = new DeliveryService(deps.uow, deps.clock, settings.retry, () => dispatcher.nudge());
  return { channels, deliveries, dispatcher, announce };
}
