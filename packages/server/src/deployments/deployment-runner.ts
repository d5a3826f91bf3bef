import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { systemContext, type RequestContext } from '../auth/actor.js';
import type { Uow } from '../db/stores.js';
import type { Clock } from '../shared/clock.js';
import type { IdGenerator } from '../shared/ids.js';
import type { SecretBox } from '../shared/secret-box.js';
import type { LogLine } from './deployment-log-store.js';
import type { DeploymentSignals } from './deployment-signals.js';
import { targetEnded, type Deployment, type DeploymentTarget } from './deployment-store.js';
import type { DeploymentTransitions, TargetOutcome } from './deployment-transitions.js';
import { callbackTokenFor } from './deployment-service.js';
import type { DeploymentRollbacks } from './deployment-rollbacks.js';
import type { OutboundPolicy } from '../shared/outbound-policy.js';
import type { CanaryLink } from './canary-port.js';
import { runCommand, runSmoke, sendWebhook, type WebhookAction, type WebhookCall } from './executors.js';

export interface RunnerOptions {
  uow: Uow;
  transitions: DeploymentTransitions;
  /** Starts the rollout of a canary deployment. */
  canary: CanaryLink;
  /** Starts the automatic rollback after a failure. */
  deployments: Pick<DeploymentRollbacks, 'rollback'>;
  signals: DeploymentSignals;
  secrets: SecretBox;
  clock: Clock;
  ids: IdGenerator;
  /** Base URL executors call back (SLIPWAY_PUBLIC_URL). */
  publicUrl: string;
  /** How long a claim lasts without renewal; another server may take over after it. */
  leaseMs?: number;
  /** How often to look for due work other servers or timers created. */
  pollMs?: number;
  owner?: string;
  onError?: (error: unknown) => void;
  /** Where webhook executors and smoke checks may send (SLIPWAY_OUTBOUND_*). */
  outbound?: OutboundPolicy;
}

/** Default timeouts by executor, when the target does not set one. */
export const DEFAULT_TIMEOUT_MS = { record: 3_600_000, webhook: 600_000, command: 600_000 } as const;

const RUNNER = systemContext();

/**
 * Executes deployments in the background. Work is claimed per deployment with a lease (an atomic
 * compare-and-set in the database), renewed while held: after a crash the lease expires and any
 * server resumes the deployment — a command that was running ends `failed` (interrupted), a
 * webhook target keeps waiting for its callback until its deadline.
 *
 * Every target is tracked to its own end (succeeded, failed, timed_out, cancelled); the deployment
 * ends only when all have. The first failure stops the others (see stopOthers) and names the
 * deployment's failure; what each target reported stays visible and moves the status matrix.
 */
export class DeploymentRunner {
  readonly owner: string;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly active = new Set<Promise<void>>();

  constructor(private readonly o: RunnerOptions) {
    this.owner = o.owner ?? `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.leaseMs = o.leaseMs ?? 30_000;
    this.pollMs = o.pollMs ?? 500;
  }

  start(): void {
    this.unsubscribe = this.o.signals.onWork(() => this.kick());
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Stops claiming; running commands are killed and their targets fail (interrupted). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    this.abort.abort();
    await Promise.allSettled([...this.active, this.running]);
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.runOnce();
        } catch (error) {
          this.o.onError?.(error);
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = null));
  }

  /**
   * Claims every due deployment and works on it; resolves when each has reached a point where it
   * waits (a callback, a deadline) or ended. Tests call it directly instead of start().
   */
  async runOnce(): Promise<number> {
    const now = this.o.clock.now();
    const ids = await this.o.uow.reads.deployments.due(now.toISOString(), 50);
    let claimed = 0;
    const work: Array<Promise<void>> = [];
    for (const id of ids) {
      if (this.stopped) break;
      const expires = new Date(now.getTime() + this.leaseMs).toISOString();
      if (!(await this.o.uow.reads.deployments.claim(id, this.owner, now.toISOString(), expires))) continue;
      claimed++;
      const job = this.process(id).catch((error: unknown) => this.o.onError?.(error));
      this.active.add(job);
      work.push(job.finally(() => this.active.delete(job)));
    }
    await Promise.all(work);
    return claimed;
  }

  private async process(id: string): Promise<void> {
    const store = this.o.uow.reads.deployments;
    const wake = await store.wakeCount(id);
    let lost = false;
    const renew = setInterval(() => {
      const expires = new Date(this.o.clock.now().getTime() + this.leaseMs).toISOString();
      store.renew(id, this.owner, expires).then(
        (held) => (lost ||= !held),
        () => {},
      );
    }, Math.max(200, Math.floor(this.leaseMs / 3)));
    let nextCheck: string | null = null;
    try {
      nextCheck = await this.advance(id, () => lost);
    } finally {
      clearInterval(renew);
      await store.release(id, this.owner, nextCheck, wake);
    }
  }

  /** Moves one deployment as far as it can go now; returns when to look again (null: when asked). */
  private async advance(id: string, leaseLost: () => boolean): Promise<string | null> {
    let d = await this.o.uow.reads.deployments.get(id);
    if (!d) return null;
    if (d.status === 'pending') {
      d = await this.o.uow.transaction(async (tx) => {
        if (!(await tx.stores.deployments.update(id, ['pending'], { status: 'running', startedAt: tx.now, updatedAt: tx.now }))) return null;
        const started = (await tx.stores.deployments.get(id))!;
        await this.o.transitions.progressed(tx, started);
        await this.o.transitions.log(tx, id, [{ line: `started on ${started.targets.map((t) => `${t.key} (${t.executor.type})`).join(', ')}` }]);
        await this.o.transitions.event(tx, RUNNER, started, 'deployment.started');
        if (started.canary) {
          // A canary: its rollout starts now (after any approvals) and drives the executors from here.
          await this.o.canary.get().start(tx, started);
          await tx.stores.deployments.update(id, ['running'], { phase: 'canary', updatedAt: tx.now });
          await this.o.transitions.log(tx, id, [{ line: `canary of ${started.version} over ${started.canary.stableVersion}: rollout ${started.canary.rolloutId} (${started.canary.planName ?? 'inline plan'}) tells the targets each step` }]);
          return { ...started, phase: 'canary' as const };
        }
        return started;
      });
      this.o.signals.changed(id);
      if (!d) return null;
    }
    if (d.status !== 'running') return null;
    // A canary deployment is driven by its rollout (canary-driver.ts), not here.
    if (d.phase === 'canary') return null;

    if (d.phase === 'targets') {
      // Commands run inside this claim, each with its own abort: a stop (a failed target, a cancel)
      // noticed meanwhile — here, from a report, or from another server — kills them.
      const running = new Map<string, AbortController>();
      // Checks run one after the other, and are awaited before the claim moves on.
      let checking: Promise<void> = Promise.resolve();
      const check = () => {
        checking = checking.then(() => this.stopIfAsked(id, running)).catch((error: unknown) => this.o.onError?.(error));
      };
      const unsubscribe = this.o.signals.onChange(id, check);
      const poll = setInterval(check, 1000);
      try {
        if (d.stopReason !== null) await this.stopOthers(d, running);
        await Promise.all(d.targets.map((t) => this.target(d!, t, running)));
      } finally {
        unsubscribe();
        clearInterval(poll);
        await checking;
      }
      if (leaseLost()) return null;
      // Stopping killed a command: whoever runs next should look at once and report it interrupted.
      if (this.stopped) return this.o.clock.now().toISOString();
      d = (await this.o.uow.reads.deployments.get(id))!;
      if (d.stopReason !== null) await this.stopOthers(d, running);
      const now = this.o.clock.now().toISOString();
      for (const t of d.targets) {
        if (t.status === 'running' && t.deadlineAt !== null && t.deadlineAt <= now) {
          const timeoutMs = t.executor.timeoutMs ?? DEFAULT_TIMEOUT_MS[t.executor.type];
          await this.endTarget(id, t.key, 'timed_out', `no result reported within ${timeoutMs} ms`);
        }
      }
      d = (await this.o.uow.reads.deployments.get(id))!;
      // A deployment ends only when every target has ended.
      const open = d.targets.filter((t) => !targetEnded(t.status));
      if (open.length > 0) {
        const deadlines = open.map((t) => t.deadlineAt).filter((x): x is string => x !== null);
        return deadlines.length > 0 ? deadlines.sort()[0]! : null;
      }
      if (d.failureTarget !== null || d.targets.some((t) => t.status === 'failed' || t.status === 'timed_out')) {
        const first = d.targets.find((t) => t.key === d!.failureTarget) ?? d.targets.find((t) => t.status === 'failed' || t.status === 'timed_out')!;
        return this.fail(d, d.failureReason ?? (first.status === 'timed_out' ? 'timeout' : 'target_failed'), first.key);
      }
      if (d.stopReason === 'cancelled' || d.targets.some((t) => t.status === 'cancelled')) {
        await this.o.uow.transaction((tx) => this.o.transitions.finish(tx, RUNNER, d!, 'cancelled', null, ['running']));
        this.o.signals.changed(id);
        return null;
      }
      if (d.smoke) {
        await this.o.uow.reads.deployments.update(id, ['running'], { phase: 'smoke', updatedAt: this.o.clock.now().toISOString() });
        d = { ...d, phase: 'smoke' };
      }
    }
    if (d.phase === 'smoke' && d.smoke) {
      const sink = this.sink(id, null);
      const result = await runSmoke(d.smoke, this.commandEnv(d, 'smoke'), (stream, line) => sink.push(stream, line), this.abort.signal, this.o.outbound);
      await sink.flush();
      if (leaseLost() || this.stopped) return null;
      if (!result.ok) return this.fail(d, 'smoke_failed', null, result.detail);
    }
    await this.o.uow.transaction((tx) => this.o.transitions.finish(tx, RUNNER, d!, 'succeeded', null, ['running']));
    this.o.signals.changed(id);
    return null;
  }

  private async stopIfAsked(id: string, running: Map<string, AbortController>): Promise<void> {
    const d = await this.o.uow.reads.deployments.get(id);
    if (d && d.stopReason !== null) await this.stopOthers(d, running);
  }

  /**
   * Tells every target that has not ended to stop, as far as its executor can hear it: a command
   * gets SIGTERM (then SIGKILL), a webhook gets action `cancel` once and keeps its own outcome
   * open until it reports or its deadline passes; a target not started yet, or one only a person
   * can report (`record`), ends `cancelled` at once.
   */
  private async stopOthers(d: Deployment, running: Map<string, AbortController>): Promise<void> {
    const why = d.stopReason === 'cancelled' ? 'the deployment was cancelled' : `target ${d.failureTarget ?? '?'} failed`;
    for (const t of d.targets) {
      if (targetEnded(t.status)) continue;
      if (t.status === 'pending') {
        await this.endTarget(d.id, t.key, 'cancelled', `not started: ${why}`);
      } else if (t.executor.type === 'command') {
        const controller = running.get(t.key);
        if (controller && !controller.signal.aborted && (await this.o.uow.reads.deployments.markStopRequested(d.id, t.key, this.o.clock.now().toISOString()))) {
          await this.o.uow.reads.deploymentLogs.append(d.id, [this.line(t.key, 'slipway', `stopping: ${why} (SIGTERM, then SIGKILL after 1 s)`)]);
          controller.abort();
        }
      } else if (t.executor.type === 'webhook') {
        if (!(await this.o.uow.reads.deployments.markStopRequested(d.id, t.key, this.o.clock.now().toISOString()))) continue;
        const sent = await sendWebhook(t.executor.url, this.o.secrets.decrypt(t.executor.secret), this.webhookCall('cancel', d, t.key, why), 30_000, 'deployment', this.o.outbound);
        await this.o.uow.reads.deploymentLogs.append(d.id, [
          this.line(t.key, 'slipway', `${sent.ok ? 'asked to stop' : 'could not ask to stop'} (action cancel: ${why}): ${sent.detail}; its own report is still taken until ${t.deadlineAt ?? 'it reports'}`),
        ]);
        this.o.signals.changed(d.id);
      } else {
        await this.endTarget(d.id, t.key, 'cancelled', `${why}; nobody to tell for a record target: whoever deploys it should stop`);
      }
    }
  }

  private async fail(d: Deployment, reason: string, target: string | null, detail?: string): Promise<null> {
    const ended = await this.o.uow.transaction(async (tx) => {
      if (detail) await this.o.transitions.log(tx, d.id, [{ line: detail }]);
      return this.o.transitions.finish(tx, RUNNER, d, 'failed', { reason, target }, ['running']);
    });
    this.o.signals.changed(d.id);
    if (ended && ended.autoRollback && ended.kind === 'deploy') await this.autoRollback(ended, ended.failureReason ?? reason);
    return null;
  }

  /** Rolls back only the targets that changed (the service decides and says which). */
  private async autoRollback(d: Deployment, reason: string): Promise<void> {
    const ctx: RequestContext = systemContext();
    try {
      const { deployment } = await this.o.deployments.rollback(ctx, { deploymentId: d.id, reason: `automatic: ${d.version} failed (${reason})`, automatic: true });
      await this.o.uow.reads.deploymentLogs.append(d.id, [
        this.line(null, 'slipway', `automatic rollback to ${deployment.version} started on ${deployment.targets.map((t) => t.key).join(', ')} (the targets that changed): deployment ${deployment.id}`),
      ]);
    } catch (error) {
      await this.o.uow.reads.deploymentLogs.append(d.id, [this.line(null, 'slipway', `automatic rollback not started: ${(error as Error).message}`)]);
    }
    this.o.signals.changed(d.id);
  }

  private webhookCall(action: WebhookAction, d: Deployment, target: string, reason?: string): WebhookCall {
    return {
      action,
      deploymentId: d.id,
      project: d.projectKey,
      environment: d.environment,
      target,
      version: d.version,
      tag: d.tag,
      commit: d.commit,
      callbackUrl: `${this.o.publicUrl}/api/v1/deployments/${d.id}/status`,
      callbackToken: callbackTokenFor(this.o.secrets, d.id),
      ...(reason !== undefined && { reason }),
    };
  }

  /** Starts one target, or finds that one "running" command belonged to a server that died. */
  private async target(d: Deployment, t: DeploymentTarget, running: Map<string, AbortController>): Promise<void> {
    const now = this.o.clock.now();
    const store = this.o.uow.reads.deployments;
    const timeoutMs = t.executor.timeoutMs ?? DEFAULT_TIMEOUT_MS[t.executor.type];
    if (t.status === 'running') {
      // Commands run inside a claim; one still "running" when a claim starts belonged to a server that died.
      if (t.executor.type === 'command') await this.endTarget(d.id, t.key, 'failed', 'interrupted: the server running the command stopped before it finished', 'interrupted');
      return;
    }
    if (t.status !== 'pending') return;
    const deadlineAt = new Date(now.getTime() + timeoutMs).toISOString();
    if (!(await store.updateTarget(d.id, t.key, ['pending'], { status: 'running', startedAt: now.toISOString(), deadlineAt }))) return;
    const sink = this.sink(d.id, t.key);
    if (t.executor.type === 'record') {
      sink.push('slipway', `waiting for someone to report target ${t.key}: slipway report ${d.id} --target ${t.key} --succeeded|--failed (or POST /api/v1/deployments/${d.id}/status)`);
      await sink.flush();
      return;
    }
    if (t.executor.type === 'webhook') {
      const sent = await sendWebhook(t.executor.url, this.o.secrets.decrypt(t.executor.secret), this.webhookCall('deploy', d, t.key), timeoutMs, 'deployment', this.o.outbound);
      sink.push('slipway', sent.ok ? `webhook accepted (${sent.detail}); waiting for its callback until ${deadlineAt}` : `webhook failed: ${sent.detail}`);
      await sink.flush();
      if (!sent.ok) await this.endTarget(d.id, t.key, 'failed', `webhook failed: ${sent.detail}`);
      return;
    }
    const controller = new AbortController();
    running.set(t.key, controller);
    const onServerStop = () => controller.abort();
    this.abort.signal.addEventListener('abort', onServerStop, { once: true });
    sink.push('slipway', `running ${JSON.stringify(t.executor.command)}`);
    const result = await runCommand(t.executor.command, this.commandEnv(d, t.key), timeoutMs, (stream, line) => sink.push(stream, line), controller.signal);
    this.abort.signal.removeEventListener('abort', onServerStop);
    running.delete(t.key);
    await sink.flush();
    if (result.aborted && this.stopped) return; // the server is stopping: the next claim reports it interrupted
    if (result.aborted) await this.endTarget(d.id, t.key, 'cancelled', `stopped when told to (exit ${result.exitCode ?? 'by signal'})`);
    else if (result.ok) await this.endTarget(d.id, t.key, 'succeeded', 'command exited with 0');
    else if (result.timedOut) await this.endTarget(d.id, t.key, 'timed_out', `killed after ${timeoutMs} ms`);
    else await this.endTarget(d.id, t.key, 'failed', result.error ? `command could not start: ${result.error}` : `command exited with ${result.exitCode}`);
  }

  private async endTarget(id: string, key: string, status: TargetOutcome, message: string, reason?: string): Promise<void> {
    const ended = await this.o.uow.transaction((tx) => this.o.transitions.targetEnded(tx, RUNNER, id, key, status, message, reason));
    if (ended) this.o.signals.changed(id);
  }

  private commandEnv(d: Deployment, target: string): Record<string, string> {
    return deploymentCommandEnv(d, target);
  }

  private line(target: string | null, stream: string, line: string): LogLine {
    return { id: this.o.ids.next(), target, stream, line: line.slice(0, 10_000), at: this.o.clock.now().toISOString() };
  }

  /** Buffers log lines and writes them in batches (every 200 ms while a command runs). */
  private sink(id: string, target: string | null) {
    let buffer: LogLine[] = [];
    let pending: Promise<void> = Promise.resolve();
    let timer: NodeJS.Timeout | null = null;
    const flush = async () => {
      if (timer) clearTimeout(timer);
      timer = null;
      const lines = buffer;
      buffer = [];
      pending = pending.then(async () => {
        if (lines.length === 0) return;
        await this.o.uow.reads.deploymentLogs.append(id, lines).catch((error: unknown) => this.o.onError?.(error));
        this.o.signals.changed(id);
      });
      await pending;
    };
    return {
      push: (stream: string, line: string) => {
        buffer.push(this.line(target, stream, line));
        timer ??= setTimeout(() => void flush(), 200);
      },
      flush,
    };
  }
}

/** What a deployment's commands see: only what they need (the server's own environment — database URL, keys — stays out). */
export function deploymentCommandEnv(d: Deployment, target: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    SLIPWAY_DEPLOYMENT_ID: d.id,
    SLIPWAY_PROJECT: d.projectKey,
    SLIPWAY_ENVIRONMENT: d.environment,
    SLIPWAY_TARGET: target,
    SLIPWAY_VERSION: d.version,
    SLIPWAY_TAG: d.tag,
    SLIPWAY_COMMIT: d.commit,
  };
}
