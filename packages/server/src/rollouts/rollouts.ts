import type { SecretBox } from '../shared/secret-box.js';
import type { Uow } from '../db/stores.js';
import type { FlagService } from '../flags/flag-service.js';
import type { Clock } from '../shared/clock.js';
import type { IdGenerator } from '../shared/ids.js';
import type { OutboundPolicy } from '../shared/outbound-policy.js';
import { AnalysisService } from './analysis-service.js';
import { FlagDriver, type RolloutDriver } from './drivers.js';
import { MetricsIngestion } from './metrics-ingestion.js';
import { MetricProviders } from './providers.js';
import { RolloutService } from './rollout-service.js';
import { RolloutTicker } from './rollout-ticker.js';

/** The rollouts feature as the composition root wires it. */
export interface Rollouts {
  readonly service: RolloutService;
  readonly analysis: AnalysisService;
  readonly ingestion: MetricsIngestion;
  /** Started by server.ts, stopped on shutdown; tests drive it with runOnce(). */
  readonly ticker: RolloutTicker;
  readonly drivers: Map<string, RolloutDriver>;
}

export interface RolloutSettings {
  leaseMs: number;
  pollMs: number;
  metricsRetentionMs: number;
}

export const DEFAULT_ROLLOUT_SETTINGS: RolloutSettings = Object.freeze({ leaseMs: 30_000, pollMs: 1000, metricsRetentionMs: 7 * 86_400_000 });

export interface RolloutsOptions {
  uow: Uow;
  flags: FlagService;
  clock: Clock;
  ids: IdGenerator;
  settings?: Partial<RolloutSettings>;
  /** Drivers of other features (deployments: `deployment`), beside the flag driver. */
  drivers?: RolloutDriver[];
  onError?: (error: unknown) => void;
  /** Where the Prometheus and web metric providers may send (SLIPWAY_OUTBOUND_*). */
  outbound?: OutboundPolicy;
  /** Seals and opens the web metric provider's header values (API keys). */
  secrets?: SecretBox;
}

export function createRollouts(o: RolloutsOptions): Rollouts {
  const settings = { ...DEFAULT_ROLLOUT_SETTINGS, ...o.settings };
  const drivers = new Map<string, RolloutDriver>([['flag', new FlagDriver(o.flags)], ...(o.drivers ?? []).map((d): [string, RolloutDriver] => [d.kind, d])]);
  const analysis = new AnalysisService(o.uow, o.ids, o.outbound, o.secrets);
  let ticker: RolloutTicker | null = null;
  const service = new RolloutService(o.uow, analysis, o.flags, drivers, o.ids, o.clock, () => ticker?.kick());
  ticker = new RolloutTicker({
    uow: o.uow,
    drivers,
    providers: new MetricProviders(o.uow.reads.metricPoints, o.outbound, o.secrets),
    clock: o.clock,
    ids: o.ids,
    leaseMs: settings.leaseMs,
    pollMs: settings.pollMs,
    metricsRetentionMs: settings.metricsRetentionMs,
    ...(o.onError && { onError: o.onError }),
  });
  return { service, analysis, ingestion: new MetricsIngestion(o.uow, o.clock, settings.metricsRetentionMs), ticker, drivers };
}
