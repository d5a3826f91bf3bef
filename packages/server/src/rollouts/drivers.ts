import type { EnvConfig, Serve } from '@slipway/flag-engine';
import type { DriverAction } from '@slipway/rollout-engine';
import type { RequestContext } from '../auth/actor.js';
import type { FlagService } from '../flags/flag-service.js';
import type { MeasureTarget } from './providers.js';
import type { FlagTarget, Rollout, RolloutTarget } from './rollout-store.js';

/**
 * What the rollout ticker needs from the thing a rollout drives. The engine decides the weights;
 * a driver applies them. Today: a flag's split (FlagDriver). Phase 2 adds a DeploymentDriver for
 * `strategy: "canary"` deployments (executors told `set-weight`, `promote`/finalize, `rollback`),
 * registered under its `kind` — nothing else in the ticker changes.
 */
export interface RolloutDriver {
  readonly kind: RolloutTarget['kind'];
  /**
   * Brings the target to what `action` asks: `set-weight` (0–100), `finalize` (weight 100 for good),
   * `rollback` (weight 0 / back to stable). Must be idempotent: after a crash the ticker asks again,
   * and a change already made must not be made twice. `waiting` means an executor still has to
   * confirm (the ticker asks again at `checkAgainAt`); `failed` is retried with backoff.
   */
  apply(rollout: Rollout, action: DriverAction): Promise<DriverResult>;
  /** What the metric providers compare: the canary and baseline series, and `{{…}}` arguments. */
  measureTarget(rollout: Rollout): MeasureTarget;
  /** "flag new-checkout, variant on" — for messages. */
  describe(rollout: Pick<Rollout, 'target'>): string;
}

export type DriverResult = { status: 'applied'; detail?: string } | { status: 'waiting'; checkAgainAt: number } | { status: 'failed'; message: string };

/** The identity a rollout acts under when it changes its target: the audit log shows `rollout:<id>`. */
export function rolloutContext(rollout: Pick<Rollout, 'id'>): RequestContext {
  return { actor: { userId: null, username: `rollout:${rollout.id}`, role: 'admin', tokenId: null }, requestId: null };
}

type Entry = { variant: string; weight: number };

/**
 * The split serving `variant` at `weight` % and the stable variants sharing the rest in their
 * original proportions, in hundredths of a percent so the weights add up to exactly 100.
 */
export function splitFor(variant: string, weight: number, stable: readonly Entry[]): Serve {
  const w = Math.round(weight * 100);
  if (w >= 10_000) return { variant };
  const rest = 10_000 - w;
  const total = stable.reduce((a, e) => a + e.weight, 0);
  const shares = stable.map((e) => ({ variant: e.variant, hundredths: Math.floor((rest * e.weight) / total) }));
  let missing = rest - shares.reduce((a, e) => a + e.hundredths, 0);
  for (let i = 0; missing > 0; i = (i + 1) % shares.length, missing--) shares[i]!.hundredths++;
  const entries: Entry[] = [...(w > 0 ? [{ variant, weight: w / 100 }] : []), ...shares.filter((s) => s.hundredths > 0).map((s) => ({ variant: s.variant, weight: s.hundredths / 100 }))];
  return entries.length === 1 ? { variant: entries[0]!.variant } : { split: entries };
}

/** The stable part of a serve: every other variant, normalised to 100; null when nothing else is served. */
export function stableOf(serve: Serve, variant: string): Entry[] | null {
  if ('variant' in serve) return serve.variant === variant ? null : [{ variant: serve.variant, weight: 100 }];
  const others = serve.split.filter((e) => e.variant !== variant && e.weight > 0);
  const total = others.reduce((a, e) => a + e.weight, 0);
  if (total === 0) return null;
  return others.map((e) => ({ variant: e.variant, weight: (e.weight * 100) / total }));
}

const sameServe = (a: Serve, b: Serve) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Moves a flag's default serve in one environment through the rollout's weights, through the flag
 * service, so every step is audited, announced (`flag.changed`) and fanned out to SDKs. Rules and
 * individual targets stay as they are. The first weight turns the flag on; a rollback puts the
 * variant back to 0 % or turns the flag off, as the rollout was configured.
 */
export class FlagDriver implements RolloutDriver {
  readonly kind = 'flag' as const;

  constructor(private readonly flags: FlagService) {}

  async apply(rollout: Rollout, action: DriverAction): Promise<DriverResult> {
    const t = rollout.target as FlagTarget;
    let current: EnvConfig;
    try {
      const view = await this.flags.get(rollout.projectKey, t.flag);
      const env = view.environments.find((e) => e.environment.key === rollout.environment);
      if (!env) return { status: 'failed', message: `environment ${rollout.environment} no longer exists` };
      current = env.config;
    } catch (error) {
      return { status: 'failed', message: (error as Error).message };
    }
    let desired: EnvConfig;
    if (action.type === 'rollback' && t.onFailure === 'off') desired = { ...current, enabled: false };
    else desired = { ...current, enabled: true, defaultServe: splitFor(t.variant, action.weight, t.stable) };
    if (desired.enabled === current.enabled && sameServe(desired.defaultServe, current.defaultServe)) return { status: 'applied', detail: 'already in place' };
    try {
      // Applied to the configuration as stored under the flag's lock: rules edited meanwhile stay.
      const step = (stored: EnvConfig): EnvConfig =>
        action.type === 'rollback' && t.onFailure === 'off' ? { ...stored, enabled: false } : { ...stored, enabled: true, defaultServe: splitFor(t.variant, action.weight, t.stable) };
      await this.flags.configure(rolloutContext(rollout), rollout.projectKey, t.flag, rollout.environment, step);
      return { status: 'applied' };
    } catch (error) {
      return { status: 'failed', message: (error as Error).message };
    }
  }

  measureTarget(rollout: Rollout): MeasureTarget {
    const t = rollout.target as FlagTarget;
    return {
      projectKey: rollout.projectKey,
      environment: rollout.environment,
      canary: { flag: t.flag, variant: t.variant },
      baseline: { flag: t.flag, notVariant: t.variant },
      args: { project: rollout.projectKey, environment: rollout.environment, flag: t.flag, variant: t.variant, canary: t.variant, stable: t.stable[0]?.variant ?? '', weight: String(rollout.state.weight) },
    };
  }

  describe(rollout: Pick<Rollout, 'target'>): string {
    const t = rollout.target as FlagTarget;
    return `flag ${t.flag}, variant ${t.variant}`;
  }
}
